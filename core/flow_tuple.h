#pragma once
// A TCP flow's addresses and ports: the key of the stream stage and part of every wire hit.
#include <array>
#include <cstdint>

namespace dijk {

// An IPv4 address is stored IPv4-mapped (::ffff:a.b.c.d) so one key type serves both families.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const IpAddress&) const = default;
};

struct FlowTuple {
  IpAddress src;
  IpAddress dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  bool operator==(const FlowTuple&) const = default;
};

}  // namespace dijk
