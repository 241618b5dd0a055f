#include "dataplane/filescan/path_walker.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dijk {

void FileTaskQueue::push(FileTask task) {
  std::unique_lock lock(mutex_);
  if (tasks_.size() >= capacity_) {
    // Full: sleep until the readers have taken half, then refill in one burst. Waking the walker for
    // every task taken made it trade places with a hashing thread once a file on a two-core machine.
    walker_waiting_ = true;
    not_full_.wait(lock, [&] { return tasks_.size() <= capacity_ / 2; });
    walker_waiting_ = false;
  }
  tasks_.push_back(std::move(task));
  not_empty_.notify_one();
}

void FileTaskQueue::taken() {
  if (walker_waiting_ && tasks_.size() <= capacity_ / 2) not_full_.notify_one();
}

std::optional<FileTask> FileTaskQueue::pop() {
  std::unique_lock lock(mutex_);
  not_empty_.wait(lock, [&] { return !tasks_.empty() || closed_; });
  if (tasks_.empty()) return std::nullopt;
  FileTask t = std::move(tasks_.front());
  tasks_.pop_front();
  taken();
  return t;
}

std::optional<FileTask> FileTaskQueue::try_pop() {
  std::lock_guard lock(mutex_);
  if (tasks_.empty()) return std::nullopt;
  FileTask t = std::move(tasks_.front());
  tasks_.pop_front();
  taken();
  return t;
}

bool FileTaskQueue::closed_and_empty() {
  std::lock_guard lock(mutex_);
  return closed_ && tasks_.empty();
}

void FileTaskQueue::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  not_empty_.notify_all();
}

void PathWalker::walk(const std::vector<std::string>& roots) {
  for (const auto& r : roots) visit(r, true);
}

void PathWalker::visit(const std::string& path, bool is_root) {
  struct stat st {};
  const int rc = options_.follow_symlinks || is_root ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (rc != 0) {
    const int err = errno;
    if (err == ELOOP) {
      on_problem_(path, ScanProblem::symlink_loop, std::strerror(err));
    } else if (err == ENOENT || err == ENOTDIR) {
      struct stat lst {};
      const bool dangling = ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
      on_problem_(path, ScanProblem::vanished, dangling ? "dangling symbolic link" : std::strerror(err));
    } else {
      on_problem_(path, ScanProblem::unreadable, std::strerror(err));
    }
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    const auto key =
        std::make_pair(static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino));
    if (!directories_seen_.insert(key).second) {
      on_problem_(path, ScanProblem::symlink_loop, "directory already visited through another path");
      return;
    }
    walk_directory(path);
    return;
  }
  if (S_ISLNK(st.st_mode)) return;  // only with follow_symlinks off: links are not followed
  if (!S_ISREG(st.st_mode)) {
    on_problem_(path, ScanProblem::special_file,
                S_ISFIFO(st.st_mode)   ? "fifo"
                : S_ISSOCK(st.st_mode) ? "socket"
                                       : "device");
    return;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (options_.max_file_bytes != 0 && size > options_.max_file_bytes) {
    on_problem_(path, ScanProblem::too_large, std::to_string(size) + " bytes");
    return;
  }
  queue_.push({path, size});
}

void PathWalker::walk_directory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    on_problem_(path, errno == ENOENT ? ScanProblem::vanished : ScanProblem::unreadable,
                std::strerror(errno));
    return;
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());  // a stable order makes runs comparable
  const std::string prefix = path.back() == '/' ? path : path + "/";
  for (const auto& n : names) visit(prefix + n, false);
}

const char* scan_problem_name(ScanProblem p) {
  switch (p) {
    case ScanProblem::unreadable:
      return "unreadable";
    case ScanProblem::vanished:
      return "vanished";
    case ScanProblem::symlink_loop:
      return "symlink loop";
    case ScanProblem::special_file:
      return "special file";
    case ScanProblem::changed:
      return "changed while read";
    case ScanProblem::too_large:
      return "too large";
    case ScanProblem::count_:
      break;
  }
  return "unknown";
}

const char* scan_problem_key(ScanProblem p) {
  switch (p) {
    case ScanProblem::unreadable:
      return "unreadable";
    case ScanProblem::vanished:
      return "vanished";
    case ScanProblem::symlink_loop:
      return "symlink_loop";
    case ScanProblem::special_file:
      return "special_file";
    case ScanProblem::changed:
      return "changed_while_read";
    case ScanProblem::too_large:
      return "too_large";
    case ScanProblem::count_:
      break;
  }
  return "unknown";
}

bool scan_problem_is_error(ScanProblem p) {
  return p == ScanProblem::unreadable || p == ScanProblem::vanished || p == ScanProblem::symlink_loop ||
         p == ScanProblem::changed;
}

}  // namespace dijk
