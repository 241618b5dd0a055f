// Hostile PDQ list text (hex lines, CSV) through the import parser.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hashcore/pdq/pdq_list.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint64_t seen = 0;
  const auto stats = dijk::parse_pdq_list(std::string_view(reinterpret_cast<const char*>(data), size), {},
                                          [&](const dijk::PdqHash& h, int quality) {
                                            if (quality < 50 || quality > 100 || h.to_hex().size() != 64) std::abort();
                                            ++seen;
                                          });
  if (seen != stats.hashes) std::abort();
  return 0;
}
