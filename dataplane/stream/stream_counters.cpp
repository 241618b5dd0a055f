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

StreamCounters& StreamCounters::operator+=(const StreamCounters& o) {
#define DIJK_SUM(name, help) name += o.name;
  DIJK_TCP_COUNTERS(DIJK_SUM)
  DIJK_HTTP_COUNTERS(DIJK_SUM)
  DIJK_MATCH_COUNTERS(DIJK_SUM)
#undef DIJK_SUM
  for (std::size_t i = 0; i < kDropReasonCount; ++i) drops[i] += o.drops[i];
  return *this;
}

}  // namespace dijk
