#include <sys/stat.h>

#include "hashcore/setswap/set_holder.h"

namespace dijk {

SetWatcher::SetWatcher(SetHolder& holder, std::string path, Swapped on_swap, Refused on_refused)
    : holder_(holder),
      path_(std::move(path)),
      on_swap_(std::move(on_swap)),
      on_refused_(std::move(on_refused)) {
  // The set live at start is whatever the holder has; remember the file as it is now so an unchanged file
  // is not swapped in again.
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    seen_inode_ = st.st_ino;
    seen_mtime_ns_ = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
  }
  if (auto live = holder_.current()) status_.version = live->version();
}

SetWatcher::~SetWatcher() {
  stop();
}

bool SetWatcher::check_now() {
  std::lock_guard lock(mutex_);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return false;
  const std::int64_t mtime = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
  if (st.st_ino == seen_inode_ && mtime == seen_mtime_ns_) return false;
  seen_inode_ = st.st_ino;
  seen_mtime_ns_ = mtime;
  std::shared_ptr<const HashSet> next;
  try {
    next = HashSet::open(path_, SetVerification::full);
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
