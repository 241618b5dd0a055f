#include "dataplane/stream/stream_counters.h"

namespace dijk {

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
#define DIJK_NAME(name, help) \
  case DropReason::name:      \
    return #name;
    DIJK_DROP_REASONS(DIJK_NAME)
#undef DIJK_NAME
  }
  return "unknown";
}

std::string_view stream_counter_help(std::string_view name) {
#define DIJK_HELP(counter, help) \
  if (name == #counter) return help;
  DIJK_TCP_COUNTERS(DIJK_HELP)
  DIJK_HTTP_COUNTERS(DIJK_HELP)
  DIJK_MATCH_COUNTERS(DIJK_HELP)
  DIJK_IPS_COUNTERS(DIJK_HELP)
#undef DIJK_HELP
#define DIJK_DROP_HELP(reason, help) \
  if (name == "drop_" #reason) return help;
  DIJK_DROP_REASONS(DIJK_DROP_HELP)
#undef DIJK_DROP_HELP
  return {};
}

StreamCounters& StreamCounters::operator+=(const StreamCounters& o) {
#define DIJK_SUM(name, help) name += o.name;
  DIJK_TCP_COUNTERS(DIJK_SUM)
  DIJK_HTTP_COUNTERS(DIJK_SUM)
  DIJK_MATCH_COUNTERS(DIJK_SUM)
  DIJK_IPS_COUNTERS(DIJK_SUM)
#undef DIJK_SUM
  for (std::size_t i = 0; i < kDropReasonCount; ++i) drops[i] += o.drops[i];
  return *this;
}

}  // namespace dijk
