#pragma once
// The hash set dijkd serves, swapped while it runs: a SetHolder (hashcore/setswap) with a SetWatcher on the
// installed set file (as dijk-control's sync renames it into place). Each stage that matches (a worker's
// StreamPipeline, the PDQ thread) keeps a counted reference to the set it uses and compares generation()
// between bursts: a changed generation means "take current() now". The old mapping is released when the
// last stage has moved on (within a tick, ~1 ms), so at most two versions are mapped at once.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "hashcore/setswap/set_holder.h"

namespace dijk {

class LiveSet {
 public:
  // Opens `path` (fully verified) if not empty; without a set nothing matches. With `serve_later` (the
  // daemon), a path where no file exists yet (a new appliance before its first sync) or whose file is
  // refused (corrupt, or a set format this build does not read) starts with no set, says why in status(),
  // and serves the next file installed there; otherwise a missing or refused file throws. `program`
  // prefixes the log lines (swaps, refusals): the daemon that serves this set.
  explicit LiveSet(const std::string& path, bool serve_later = false, std::string program = "dijkd");
  ~LiveSet();
  LiveSet(const LiveSet&) = delete;
  LiveSet& operator=(const LiveSet&) = delete;

  // Polls the set file every `interval` for a new one (a different inode or mtime).
  void watch(std::chrono::milliseconds interval);
  // Checks the file now (SIGHUP, `dijkctl` reload); true if a new set went live.
  bool check_now();

  // Serves the set at another path from now on (paths.set changed on reload). Throws if it does not open
  // and verify; the current set keeps serving then.
  void retarget(const std::string& path);

  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const HashSet> current() const { return holder_.current(); }
  std::string path() const;
  SetWatchStatus status() const;

 private:
  std::unique_ptr<SetWatcher> make_watcher();

  mutable std::mutex mutex_;  // guards path_, watcher_ and interval_ (admin and main threads)
  std::string path_;
  std::string program_;           // declared before holder_: the first open logs with it
  std::string refused_at_start_;  // declared before holder_, which fills it
  SetHolder holder_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint64_t> serving_version_{0};  // for the swap log line: "version 4 -> 5"
  std::unique_ptr<SetWatcher> watcher_;
  std::chrono::milliseconds interval_{0};  // 0: not polling
};

}  // namespace dijk
