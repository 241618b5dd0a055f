#pragma once
// What dijk-control runs: the feed link and one report link per journal (journals_to_report: dijkd's
// "wire" first, then [[reporting.journals]]) as the running config wants them, and the answers to the
// admin verbs that are about them. A config change rebuilds the part whose section changed (under the
// lock, so verbs never see a half-built part).
//
// One Reporter per journal rather than one over several: each journal has its own acknowledged position,
// quarantine and backoff already, so a journal the inbox refuses or cannot read never holds the others
// back, and the Reporter stays the one tested delivery loop. The cost is a thread and a TLS connection
// per journal, of which there are a few.
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "apps/dijk-control/feed_link.h"
#include "apps/dijk-control/report_link.h"
#include "config/admin/status.h"
#include "config/metrics/registry.h"
#include "config/schema/config.h"
#include "config/schema/journals.h"

namespace dijk::control {

class ControlDaemon {
 public:
  using json = nlohmann::json;
  explicit ControlDaemon(const Config& config) { apply(Config{}, config, true); }

  // ConfigService's apply hook (and the start, with first = true).
  void apply(const Config& old_config, const Config& next, bool first = false);

  admin::DaemonStatus status(std::int64_t started_unix);
  // The appliance's heartbeat for the inbox (apps/dijk-control/heartbeat.h), or nullopt while a config
  // change holds the daemon: the reporter's thread asks, and a rebuild joins that thread, so this never
  // waits for the daemon's lock.
  std::optional<json> heartbeat();
  // `sync now`: wakes the feed's thread for a sync and answers at once ("sync requested", or "already
  // running" and another follows it) with the ticket sync_status() shows completed; never waits on the
  // network. Throws AdminError when no feed runs.
  json sync_now();
  // The last sync's outcome, whether one is running, and how many completed (for `sync now --wait`).
  json sync_status();
  // SIGUSR1: a sync on the feed's own thread, without waiting for it.
  void request_sync();
  json set_show();
  json set_rollback();
  // `set merge`: the installed overlay folded into a new base now, on the feed's merger thread (nice 19);
  // answers at once with a ticket that sync_status()'s merge_runs reaches when that merge has run.
  json set_merge();
  json hits(const json& args);
  // The quarantine of hits the inbox refused for good: list, retry {id|all}, drop {id|all, reason}.
  json quarantine_list();
  json quarantine_retry(const json& args);
  json quarantine_drop(const json& args);
  // Sync and delivery counters for the metrics registry.
  void collect(std::vector<metrics::Sample>& out);
  // For the watchdog: false once the reporter's loop has stopped turning.
  bool alive();

 private:
  static constexpr std::uint64_t kBacklogCap = 1'000'000;
  struct Reported {
    ReportedJournal journal;
    std::unique_ptr<ReportLink> link;  // null: no inbox configured, or the link did not start
  };
  Reported& reported_locked(const std::string& journal);  // throws AdminError for a journal not reported
  template <typename F>
  auto with_quarantine(Reported& r, F use);  // the reporter's store, or the files alone when none runs
  // Stops the running feed link without waiting for it (the next link's first sync waits for its set
  // directory lock instead), and drops stopped links that have finished.
  void retire_feed_locked();
  admin::DaemonStatus status_locked(std::int64_t started_unix);

  std::mutex mutex_;
  Config config_;
  std::unique_ptr<FeedLink> feed_;
  std::uint64_t feed_generation_ = 0;               // counts links built, so a waiting client sees a rebuild
  std::vector<std::unique_ptr<FeedLink>> retired_;  // stopped, maybe still winding down a sync
  std::vector<Reported> reports_;                   // every journal reported, "wire" first
  std::string feed_error_, report_error_;
};

}  // namespace dijk::control
