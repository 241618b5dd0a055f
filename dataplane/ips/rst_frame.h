#pragma once
// The TCP resets with which the inline bridge ends a blocked upload. From the frame it drops (a TCP
// segment the decoder has read) it builds one RST for each end of the connection:
//   - to the receiver, as if from the sender: the dropped segment's own sequence number, which the
//     receiver expects next (RFC 5961 accepts a RST only at exactly that number);
//   - to the sender, as if from the receiver: the sequence number the sender last acknowledged, acking
//     all the sender's bytes up to the end of the dropped segment.
// The Ethernet header and any VLAN tags are kept (addresses swapped towards the sender), so each RST
// leaves by the port facing its end on the same VLAN. IP options and IPv6 extension headers are not
// copied: a RST needs neither. No DPDK here: the worker copies the bytes into an mbuf.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/decode/frame_decoder.h"

namespace dijk::ips {

enum class RstTo : std::uint8_t {
  receiver,  // the end the dropped segment was going to (sent out of the port it was to leave by)
  sender,    // the end that sent it (sent back out of the port it came in on)
};

// Ethernet + two VLAN tags + IPv6 + TCP, rounded up; also the room `out` must have.
inline constexpr std::size_t kMaxRstFrame = 96;
// Ethernet's minimum frame without FCS: shorter RSTs are padded with zeros.
inline constexpr std::size_t kMinEthernetFrame = 60;

// Builds the RST into `out` and returns its length; 0 when `decoded` is not a TCP segment read from
// `frame` (or `out` is too small). `frame` is the whole frame `decoded` came from (for a rebuilt
// fragmented datagram: the rebuilt bytes).
std::size_t build_rst(std::span<const std::uint8_t> frame, const wire::DecodedFrame& decoded, RstTo to,
                      std::span<std::uint8_t> out);

// The Internet checksum (RFC 1071) of `bytes` folded into `sum`, not yet complemented; exposed for tests.
std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> bytes);
std::uint16_t checksum_fold(std::uint32_t sum);

}  // namespace dijk::ips
