#pragma once
// What dijk-watch does, apart from the daemon shell around it: the live set, the journal hits go to, the
// spool watcher over the [[scan.watch]] trees, the reads of what settled, the checkpoint and the catalog's
// retro-hunts. turn() runs one round of that on the main thread; status() and collect() are called from
// the admin and metrics threads and read only atomics and thread-safe parts (LiveSet).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/admin/status.h"
#include "config/metrics/registry.h"
#include "config/schema/config.h"

namespace dijk {
class LiveSet;
namespace journal {
class JournalWriter;
}
namespace catalog {
class CatalogStore;
}
namespace watch {
class SpoolWatcher;
class CatalogHunter;
}  // namespace watch

namespace watch {

// Totals since start; written by the main thread, read by any.
struct WatchCounters {
  std::atomic<std::uint64_t> files{0}, bytes{0}, hits{0}, retrohunt_hits{0}, read_errors{0};
  std::atomic<std::uint64_t> events{0}, overflows{0}, pending_full{0}, pending{0};
  std::atomic<std::int64_t> checkpoint_advanced_ns{0};  // steady clock: when the checkpoint last moved
  std::atomic<std::int64_t> turned_ns{0};               // steady clock: when the main loop last turned
  std::atomic<bool> reading{false};                     // a batch or a tree is being read
};

class WatchService {
 public:
  // Opens the set, the journal, the catalog and the watches; throws with a message an operator can act
  // on. With no [[scan.watch]] tree it idles: status says so and turn() only waits.
  explicit WatchService(const Config& config);
  ~WatchService();
  WatchService(const WatchService&) = delete;
  WatchService& operator=(const WatchService&) = delete;

  // After a restart: files changed since the checkpoint are read first. Then the retro-hunter starts.
  void catch_up();
  // One round: waits up to ~200 ms for events, reads what settled, hunts a new set version.
  void turn();
  // SIGHUP: the set file is looked at now.
  void check_set_now();
  // Flushes the checkpoint and closes the journal; pending paths stay after the checkpoint.
  void stop();

  admin::DaemonStatus status(std::chrono::steady_clock::time_point started) const;
  void collect(std::vector<metrics::Sample>& out) const;
  // The watchdog pings while the main loop turns.
  bool alive() const;
  std::string describe() const;  // for the ready log line

 private:
  class Tree;
  class Checkpoint;
  class Hits;

  void check(std::size_t tree, const std::vector<std::string>& paths, std::int64_t since = 0);
  void mark_turned();

  const Config config_;
  std::vector<std::string> roots_;
  WatchCounters counters_;
  std::unique_ptr<LiveSet> live_;
  std::unique_ptr<journal::JournalWriter> journal_;
  std::unique_ptr<Hits> hits_;
  std::unique_ptr<catalog::CatalogStore> catalog_;
  std::unique_ptr<CatalogHunter> hunter_;
  std::unique_ptr<SpoolWatcher> spool_;
  std::unique_ptr<Checkpoint> checkpoint_;
  std::string backend_;
};

}  // namespace watch
}  // namespace dijk
