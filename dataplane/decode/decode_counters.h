#pragma once
// What decoding saw and why it dropped frames. One instance per worker lcore (no sharing); totals are
// summed when reporting. In dijk::wire: the wire path's frame decoding, apart from dijk::image's.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dijk::wire {

// X(name, help): why a frame was dropped by decoding ("drop_<name>"), each declared once; the enum, the
// names and the help text the metrics carry are generated from this list.
#define DIJK_DECODE_DROPS(X)                                                                   \
  X(truncated_ethernet, "frames shorter than an Ethernet header")                              \
  X(vlan_too_deep, "frames with more than two stacked VLAN tags")                              \
  X(not_ip, "ARP, LLDP and other non-IP frames")                                               \
  X(truncated_ip, "packets shorter than their IP header or total length")                      \
  X(bad_ip_header, "IP headers with a wrong version, header length or total length")           \
  X(ipv4_fragment_unreassembled, "IPv4 fragments that reached the decoder without reassembly") \
  X(ipv6_fragment, "IPv6 fragments behind other extension headers (not reassembled)")          \
  X(ipv6_ext_too_deep, "packets with too many or malformed IPv6 extension headers")            \
  X(not_tcp, "UDP, ICMP and other non-TCP packets")                                            \
  X(truncated_tcp, "segments shorter than the TCP header")                                     \
  X(bad_tcp_header, "TCP data offsets below 5 words or beyond the segment")                    \
  X(reassembly_failed, "IPv4 fragments the reassembly table gave up on")

enum class DecodeDrop : std::uint8_t {
#define DIJK_ENUM(name, help) name,
  DIJK_DECODE_DROPS(DIJK_ENUM)
#undef DIJK_ENUM
      count_
};
inline constexpr std::size_t kDecodeDropCount = static_cast<std::size_t>(DecodeDrop::count_);

std::string_view decode_drop_name(DecodeDrop r);
std::string_view decode_drop_help(DecodeDrop r);

struct DecodeCounters {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint64_t vlan_frames = 0;
  std::uint64_t ipv4 = 0;
  std::uint64_t ipv6 = 0;
  std::uint64_t ipv4_fragments = 0;    // handed to reassembly
  std::uint64_t ipv4_reassembled = 0;  // datagrams rebuilt from fragments
  std::uint64_t ipv6_fragments = 0;
  std::uint64_t ipv6_reassembled = 0;
  std::uint64_t tcp_segments = 0;
  std::array<std::uint64_t, kDecodeDropCount> drops{};

  void drop(DecodeDrop r) { ++drops[static_cast<std::size_t>(r)]; }
  std::uint64_t dropped(DecodeDrop r) const { return drops[static_cast<std::size_t>(r)]; }
  std::uint64_t total_drops() const;
  DecodeCounters& operator+=(const DecodeCounters& o);
};

}  // namespace dijk::wire
