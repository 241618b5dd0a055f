#include "hashcore/pdq_index/pdq_set_section.h"

#include <cstring>

namespace dijk {

void add_pdq_section(SetBuilder& set, PdqIndexBuilder& builder) {
  RawSection section;
  section.kind = setfile::SectionKind::pdq_hashes;
  section.bytes = builder.build();
  pdqindex::Header header;
  std::memcpy(&header, section.bytes.data(), sizeof header);
  section.count = header.count;
  set.add_raw_section(std::move(section));
}

std::optional<PdqIndex> pdq_index_of(const HashSet& set, std::string* error) {
  const auto bytes = set.section(setfile::SectionKind::pdq_hashes);
  if (!bytes) return PdqIndex{};
  return PdqIndex::open(*bytes, error);
}

std::uint64_t set_entry_count(const HashSet& set) {
  std::uint64_t n = 0;
  for (std::size_t a = 0; a < kAlgorithmCount; ++a) n += set.exact(static_cast<Algorithm>(a)).size();
  if (const auto pdq = pdq_index_of(set)) n += pdq->size();
  return n;
}

}  // namespace dijk
