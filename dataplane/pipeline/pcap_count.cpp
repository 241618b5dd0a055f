#include "dataplane/pipeline/pcap_count.h"

#include <array>
#include <fstream>

namespace dijk {

namespace {

// Walks the records of a classic pcap file; `on_record(time_ns)` for each. False if not classic pcap
// or damaged.
template <typename F>
bool walk_pcap(const std::string& path, F&& on_record) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::array<unsigned char, 24> header{};
  if (!in.read(reinterpret_cast<char*>(header.data()), header.size())) return false;
  const std::uint32_t magic_le = std::uint32_t{header[0]} | (std::uint32_t{header[1]} << 8) |
                                 (std::uint32_t{header[2]} << 16) | (std::uint32_t{header[3]} << 24);
  bool little;
  bool nano;
  switch (magic_le) {
    case 0xa1b2c3d4u:
      little = true, nano = false;
      break;
    case 0xa1b23c4du:
      little = true, nano = true;
      break;
    case 0xd4c3b2a1u:
      little = false, nano = false;
      break;
    case 0x4d3cb2a1u:
      little = false, nano = true;
      break;
    default:
      return false;
  }
  const auto word = [little](const unsigned char* c) {
    return little ? (std::uint32_t{c[0]} | (std::uint32_t{c[1]} << 8) | (std::uint32_t{c[2]} << 16) |
                     (std::uint32_t{c[3]} << 24))
                  : ((std::uint32_t{c[0]} << 24) | (std::uint32_t{c[1]} << 16) | (std::uint32_t{c[2]} << 8) |
                     std::uint32_t{c[3]});
  };
  std::array<unsigned char, 16> rec{};
  while (in.read(reinterpret_cast<char*>(rec.data()), rec.size())) {
    const std::uint32_t caplen = word(rec.data() + 8);
    if (caplen > (1u << 24)) return false;
    if (!in.seekg(caplen, std::ios::cur)) return false;
    const std::uint64_t frac = word(rec.data() + 4);
    on_record(std::uint64_t{word(rec.data())} * 1'000'000'000u + (nano ? frac : frac * 1000u));
  }
  return true;
}

}  // namespace

std::optional<std::uint64_t> count_pcap_records(const std::string& path) {
  std::uint64_t records = 0;
  if (!walk_pcap(path, [&](std::uint64_t) { ++records; })) return std::nullopt;
  return records;
}

std::optional<std::uint32_t> pcap_link_type(const std::string& path) {
  std::uint32_t link_type = 0;
  // The dataplane decodes Ethernet only; `tcpdump -i any` writes Linux cooked headers (113/276) instead.
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 24> header{};
  if (!in || !in.read(reinterpret_cast<char*>(header.data()), header.size())) return std::nullopt;
  const std::uint32_t magic = std::uint32_t{header[0]} | (std::uint32_t{header[1]} << 8) |
                              (std::uint32_t{header[2]} << 16) | (std::uint32_t{header[3]} << 24);
  const unsigned char* c = header.data() + 20;
  if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
    link_type = std::uint32_t{c[0]} | (std::uint32_t{c[1]} << 8) | (std::uint32_t{c[2]} << 16) |
                (std::uint32_t{c[3]} << 24);
  } else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
    link_type = (std::uint32_t{c[0]} << 24) | (std::uint32_t{c[1]} << 16) | (std::uint32_t{c[2]} << 8) |
                std::uint32_t{c[3]};
  } else {
    return std::nullopt;
  }
  return link_type;
}

std::optional<std::vector<std::uint64_t>> read_pcap_times(const std::string& path) {
  std::vector<std::uint64_t> times;
  if (!walk_pcap(path, [&](std::uint64_t t) { times.push_back(t); })) return std::nullopt;
  return times;
}

}  // namespace dijk
