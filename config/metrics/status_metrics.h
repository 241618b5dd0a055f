// The `status` verb's numbers as Prometheus gauges, so the set, feed and reporter state a daemon reports to
// dijkctl is scraped too without a second source of truth.
#pragma once

#include <functional>

#include "config/admin/status.h"
#include "config/metrics/registry.h"

namespace dijk::metrics {

// Registers a collector that calls `status` at every scrape and emits dijk_build_info{version} 1,
// dijk_uptime_seconds,
// dijk_set_{version,entries,age_seconds}, dijk_feed_{healthy,last_success_age_seconds},
// dijk_reporter_{backlog,delivered_total} and dijk_rate_* for the parts the daemon has.
void export_status(Registry& registry, std::function<admin::DaemonStatus()> status);

}  // namespace dijk::metrics
