#pragma once
// What a forger who knows XXH3 does to a set file (or an overlay) after changing it: recompute its file
// size, content checksum and header checksum, so that a fuzzer's changes reach the structural checks
// behind them. Shared by the set file and overlay fuzz targets.
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "hashcore/set/content_checksum.h"
#include "hashcore/set/set_format.h"

namespace dijk::fuzz {

inline std::vector<std::uint8_t> with_fixed_checksums(std::vector<std::uint8_t> b) {
  using setfile::Header;
  if (b.size() < sizeof(Header)) return b;
  Header h;
  std::memcpy(&h, b.data(), sizeof h);
  h.file_size = b.size();
  const std::uint64_t sections = std::min<std::uint64_t>(h.section_count, setfile::kMaxSections);
  const std::uint64_t table_end = sizeof(Header) + sections * sizeof(setfile::SectionEntry);
  if (table_end > b.size()) return b;
  h.content_checksum = setfile::content_checksum(b.data() + table_end, b.size() - table_end, 1);
  h.header_checksum = 0;
  std::memcpy(b.data(), &h, sizeof h);
  h.header_checksum = XXH3_64bits(b.data(), table_end);
  std::memcpy(b.data(), &h, sizeof h);
  return b;
}

}  // namespace dijk::fuzz
