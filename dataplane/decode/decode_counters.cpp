#include "dataplane/decode/decode_counters.h"

namespace dijk::wire {

std::string_view decode_drop_name(DecodeDrop r) {
  switch (r) {
    case DecodeDrop::truncated_ethernet:
      return "truncated_ethernet";
    case DecodeDrop::vlan_too_deep:
      return "vlan_too_deep";
    case DecodeDrop::not_ip:
      return "not_ip";
    case DecodeDrop::truncated_ip:
      return "truncated_ip";
    case DecodeDrop::bad_ip_header:
      return "bad_ip_header";
    case DecodeDrop::ipv4_fragment_unreassembled:
      return "ipv4_fragment_unreassembled";
    case DecodeDrop::ipv6_fragment:
      return "ipv6_fragment";
    case DecodeDrop::ipv6_ext_too_deep:
      return "ipv6_ext_too_deep";
    case DecodeDrop::not_tcp:
      return "not_tcp";
    case DecodeDrop::truncated_tcp:
      return "truncated_tcp";
    case DecodeDrop::bad_tcp_header:
      return "bad_tcp_header";
    case DecodeDrop::reassembly_failed:
      return "reassembly_failed";
    case DecodeDrop::count_:
      break;
  }
  return "unknown";
}

std::uint64_t DecodeCounters::total_drops() const {
  std::uint64_t sum = 0;
  for (auto d : drops) sum += d;
  return sum;
}

DecodeCounters& DecodeCounters::operator+=(const DecodeCounters& o) {
  frames += o.frames;
  bytes += o.bytes;
  vlan_frames += o.vlan_frames;
  ipv4 += o.ipv4;
  ipv6 += o.ipv6;
  ipv4_fragments += o.ipv4_fragments;
  ipv4_reassembled += o.ipv4_reassembled;
  ipv6_fragments += o.ipv6_fragments;
  ipv6_reassembled += o.ipv6_reassembled;
  tcp_segments += o.tcp_segments;
  for (std::size_t i = 0; i < kDecodeDropCount; ++i) drops[i] += o.drops[i];
  return *this;
}

}  // namespace dijk::wire
