#pragma once
// The hand-off between decoding (L2-L4, on the DPDK path or from a pcap file in tests) and the stream
// stage (TCP reassembly and up). Decoding fills one of these per TCP segment; nothing after it sees DPDK.
#include <cstdint>
#include <span>

#include "core/flow_tuple.h"

namespace dijk {

namespace tcp_flags {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flags

struct TcpSegment {
  FlowTuple tuple;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::uint64_t time_ns = 0;              // capture or receive time
  std::span<const std::uint8_t> payload;  // valid only for the duration of the call
};

}  // namespace dijk
