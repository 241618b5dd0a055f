#pragma once
// Turns a watched tree's events (fanotify or inotify) into batches of paths to read. A path is read only once
// it has settled: `settle` after its last close or rename, so a temp-then-rename writer is read once, under
// the final name (the temp name has vanished by then), and a file closed and reopened while being written is
// read when the writer is done with it. Pending paths are bounded: past the bound, the tree a path lies
// in is walked whole instead, as after a kernel queue overflow, so no written file is ever skipped.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/filewatch/tree_events.h"

namespace dijk::watch {

struct WatchBatch {
  std::size_t tree = 0;            // index into the roots given
  std::vector<std::string> paths;  // files, and directories to walk whole
};

struct WatchStats {
  std::uint64_t events = 0;        // files closed or renamed in, directories that appeared
  std::uint64_t overflows = 0;     // kernel queue overflows (every tree walked again)
  std::uint64_t pending_full = 0;  // times the pending bound made a whole tree be walked instead
};

class SpoolWatcher {
 public:
  using Clock = std::chrono::steady_clock;
  // Throws std::runtime_error when a root cannot be watched.
  SpoolWatcher(std::vector<std::string> roots, std::chrono::milliseconds settle,
               WatchBackend backend = WatchBackend::automatic, std::size_t max_pending = 100'000);

  // For the log: the backend in use and what it watches, and why fanotify is not used if it is not.
  std::string describe() const { return tree_->describe(); }
  const std::string& why_not_fanotify() const { return why_not_fanotify_; }

  // Walk every tree (after a restart: the caller filters by change time).
  void walk_all();
  // Waits up to max_wait for events, then returns what has settled, one batch a tree.
  std::vector<WatchBatch> next(std::chrono::milliseconds max_wait);
  // Nothing is pending: every event read so far has been handed out.
  bool idle() const { return pending_.empty(); }
  std::size_t pending() const { return pending_.size(); }
  const WatchStats& stats() const { return stats_; }

 private:
  std::size_t tree_of(const std::string& path) const;
  void add(const std::string& path, Clock::time_point due);
  static void drop_covered(std::vector<std::string>& paths);

  // A pending path: when it may be read, and how late a file written under it (a new directory being
  // filled) may still put that off.
  struct Pending {
    Clock::time_point due;
    Clock::time_point latest;
  };

  std::vector<std::string> roots_;
  std::chrono::milliseconds settle_;
  std::size_t max_pending_;
  std::string why_not_fanotify_;
  std::unique_ptr<TreeEvents> tree_;
  std::map<std::string, Pending> pending_;  // ordered: a directory's pending files follow it
  WatchStats stats_;
};

}  // namespace dijk::watch
