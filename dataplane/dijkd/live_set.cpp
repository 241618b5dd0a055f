#include "dataplane/dijkd/live_set.h"

#include <cstdio>
#include <filesystem>

namespace dijk {

namespace {
std::shared_ptr<const HashSet> open_if_named(const std::string& path, bool may_be_missing = false) {
  if (path.empty()) return nullptr;
  std::error_code ec;
  if (may_be_missing && !std::filesystem::exists(path, ec)) {
    std::fprintf(stderr, "dijkd: no set at %s yet: nothing matches until one is installed there\n",
                 path.c_str());
    return nullptr;
  }
  return HashSet::open(path, SetVerification::full);
}
}  // namespace

LiveSet::LiveSet(const std::string& path, bool may_be_missing)
    : path_(path), holder_(open_if_named(path, may_be_missing)) {
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
  if (watcher_) return watcher_->status();
  return {};
}

}  // namespace dijk
