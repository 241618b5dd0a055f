#include "dataplane/pipeline/live_set.h"

#include <cstdio>
#include <filesystem>

namespace dijk {

namespace {
// With `serve_later`, a refused file (corrupt, or of a format this build does not read, as after a software
// update that changed it) leaves no set rather than no daemon: the reason goes to *refused, and the
// watcher serves the next file installed there.
std::shared_ptr<const HashSet> open_if_named(const std::string& path, bool serve_later = false,
                                             std::string* refused = nullptr) {
  if (path.empty()) return nullptr;
  std::error_code ec;
  if (serve_later && !std::filesystem::exists(path, ec)) {
    std::fprintf(stderr, "dijkd: no set at %s yet: nothing matches until one is installed there\n",
                 path.c_str());
    return nullptr;
  }
  try {
    return HashSet::open(path, SetVerification::full);
  } catch (const SetFileError& e) {
    if (!serve_later) throw;
    std::fprintf(stderr, "dijkd: set refused: %s: nothing matches until a readable one is installed there\n",
                 e.what());
    if (refused != nullptr) *refused = e.what();
    return nullptr;
  }
}
}  // namespace

LiveSet::LiveSet(const std::string& path, bool serve_later)
    : path_(path), holder_(open_if_named(path, serve_later, &refused_at_start_)) {
  watcher_ = make_watcher();
}

LiveSet::~LiveSet() = default;

std::unique_ptr<SetWatcher> LiveSet::make_watcher() {
  if (path_.empty()) return nullptr;
  return std::make_unique<SetWatcher>(
      holder_, path_, [this](const HashSet&) { generation_.fetch_add(1, std::memory_order_acq_rel); });
}

void LiveSet::watch(std::chrono::milliseconds interval) {
  std::lock_guard lock(mutex_);
  interval_ = interval;
  if (watcher_) watcher_->start(interval);
}

bool LiveSet::check_now() {
  std::lock_guard lock(mutex_);
  return watcher_ && watcher_->check_now();
}

void LiveSet::retarget(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (path == path_) return;
  auto next = open_if_named(path);  // throws: the current set and its watcher stay
  watcher_.reset();
  path_ = path;
  holder_.swap(std::move(next));
  generation_.fetch_add(1, std::memory_order_acq_rel);
  watcher_ = make_watcher();
  if (watcher_ && interval_.count() > 0) watcher_->start(interval_);
}

std::string LiveSet::path() const {
  std::lock_guard lock(mutex_);
  return path_;
}

SetWatchStatus LiveSet::status() const {
  std::lock_guard lock(mutex_);
  SetWatchStatus s = watcher_ ? watcher_->status() : SetWatchStatus{};
  if (s.failures == 0 && s.swaps == 0 && !refused_at_start_.empty()) {
    s.failures = 1;
    s.last_error = refused_at_start_;
  }
  return s;
}

}  // namespace dijk
