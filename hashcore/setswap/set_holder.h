#pragma once
// What dijkd holds: the live hash set, swapped without pausing lookups, and a watcher that notices when
// the sync (dijk-control, possibly another process) has renamed a new set file into place.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "hashcore/set/hash_set.h"
#include "hashcore/setswap/epoch_holder.h"

namespace dijk {

using SetHolder = EpochHolder<const HashSet>;

struct SetWatchStatus {
  std::uint64_t version = 0;  // of the set now live
  std::uint64_t swaps = 0;
  std::uint64_t failures = 0;  // new files that did not open or verify (the old set kept serving)
  std::string last_error;
};

// Watches one set path (e.g. /var/lib/dijk/sets/current.set) and its overlay (current.overlay). A
// different inode or modification time at either means a new file was renamed in (or an overlay removed):
// the set is opened with full verification and swapped in. An unchanged base is shared with the live set,
// not mapped again, so a new overlay goes live in milliseconds. A file that does not verify is counted and
// ignored; the live set keeps serving.
class SetWatcher {
 public:
  using Swapped = std::function<void(const HashSet& now_live)>;
  // A new file that did not verify, with the reason (for the daemon's log).
  using Refused = std::function<void(const std::string& error)>;

  SetWatcher(SetHolder& holder, std::string path, Swapped on_swap = {}, Refused on_refused = {});
  ~SetWatcher();
  SetWatcher(const SetWatcher&) = delete;
  SetWatcher& operator=(const SetWatcher&) = delete;

  // Checks once, now; true if a new set was swapped in. Call it from the sync callback in-process.
  bool check_now();
  // Polls every `interval` on a thread of its own until destroyed or stop().
  void start(std::chrono::milliseconds interval);
  void stop();
  SetWatchStatus status() const;

 private:
  SetHolder& holder_;
  std::string path_;
  Swapped on_swap_;
  Refused on_refused_;
  mutable std::mutex mutex_;                                 // guards the fields below and serialises checks
  std::optional<SetFileIdentity> seen_base_, seen_overlay_;  // none: no file there
  SetWatchStatus status_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dijk
