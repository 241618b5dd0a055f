#include "hashcore/setswap/set_holder.h"

namespace dijk {

SetWatcher::SetWatcher(SetHolder& holder, std::string path, Swapped on_swap, Refused on_refused)
    : holder_(holder),
      path_(std::move(path)),
      on_swap_(std::move(on_swap)),
      on_refused_(std::move(on_refused)) {
  // The set live at start is whatever the holder has; remember the files as they are now so an unchanged
  // set is not swapped in again.
  seen_base_ = set_file_identity(path_);
  seen_overlay_ = set_file_identity(overlay_path_for(path_));
  if (auto live = holder_.current()) status_.version = live->version();
}

SetWatcher::~SetWatcher() {
  stop();
}

bool SetWatcher::check_now() {
  std::lock_guard lock(mutex_);
  const auto overlay = set_file_identity(overlay_path_for(path_));
  const auto base = set_file_identity(path_);
  if (!base) return false;
  if (base == seen_base_ && overlay == seen_overlay_) return false;
  seen_base_ = base;
  seen_overlay_ = overlay;
  std::shared_ptr<const HashSet> next;
  try {
    const auto live = holder_.current();
    next = HashSet::open(path_, SetVerification::full, 1, live.get());
    if (live && next->header_checksum() == live->header_checksum() &&
        &next->base_file() == &live->base_file())
      return false;  // the same set (a merged-away overlay removed after its base was swapped in)
  } catch (const std::exception& e) {
    ++status_.failures;
    status_.last_error = e.what();
    if (on_refused_) on_refused_(status_.last_error);
    return false;
  }
  const std::shared_ptr<const HashSet> live = next;
  holder_.swap(std::move(next));
  status_.version = live->version();
  status_.last_error.clear();  // the error was about a file no longer there
  ++status_.swaps;
  if (on_swap_) on_swap_(*live);
  return true;
}

void SetWatcher::start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, interval, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      check_now();
      lock.lock();
    }
  });
}

void SetWatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SetWatchStatus SetWatcher::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace dijk
