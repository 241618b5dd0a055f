#pragma once
// The appliance side of the feed: fetch the manifest, verify the chain of signatures and freshness, fetch
// the deltas (or the snapshot when too far behind), check every length and SHA-256, build the new set file
// beside the old one, fsync, rename, and tell whoever serves lookups. Any failure leaves the installed set
// in place and is recorded with its reason.
//
// Set directory:  current.set (live), previous.set (for `set rollback`), feed-state (highest version and
//                 key serial accepted: what makes replays and revoked keys refusable), sync-status (text).
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/feed/trust.h"
#include "control/sync/fetcher.h"

namespace dijk::sync {

struct SyncConfig {
  std::string feed_name;
  std::vector<feed::PublicKey> roots;  // pinned root keys
  std::string set_dir;
  std::uint64_t max_snapshot_bytes = std::uint64_t{8} << 30;
  std::uint64_t max_delta_bytes = std::uint64_t{1} << 30;
  std::int64_t max_clock_skew = 300;
};

struct SyncStatus {
  std::int64_t last_attempt = 0;  // unix seconds
  std::int64_t last_success = 0;
  std::uint64_t installed_version = 0;  // version of current.set
  std::uint64_t accepted_version = 0;   // highest manifest version accepted (replays below are refused)
  std::uint64_t key_serial = 0;         // highest feed key serial seen
  std::uint64_t feed_version_seen = 0;  // from the last manifest that verified
  std::int64_t feed_expires = 0;
  feed::Failure last_failure = feed::Failure::none;
  std::string last_error;
  std::string last_method;  // "up to date", "snapshot", "deltas N"
  double last_seconds = 0;
  // Where the last install's time went: download and checks, reading and applying, building, verifying.
  double fetch_seconds = 0, apply_seconds = 0, build_seconds = 0, verify_seconds = 0;
  std::uint64_t attempts = 0;
  std::uint64_t installs = 0;
  std::array<std::uint64_t, feed::kFailureCount> failures{};  // by reason

  // For `dijkctl status` and the metrics: `key value` lines, failure counters as `failures.<reason> N`.
  std::string to_text() const;
};

class Syncer {
 public:
  using Installed = std::function<void(const std::string& set_path, std::uint64_t version)>;
  using Clock = std::function<std::int64_t()>;

  Syncer(SyncConfig config, std::unique_ptr<Fetcher> fetcher, Clock clock = {});

  // Called after a new current.set is in place (in-process: SetWatcher::check_now or a direct swap).
  void on_installed(Installed callback) { installed_ = std::move(callback); }
  // Called after every sync, failed or not, with the installed version before it (for the daemon's log).
  using Finished = std::function<void(std::uint64_t installed_before, const SyncStatus& after)>;
  void on_finished(Finished callback) { finished_ = std::move(callback); }

  // One sync, now. Thread-safe (syncs are serialised). Returns the status after it.
  SyncStatus sync_once();
  // Syncs every `interval` and whenever request_sync() is called, until stop().
  void run(std::chrono::seconds interval);
  void request_sync();
  void stop();

  SyncStatus status() const;
  std::string current_path() const;
  std::string previous_path() const;

 private:
  struct Outcome {
    feed::Failure failure = feed::Failure::none;
    std::string detail;
  };
  Outcome attempt(SyncStatus& st);
  void load_state(SyncStatus& st) const;
  void save_state(const SyncStatus& st) const;

  SyncConfig config_;
  std::unique_ptr<Fetcher> fetcher_;
  Clock clock_;
  Installed installed_;
  Finished finished_;
  std::mutex sync_mutex_;
  mutable std::mutex status_mutex_;
  SyncStatus status_;
  std::mutex run_mutex_;
  std::condition_variable run_cv_;
  bool requested_ = false;
  bool stopping_ = false;
};

// Swaps current.set and previous.set atomically (renameat2 RENAME_EXCHANGE). The accepted version is not
// lowered: a rolled-back appliance still refuses replays and takes the next version by delta.
void rollback_set(const std::string& set_dir);

}  // namespace dijk::sync
