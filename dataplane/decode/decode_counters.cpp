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

std::string_view decode_counter_help(std::string_view name) {
#define DIJK_HELP(counter, help) \
  if (name == #counter) return help;
  DIJK_DECODE_COUNTERS(DIJK_HELP)
#undef DIJK_HELP
  if (name.starts_with("drop_")) {
    for (std::size_t r = 0; r < kDecodeDropCount; ++r) {
      const auto drop = static_cast<DecodeDrop>(r);
      if (name.substr(5) == decode_drop_name(drop)) return decode_drop_help(drop);
    }
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
#define DIJK_ADD(name, help) name += o.name;
  DIJK_DECODE_COUNTERS(DIJK_ADD)
#undef DIJK_ADD
  for (std::size_t i = 0; i < kDecodeDropCount; ++i) drops[i] += o.drops[i];
  return *this;
}

}  // namespace dijk::wire
