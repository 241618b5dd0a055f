#pragma once
// The appliance side of the feed: fetch the manifest, verify the chain of signatures and freshness, fetch
// the deltas (or the snapshot when too far behind), check every length and SHA-256, build the new set file
// beside the old one, fsync, rename, and tell whoever serves lookups. Any failure leaves the installed set
// in place and is recorded with its reason.
//
// Set directory:  current.set (live) and current.overlay (a delta's changes over it, when there is one;
//                 merged into a new current.set in the background), previous.set and previous.overlay
//                 (for `set rollback`), sync-status (text), and
//                 feed-state: the feed's own memory, for the feed name and pinned root keys it names:
//                 the highest version and key serial accepted (what makes replays and revoked keys
//                 refusable) and which set files this feed installed. A current.set the feed did not
//                 install (imported by hand, or from another feed) or that fails verification counts as
//                 none: the feed's snapshot replaces it, and the sync says so (SyncStatus::last_note).
// A sync holds an exclusive flock on the set directory, so two syncers (a reconfigured daemon's old and
// new one, or `dijk-control sync-once` beside the daemon) and a rollback never interleave.
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "control/feed/content.h"
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
  // Deltas go live as an overlay beside the installed base (milliseconds, whatever the base's size);
  // false rebuilds the whole set for every delta, as before overlays.
  bool layered = true;
  // An overlay with this many entries or more is merged into a new base in the background (run()). Up to
  // here its table stays within the CPU's caches, so asking it before the base costs lookups little.
  std::uint64_t merge_at_entries = 65536;
  // A merge pauses after each phase (and each copied chunk) this many times as long as it took: 2 cuts
  // its pressure on the memory bus the lookups share to a third, for a merge three times as long.
  double merge_pause_ratio = 2.0;
  // Told each step a merge has completed ("written", "verified", "recorded", "renamed", "overlay
  // removed"), for tests that kill the process there; empty in the daemons.
  std::function<void(std::string_view step)> merge_step;
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
  // Why the last sync replaced the installed set rather than updating it (failed verification, not from
  // this feed), or that the feed-state belonged to another feed; empty otherwise.
  std::string last_note;
  double last_seconds = 0;
  // Where the last install's time went: download and checks, reading and applying, building, verifying.
  double fetch_seconds = 0, apply_seconds = 0, build_seconds = 0, verify_seconds = 0;
  std::uint64_t attempts = 0;
  std::uint64_t installs = 0;
  // The installed set's layers: its base's version and the overlay's entries (0: no overlay).
  std::uint64_t base_version = 0;
  std::uint64_t overlay_entries = 0;
  std::uint64_t merges = 0;      // overlays merged into a new base
  std::uint64_t merge_runs = 0;  // merges run, whatever they did (a request_merge() ticket's counter)
  double last_merge_seconds = 0;
  std::string last_merge;  // what the last merge did ("merged version 7: 70000 entries", "superseded")
  std::array<std::uint64_t, feed::kFailureCount> failures{};  // by reason

  // For `dijkctl status` and the metrics: `key value` lines, failure counters as `failures.<reason> N`.
  std::string to_text() const;
};

// What request_sync() answers: whether a sync was already running, and which sync's outcome answers the
// request (it completes when SyncStatus::attempts reaches `ticket`). request_merge() answers the same for
// merges (SyncStatus::merge_runs).
struct SyncRequest {
  bool already_running = false;
  std::uint64_t ticket = 0;
};

class Syncer {
 public:
  using Installed = std::function<void(const std::string& set_path, std::uint64_t version)>;
  using Note = std::function<void(const std::string& line)>;
  using Clock = std::function<std::int64_t()>;

  Syncer(SyncConfig config, std::unique_ptr<Fetcher> fetcher, Clock clock = {});

