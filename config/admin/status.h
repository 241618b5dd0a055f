// What a daemon answers to the `status` verb. Each daemon fills the parts it has (dijkd: set and rates;
// dijk-control: set, feed and reporter) and leaves the rest empty; dijkctl prints what is there.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dijk::admin {

struct SetStatus {
  std::uint64_t version = 0;
  std::uint64_t entries = 0;
  std::uint64_t age_s = 0;  // since the set was built
  std::string path;
};

struct FeedStatus {
  bool healthy = false;
  std::optional<std::uint64_t> last_success_age_s;
  std::string last_error;
};

struct ReporterStatus {
  std::uint64_t backlog = 0;  // hits in the journal not yet acknowledged by the hotline
  std::uint64_t delivered = 0;
  std::string last_error;
  std::optional<std::uint64_t> last_delivery_age_s;  // since the inbox last acknowledged a batch
  std::string alarm;  // non-empty: hits are waiting and have not been delivered for too long
};

struct Rates {
  double packets_per_s = 0;
  double bytes_per_s = 0;
  double files_per_s = 0;
  double hits_per_s = 0;
};

struct DaemonStatus {
  std::string daemon;  // "dijkd", "dijk-control"
  std::string version;
  std::int64_t pid = 0;
  std::uint64_t uptime_s = 0;
  std::string appliance_id;
  // dijkd: what the dataplane is doing, e.g. "mirror on 0000:3b:00.0, 0000:3b:00.1, 2 worker lcores" or
  // "idle: no ports configured".
  std::string dataplane;
  std::optional<SetStatus> set;
  std::string set_error;  // why the last set file installed was refused (empty once one is taken)
  std::optional<FeedStatus> feed;
  std::optional<ReporterStatus> reporter;
  std::optional<Rates> rates;
  std::vector<std::string> alarms;  // the daemon's own (dijkd: the journal cannot keep up); empty: none
};

inline nlohmann::json to_json(const DaemonStatus& s) {
  nlohmann::json j{{"daemon", s.daemon},
                   {"version", s.version},
                   {"pid", s.pid},
                   {"uptime_s", s.uptime_s},
                   {"appliance_id", s.appliance_id}};
  if (!s.dataplane.empty()) j["dataplane"] = s.dataplane;
  if (s.set) {
    j["set"] = {{"version", s.set->version},
                {"entries", s.set->entries},
                {"age_s", s.set->age_s},
                {"path", s.set->path}};
  }
  if (!s.set_error.empty()) j["set_error"] = s.set_error;
  if (s.feed) {
    j["feed"] = {{"healthy", s.feed->healthy}, {"last_error", s.feed->last_error}};
    j["feed"]["last_success_age_s"] =
        s.feed->last_success_age_s ? nlohmann::json(*s.feed->last_success_age_s) : nlohmann::json();
  }
  if (s.reporter) {
    j["reporter"] = {{"backlog", s.reporter->backlog},
                     {"delivered", s.reporter->delivered},
                     {"last_error", s.reporter->last_error},
                     {"alarm", s.reporter->alarm}};
    j["reporter"]["last_delivery_age_s"] =
        s.reporter->last_delivery_age_s ? nlohmann::json(*s.reporter->last_delivery_age_s) : nlohmann::json();
  }
  if (!s.alarms.empty()) j["alarms"] = s.alarms;
  if (s.rates) {
    j["rates"] = {{"packets_per_s", s.rates->packets_per_s},
                  {"bytes_per_s", s.rates->bytes_per_s},
                  {"files_per_s", s.rates->files_per_s},
                  {"hits_per_s", s.rates->hits_per_s}};
  }
  return j;
}

}  // namespace dijk::admin
