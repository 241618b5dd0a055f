#pragma once
// The hotline's view of its appliances, from the latest heartbeat each sent (`dijk-hotline fleet` and the
// inbox's fleet metrics): when each was last seen, how far its set is behind, and what is wrong with it.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "apps/dijk-hotline/inbox/heartbeat.h"
#include "apps/dijk-hotline/inbox/inbox_store.h"
#include "config/metrics/registry.h"

namespace dijk::hotline {

struct FleetPolicy {
  std::int64_t now = 0;
  // Heartbeats come every 5 minutes at the least: three missed ones make an appliance silent.
  std::int64_t silent_after_s = 15 * 60;
  // A new version reaches appliances within their feed interval, so one behind is normal for a while.
  std::uint64_t max_lag = 1;
  std::optional<std::uint64_t> published;  // the feed's version; else the newest any appliance holds
};

struct FleetEntry {
  std::string appliance;
  std::optional<inbox::Heartbeat> beat;  // nullopt: the stored heartbeat did not parse
  std::int64_t last_seen = 0;            // received at the inbox, unix seconds
  std::int64_t age_s = 0;
  std::uint64_t lag = 0;  // set versions behind the reference
  bool silent = false;
  bool lagging = false;
  std::vector<std::string> problems;  // empty: healthy
};

struct Fleet {
  std::uint64_t reference_version = 0;  // what lag is measured against
  bool reference_published = false;     // from the feed (true) or the newest in the fleet
  std::vector<FleetEntry> entries;      // by appliance
};

Fleet fleet_of(inbox::InboxStore& store, const FleetPolicy& policy);
// A table for people (ISO times, appliance-sent text escaped), or one JSON object a line.
void print_fleet(const Fleet& fleet, bool json, std::ostream& out);
// Gauges per appliance and for the whole fleet, for Prometheus.
void fleet_metrics(const Fleet& fleet, std::vector<metrics::Sample>& out);

}  // namespace dijk::hotline