  // Called after a new current.set is in place (in-process: SetWatcher::check_now or a direct swap).
  void on_installed(Installed callback) { installed_ = std::move(callback); }
  // Called after every sync, failed or not, with the installed version before it (for the daemon's log).
  using Finished = std::function<void(std::uint64_t installed_before, const SyncStatus& after)>;
  void on_finished(Finished callback) { finished_ = std::move(callback); }
  // Told each last_note as it happens (the daemon logs it).
  void on_note(Note callback) { note_ = std::move(callback); }

  // One sync, now. Thread-safe (syncs are serialised). Returns the status after it.
  SyncStatus sync_once();
  // Syncs every `interval` and whenever request_sync() is called, until stop().
  void run(std::chrono::seconds interval);
  // Wakes run() for a sync (after the one in progress, if any); never waits for the network or a sync.
  SyncRequest request_sync();
  // Ends run() and cancels a fetch in progress; returns at once (run() returns once the sync in progress
  // has wound down).
  void stop();
  bool running() const;

  // Merges the installed overlay into a new base of the same version, at once: the base is built and
  // verified without holding the set directory, and installed only if no sync moved the set on meanwhile
  // ("superseded"; the next merge takes the new overlay). Returns what it did, also in status().last_merge.
  std::string merge_overlay();
  // Wakes run()'s merger for a merge of the installed overlay now, whatever its size (an operator who
  // wants the base whole before a busy hour); returns at once, never waits for a merge.
  SyncRequest request_merge();

  SyncStatus status() const;
  std::string current_path() const;
  std::string previous_path() const;

 private:
  struct Outcome {
    feed::Failure failure = feed::Failure::none;
    std::string detail;
  };
  // A set file the feed installed: its version and header checksum.
  struct SetRecord {
    std::uint64_t version = 0;
    std::uint64_t checksum = 0;  // HashSet::header_checksum: names the file, so another set is told apart
    bool operator==(const SetRecord&) const = default;
  };
  // What the set directory says before a sync.
  struct Local {
    std::vector<SetRecord> installed;  // the sets this feed installed (current and previous, at most)
    SetRecord current;                 // current.set, when it is one of them
    bool other_set = false;            // current.set is readable but not the feed's
    std::uint64_t other_version = 0;
    std::string state_note;  // the feed-state was another feed's
  };
  Outcome attempt(SyncStatus& st, Local& local);
  // A delta path's install as an overlay over the installed set's base (next.overlay -> current.overlay).
  Outcome install_overlay(SyncStatus& st, Local& local, const HashSet& installed,
                          const std::vector<feed::Delta>& deltas, std::uint64_t version);
  // previous.set and previous.overlay become the set served now (hard links), for `set rollback`, and
  // the feed's sets are from now on `built` and that one (if it was the feed's).
  Outcome keep_previous(const SyncStatus& st, Local& local, const SetRecord& built) const;
  // Fills the accepted version, key serial and installed version.
  Local load_state(SyncStatus& st) const;
  // Removes current.overlay when it names another base than current.set's (the merger's chore).
  void remove_stale_overlay() const;
  void save_state(const SyncStatus& st, const Local& local) const;
  void note(SyncStatus& st, const std::string& line);

  SyncConfig config_;
  std::unique_ptr<Fetcher> fetcher_;
  Clock clock_;
  Installed installed_;
  Finished finished_;
  Note note_;
  std::mutex sync_mutex_;
  mutable std::mutex status_mutex_;
  SyncStatus status_;
  mutable std::mutex run_mutex_;
  std::condition_variable run_cv_;
  bool requested_ = false;
  bool stopping_ = false;
  bool running_ = false;
  std::uint64_t started_ = 0;  // syncs started (SyncStatus::attempts counts those finished)
  bool merge_requested_ = false;
  bool merge_running_ = false;
  std::uint64_t merges_started_ = 0;  // SyncStatus::merge_runs counts those finished
};

// Swaps current.set and previous.set atomically (renameat2 RENAME_EXCHANGE), and their overlays with them.
// The accepted version is not lowered: a rolled-back appliance still refuses replays and takes the next
// version by delta. Refused (without waiting) while a sync holds the set directory.
void rollback_set(const std::string& set_dir);

}  // namespace dijk::sync
