#include "dataplane/pipeline/live_set.h"

#include <cstdio>
#include <filesystem>
#include <utility>

#include "hashcore/pdq_index/pdq_set_section.h"

namespace dijk {

namespace {
// With `serve_later`, a refused file (corrupt, or of a format this build does not read, as after a software
// update that changed it) leaves no set rather than no daemon: the reason goes to *refused, and the
// watcher serves the next file installed there.
std::shared_ptr<const HashSet> open_if_named(const std::string& path, const std::string& program,
                                             bool serve_later = false, std::string* refused = nullptr) {
  if (path.empty()) return nullptr;
  std::error_code ec;
  if (serve_later && !std::filesystem::exists(path, ec)) {
    std::fprintf(stderr, "%s: no set at %s yet: nothing matches until one is installed there\n",
                 program.c_str(), path.c_str());
    return nullptr;
  }
  try {
    return HashSet::open(path, SetVerification::full);
  } catch (const SetFileError& e) {
    if (!serve_later) throw;
    std::fprintf(stderr, "%s: set refused: %s: nothing matches until a readable one is installed there\n",
                 program.c_str(), e.what());
    if (refused != nullptr) *refused = e.what();
    return nullptr;
  }
}
}  // namespace

LiveSet::LiveSet(const std::string& path, bool serve_later, std::string program)
    : path_(path),
      program_(std::move(program)),
      holder_(open_if_named(path, program_, serve_later, &refused_at_start_)) {
  if (const auto live = holder_.current()) serving_version_.store(live->version());
  watcher_ = make_watcher();
}

LiveSet::~LiveSet() = default;

std::unique_ptr<SetWatcher> LiveSet::make_watcher() {
  if (path_.empty()) return nullptr;
  // Every swap and refusal goes to the log (the journal's audit trail of what was served when).
  return std::make_unique<SetWatcher>(
      holder_, path_,
      [this](const HashSet& now_live) {
        generation_.fetch_add(1, std::memory_order_acq_rel);
        const std::uint64_t was = serving_version_.exchange(now_live.version());
        const std::string layers = now_live.layered()
                                       ? ", an overlay of " + std::to_string(now_live.overlay_entries()) +
                                             " entries over base version " +
                                             std::to_string(now_live.base_file().version())
                                       : "";
        std::fprintf(stderr, "%s: set: swapped version %llu -> %llu (%llu entries%s)\n", program_.c_str(),
                     static_cast<unsigned long long>(was),
                     static_cast<unsigned long long>(now_live.version()),
                     static_cast<unsigned long long>(set_entry_count(now_live)), layers.c_str());
      },
      [path = path_, program = program_](const std::string& error) {
        std::fprintf(stderr, "%s: set: refused a new file at %s, the current set keeps serving: %s\n",
                     program.c_str(), path.c_str(), error.c_str());
      });
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
  auto next = open_if_named(path, program_);  // throws: the current set and its watcher stay
  watcher_.reset();
  path_ = path;
  const std::uint64_t version = next ? next->version() : 0;
  const std::uint64_t entries = next ? set_entry_count(*next) : 0;
  holder_.swap(std::move(next));
  generation_.fetch_add(1, std::memory_order_acq_rel);
  const std::uint64_t was = serving_version_.exchange(version);
  std::fprintf(stderr, "%s: set: swapped version %llu -> %llu (%llu entries, now from %s)\n",
               program_.c_str(), static_cast<unsigned long long>(was),
               static_cast<unsigned long long>(version), static_cast<unsigned long long>(entries),
               path.c_str());
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
