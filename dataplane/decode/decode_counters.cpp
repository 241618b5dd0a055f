#include "dataplane/decode/decode_counters.h"

namespace dijk::wire {

std::string_view decode_drop_name(DecodeDrop r) {
  switch (r) {
#define DIJK_NAME(name, help) \
  case DecodeDrop::name:      \
    return #name;
    DIJK_DECODE_DROPS(DIJK_NAME)
#undef DIJK_NAME
    case DecodeDrop::count_:
      break;
  }
  return "unknown";
}

std::string_view decode_drop_help(DecodeDrop r) {
  switch (r) {
#define DIJK_HELP(name, help) \
  case DecodeDrop::name:      \
    return help;
    DIJK_DECODE_DROPS(DIJK_HELP)
#undef DIJK_HELP
    case DecodeDrop::count_:
      break;
  }
  return {};
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
