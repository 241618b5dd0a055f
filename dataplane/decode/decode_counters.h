#pragma once
// What decoding saw and why it dropped frames. One instance per worker lcore (no sharing); totals are
// summed when reporting. In dijk::wire: the wire path's frame decoding, apart from dijk::image's.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dijk::wire {

enum class DecodeDrop : std::uint8_t {
  truncated_ethernet,           // shorter than an Ethernet header
  vlan_too_deep,                // more than two stacked VLAN tags
  not_ip,                       // ARP, LLDP and other non-IP ethertypes
  truncated_ip,                 // shorter than its IP header or its total length
  bad_ip_header,                // wrong version, header length or total length
  ipv4_fragment_unreassembled,  // a fragment reached the decoder without a reassembly stage
  ipv6_fragment,                // IPv6 fragment behind other extension headers (not reassembled)
  ipv6_ext_too_deep,            // too many or malformed IPv6 extension headers
  not_tcp,                      // UDP, ICMP, ...
  truncated_tcp,                // shorter than the TCP header
  bad_tcp_header,               // data offset below 5 words or beyond the segment
  reassembly_failed,            // IPv4 fragments the reassembly table gave up on (DPDK layer)
  count_
};
inline constexpr std::size_t kDecodeDropCount = static_cast<std::size_t>(DecodeDrop::count_);

std::string_view decode_drop_name(DecodeDrop r);

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
