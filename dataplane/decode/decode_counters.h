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

// X(name, help): what decoding saw, a worker counter each ("<name>"). The fields, the sum and the walk
// the summary and the metrics use are generated from this list.
#define DIJK_DECODE_COUNTERS(X)                                                           \
  X(vlan_frames, "frames with one or two VLAN tags")                                      \
  X(ipv4_packets, "IPv4 packets decoded (a datagram rebuilt from fragments counts once)") \
  X(ipv6_packets, "IPv6 packets decoded (a datagram rebuilt from fragments counts once)") \
  X(ipv4_fragments, "IPv4 fragments handed to reassembly")                                \
  X(ipv4_reassembled, "IPv4 datagrams rebuilt from fragments")                            \
  X(ipv6_fragments, "IPv6 fragments handed to reassembly")                                \
  X(ipv6_reassembled, "IPv6 datagrams rebuilt from fragments")                            \
  X(tcp_segments, "TCP segments handed to the stream stage")

enum class DecodeDrop : std::uint8_t {
#define DIJK_ENUM(name, help) name,
  DIJK_DECODE_DROPS(DIJK_ENUM)
#undef DIJK_ENUM
      count_
};
inline constexpr std::size_t kDecodeDropCount = static_cast<std::size_t>(DecodeDrop::count_);

std::string_view decode_drop_name(DecodeDrop r);
std::string_view decode_drop_help(DecodeDrop r);
// The help text of a DIJK_DECODE_COUNTERS name, or of "drop_<reason>"; empty for any other name.
std::string_view decode_counter_help(std::string_view name);

struct DecodeCounters {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
#define DIJK_FIELD(name, help) std::uint64_t name = 0;
  DIJK_DECODE_COUNTERS(DIJK_FIELD)
#undef DIJK_FIELD
  std::array<std::uint64_t, kDecodeDropCount> drops{};

  void drop(DecodeDrop r) {
    ++drops[static_cast<std::size_t>(r)];
  }
  std::uint64_t dropped(DecodeDrop r) const {
    return drops[static_cast<std::size_t>(r)];
  }
  std::uint64_t total_drops() const;
  DecodeCounters& operator+=(const DecodeCounters& o);
};

}  // namespace dijk::wire
