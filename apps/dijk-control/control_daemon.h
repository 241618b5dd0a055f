#pragma once
// What dijk-control runs: the feed link and the report link as the running config wants them, and the
// answers to the admin verbs that are about them. A config change rebuilds the part whose section changed
// (under the lock, so verbs never see a half-built part).
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/dijk-control/feed_link.h"
#include "apps/dijk-control/report_link.h"
#include "config/admin/status.h"
#include "config/metrics/registry.h"
#include "config/schema/config.h"

namespace dijk::control {

inline constexpr const char* kVersion = "0.1.0";

class ControlDaemon {
 public:
  using json = nlohmann::json;
  explicit ControlDaemon(const Config& config) { apply(Config{}, config, true); }

  // ConfigService's apply hook (and the start, with first = true).
  void apply(const Config& old_config, const Config& next, bool first = false);

  admin::DaemonStatus status(std::int64_t started_unix);
  // `sync now`: one sync on the caller's thread; throws AdminError with the reason if it failed.
  json sync_now();
  // SIGUSR1: a sync on the feed's own thread, without waiting for it.
  void request_sync();
  json set_show();
  json set_rollback();
  json hits(const json& args);
  // Sync and delivery counters for the metrics registry.
  void collect(std::vector<metrics::Sample>& out);
  // For the watchdog: false once the reporter's loop has stopped turning.
  bool alive();

 private:
  static constexpr std::uint64_t kBacklogCap = 1'000'000;
  std::mutex mutex_;
  Config config_;
  std::unique_ptr<FeedLink> feed_;
  std::unique_ptr<ReportLink> report_;
  std::string feed_error_, report_error_;
};

}  // namespace dijk::control
