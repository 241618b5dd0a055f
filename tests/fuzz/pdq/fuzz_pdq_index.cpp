// Hostile bytes as a set file's PDQ section: open() must refuse anything a search could read out of.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "hashcore/pdq_index/pdq_index.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint64_t> aligned((size + 7) / 8);  // sections are 64-byte aligned in a real set file
  if (size > 0) std::memcpy(aligned.data(), data, size);
  const auto index =
      dijk::PdqIndex::open(std::span(reinterpret_cast<const std::uint8_t*>(aligned.data()), size));
  if (!index || index->empty()) return 0;
  const dijk::PdqHash q = index->hash(0);
  index->search(q, {}, [&](const dijk::PdqMatch& m) {
    if (m.id >= index->size() || m.distance > 31) std::abort();
  });
  return 0;
}
