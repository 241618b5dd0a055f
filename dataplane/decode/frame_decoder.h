#pragma once
// Decodes one Ethernet frame: Ethernet II, up to two 802.1Q/802.1ad tags (QinQ), IPv4 or IPv6 (with
// extension headers), TCP. Every length is checked against the bytes actually present; nothing is read
// past the span. Fragments are not reassembled here: the result says so, with the header offsets a
// reassembly stage (rte_ip_frag on the DPDK path) needs, and the rebuilt datagram comes back through
// decode_frame with `reassembled` set. IPv6 fragments are handed on when the fragment header follows the
// fixed header directly (what rte_ip_frag handles); behind other extension headers they are dropped.
#include <cstdint>
#include <span>

#include "dataplane/decode/decode_counters.h"
#include "dataplane/packet/packet_view.h"

namespace dijk::wire {

enum class DecodeStatus : std::uint8_t { tcp, ipv4_fragment, ipv6_fragment, dropped };

struct DecodedFrame {
  DecodeStatus status = DecodeStatus::dropped;
  DecodeDrop reason = DecodeDrop::count_;  // when dropped
  TcpSegment segment;                      // when tcp; payload points into the frame
  std::uint16_t l2_len = 0;                // Ethernet + VLAN tags: the IP header's offset
  std::uint16_t l3_len = 0;  // the IP header (IPv4: IHL * 4; IPv6 fragment: 40 + the 8-byte fragment header)
};

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr std::uint16_t kEtherTypeVlan = 0x8100;
inline constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;
inline constexpr std::size_t kMaxVlanTags = 2;
inline constexpr std::size_t kMaxIpv6ExtensionHeaders = 8;

// Counts the frame (frames, bytes) unless `reassembled` (its fragments were counted on arrival).
DecodedFrame decode_frame(std::span<const std::uint8_t> frame, std::uint64_t time_ns,
                          DecodeCounters& counters, bool reassembled = false);

}  // namespace dijk::wire
