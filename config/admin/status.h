// What a daemon answers to the `status` verb. Each daemon fills the parts it has (dijkd: set, rates and
// drops; dijk-control: set, feed and reporter; both: config) and leaves the rest empty; dijkctl prints
// what is there. `problems` says why the daemon is degraded (none: healthy): dijkctl's exit status.
#pragma once

#include <cstdint>
#include <ctime>
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
  bool configured = true;                    // false: feed.url is empty (sets are imported by hand)
  std::uint64_t installed_version = 0;       // the set version the feed installed last (current.set)
  std::uint64_t feed_version = 0;            // the newest version the feed's last verified manifest offered
  std::optional<std::int64_t> expires_unix;  // when that manifest stops being fresh
  std::uint64_t base_version = 0;            // the installed set's base file (current.set)
  std::uint64_t overlay_entries = 0;         // in current.overlay over it (0: none; merged in the background)
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

// Traffic the daemon saw but could not fully process, since it started.
struct Drops {
  std::uint64_t nic = 0;              // frames the ports missed or had no buffer for (imissed + rx_nombuf)
  std::uint64_t forward = 0;          // inline mode: frames not forwarded
  std::uint64_t flow_evictions = 0;   // flows pushed out of a full flow table
  std::uint64_t truncated_files = 0;  // files with a gap or cut short: never matched
  std::uint64_t pdq_skipped = 0;      // images not PDQ-hashed (queue full or too large)
};

// dijk-watch: the watched trees and what has been checked in them since start.
struct WatchStatus {
  std::string backend;  // "fanotify (filesystem marks)", "inotify", or why it is idle
  std::uint64_t trees = 0;
  std::uint64_t files_checked = 0;
  std::uint64_t bytes_checked = 0;
  std::uint64_t hits = 0;                         // exact and PDQ hits of written files
  std::uint64_t retrohunt_hits = 0;               // stored files a new set version made hits
  std::uint64_t hunts = 0;                        // retro-hunts run against new set versions
  std::uint64_t overflows = 0;                    // kernel queue overflows: the trees were walked again
  std::uint64_t pending = 0;                      // paths waiting to settle
  std::optional<std::uint64_t> checkpoint_age_s;  // since the checkpoint was last advanced
  std::string catalog;                            // the catalog folder; empty: none
};

// The running config against the file and the confirm window.
struct ConfigStatus {
  std::optional<std::uint64_t> pending_confirm_ms;  // an unconfirmed change reverts in this time
  std::string pending_change;                       // the keys it changed
  std::vector<std::string> restart_pending;         // saved in the file, applied at the next restart
  std::vector<std::string> file_differs;            // the file changed since the last reload: these keys
  std::string file_error;                           // the file does not validate (a restart would fail)
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
  std::optional<Drops> drops;
  std::optional<WatchStatus> watch;
  std::optional<ConfigStatus> config;
  std::vector<std::string> alarms;  // the daemon's own (dijkd: the journal cannot keep up); empty: none
};

// "2026-11-28T19:00:00Z".
inline std::string iso_utc(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Why the daemon is degraded, one reason each; empty when it is healthy. A feed that is not configured and
// a reporter without an inbox are choices, not problems.
inline std::vector<std::string> problems_of(const DaemonStatus& s) {
  std::vector<std::string> out;
  const bool idle_watcher = s.watch && s.watch->trees == 0;  // dijk-watch with nothing to watch needs no set
  if (!s.set && !idle_watcher) {
    out.push_back("no set" + (s.set_error.empty() ? std::string(": nothing matches") : ": " + s.set_error));
  } else if (!s.set_error.empty()) {
    out.push_back("set file refused (the previous set serves): " + s.set_error);
  }
  if (s.feed && s.feed->configured && !s.feed->healthy) {
    out.push_back("feed unhealthy: " + (s.feed->last_error.empty() ? std::string("?") : s.feed->last_error));
  }
  if (s.reporter && !s.reporter->alarm.empty()) out.push_back("alarm: " + s.reporter->alarm);
  for (const auto& alarm : s.alarms) out.push_back("alarm: " + alarm);
  if (s.config && !s.config->file_error.empty()) {
    out.push_back("config file has errors (a restart would fail): " + s.config->file_error);
  }
  return out;
}

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
    const auto& f = *s.feed;
    j["feed"] = {
        {"healthy", f.healthy},
        {"configured", f.configured},
        {"last_error", f.last_error},
        {"installed_version", f.installed_version},
        {"feed_version", f.feed_version},
        {"base_version", f.base_version},
        {"overlay_entries", f.overlay_entries},
        {"lag_versions", f.feed_version > f.installed_version ? f.feed_version - f.installed_version : 0}};
    j["feed"]["last_success_age_s"] =
        f.last_success_age_s ? nlohmann::json(*f.last_success_age_s) : nlohmann::json();
    j["feed"]["expires"] = f.expires_unix ? nlohmann::json(iso_utc(*f.expires_unix)) : nlohmann::json();
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
  if (s.drops) {
    j["drops"] = {{"nic", s.drops->nic},
                  {"forward", s.drops->forward},
                  {"flow_evictions", s.drops->flow_evictions},
                  {"truncated_files", s.drops->truncated_files},
                  {"pdq_skipped", s.drops->pdq_skipped}};
  }
  if (s.watch) {
    const auto& w = *s.watch;
    j["watch"] = {{"backend", w.backend},
                  {"trees", w.trees},
                  {"files_checked", w.files_checked},
                  {"bytes_checked", w.bytes_checked},
                  {"hits", w.hits},
                  {"retrohunt_hits", w.retrohunt_hits},
                  {"hunts", w.hunts},
                  {"overflows", w.overflows},
                  {"pending", w.pending},
                  {"catalog", w.catalog}};
    j["watch"]["checkpoint_age_s"] =
        w.checkpoint_age_s ? nlohmann::json(*w.checkpoint_age_s) : nlohmann::json();
  }
  if (s.config) {
    const auto& c = *s.config;
    j["config"] = {{"pending_change", c.pending_change},
                   {"restart_pending", c.restart_pending},
                   {"file_differs", c.file_differs},
                   {"file_error", c.file_error}};
    j["config"]["pending_confirm_ms"] =
        c.pending_confirm_ms ? nlohmann::json(*c.pending_confirm_ms) : nlohmann::json();
  }
  j["problems"] = problems_of(s);
  return j;
}

}  // namespace dijk::admin
