#pragma once
// The summary dijkd prints when it ends: every port's, every worker's and the total counters (plus the
// daemon's own: PDQ stage, hits reported), as text or as one {"summary":...} JSON line.
#include "dataplane/dpdk/dataplane.h"

namespace dijk {

void print_summary(const dpdk::Dataplane& dp, const dpdk::CounterList& daemon_counters, bool json);

}  // namespace dijk
