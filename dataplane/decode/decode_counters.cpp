#include "dataplane/decode/decode_counters.h"

namespace dijk {

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::truncated_ethernet: return "truncated_ethernet";
    case DropReason::vlan_too_deep: return "vlan_too_deep";
    case DropReason::not_ip: return "not_ip";
    case DropReason::truncated_ip: return "truncated_ip";
    case DropReason::bad_ip_header: return "bad_ip_header";
    case DropReason::ipv4_fragment_unreassembled: return "ipv4_fragment_unreassembled";
    case DropReason::ipv6_fragment: return "ipv6_fragment";
    case DropReason::ipv6_ext_too_deep: return "ipv6_ext_too_deep";
    case DropReason::not_tcp: return "not_tcp";
    case DropReason::truncated_tcp: return "truncated_tcp";
    case DropReason::bad_tcp_header: return "bad_tcp_header";
    case DropReason::reassembly_failed: return "reassembly_failed";
    case DropReason::count_: break;
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
  tcp_segments += o.tcp_segments;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) drops[i] += o.drops[i];
  return *this;
}

}  // namespace dijk
