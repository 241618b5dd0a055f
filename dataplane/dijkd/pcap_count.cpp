#include "dataplane/dijkd/pcap_count.h"

#include <array>
#include <fstream>

namespace dijk {

std::optional<std::uint64_t> count_pcap_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::array<unsigned char, 24> header{};
  if (!in.read(reinterpret_cast<char*>(header.data()), header.size())) return std::nullopt;
  const std::uint32_t magic_le = std::uint32_t{header[0]} | (std::uint32_t{header[1]} << 8) |
                                 (std::uint32_t{header[2]} << 16) | (std::uint32_t{header[3]} << 24);
  bool little;
  switch (magic_le) {
    case 0xa1b2c3d4u:
    case 0xa1b23c4du: little = true; break;
    case 0xd4c3b2a1u:
    case 0x4d3cb2a1u: little = false; break;
    default: return std::nullopt;
  }
  std::uint64_t records = 0;
  std::array<unsigned char, 16> rec{};
  while (in.read(reinterpret_cast<char*>(rec.data()), rec.size())) {
    const unsigned char* c = rec.data() + 8;  // captured length
    const std::uint32_t caplen =
        little ? (std::uint32_t{c[0]} | (std::uint32_t{c[1]} << 8) | (std::uint32_t{c[2]} << 16) |
                  (std::uint32_t{c[3]} << 24))
               : ((std::uint32_t{c[0]} << 24) | (std::uint32_t{c[1]} << 16) | (std::uint32_t{c[2]} << 8) |
                  std::uint32_t{c[3]});
    if (caplen > (1u << 24)) return std::nullopt;
    if (!in.seekg(caplen, std::ios::cur)) return std::nullopt;
    ++records;
  }
  return records;
}

}  // namespace dijk
