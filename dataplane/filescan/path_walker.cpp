#include "dataplane/filescan/path_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

#include "dataplane/catalog/catalog_store.h"

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
  flush_unchanged();
}

void PathWalker::walk_list(std::istream& list) {
  std::string line;
  while (std::getline(list, line)) {
    if (!line.empty()) visit(line, true);
  }
  flush_unchanged();
}

void PathWalker::visit(const std::string& path, bool is_root, int dir_fd, const char* name) {
  // Below a directory, stat by name relative to it: the kernel then looks up one name, not every
  // component of the path again (a re-scan with the catalog is mostly these stats).
  const int at = name != nullptr ? dir_fd : AT_FDCWD;
  const char* what = name != nullptr ? name : path.c_str();
  struct stat st {};
  const int rc = ::fstatat(at, what, &st, options_.follow_symlinks || is_root ? 0 : AT_SYMLINK_NOFOLLOW);
  if (rc != 0) {
    const int err = errno;
    if (err == ELOOP) {
      on_problem_(path, ScanProblem::symlink_loop, std::strerror(err));
    } else if (err == ENOENT || err == ENOTDIR) {
      struct stat lst {};
      const bool dangling = ::fstatat(at, what, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode);
      on_problem_(path, ScanProblem::vanished, dangling ? "dangling symbolic link" : std::strerror(err));
    } else {
      on_problem_(path, ScanProblem::unreadable, std::strerror(err));
    }
    return;
  }
  const FileKey key{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
  if (S_ISDIR(st.st_mode)) {
    if (options_.filter.excluded(path)) {
      counters_.add(counters_.excluded);
      return;
    }
    if (!directories_seen_.insert(key).second) {
      // A root named again is a repeat; below a root, a directory reached twice is a link loop.
      if (!is_root)
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
  if (!options_.filter.takes_file(path)) {
    counters_.add(counters_.excluded);
    return;
  }
  if (is_root && !root_files_seen_.insert(key).second) return;  // the same file named twice
  if (options_.changed_since_ns != 0) {
    const std::int64_t changed =
        std::max(std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
                 std::int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec);
    if (changed < options_.changed_since_ns) {
      counters_.add(counters_.excluded);
      return;
    }
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (options_.max_file_bytes != 0 && size > options_.max_file_bytes) {
    on_problem_(path, ScanProblem::too_large, std::to_string(size) + " bytes");
    return;
  }
  const FileStat file_stat{static_cast<std::uint32_t>(st.st_uid),
                           std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
  const catalog::CatalogKey catalog_key{key.first, key.second};
  const catalog::StatStamp stamp{size, file_stat.mtime_ns,
                                 std::int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec};
  hand_over({path, size, file_stat, catalog_key, stamp});
}

void PathWalker::hand_over(FileTask task) {
  if (options_.catalog != nullptr && !options_.reread_unchanged) {
    awaiting_catalog_.push_back(std::move(task));
    if (awaiting_catalog_.size() >= 1024) flush_unchanged();
    return;
  }
  counters_.add(counters_.listed_files);
  counters_.add(counters_.listed_bytes, task.size);
  queue_.push(std::move(task));
}

void PathWalker::flush_unchanged() {
  if (awaiting_catalog_.empty()) return;
  std::vector<catalog::CatalogKey> keys;
  keys.reserve(awaiting_catalog_.size());
  for (const auto& t : awaiting_catalog_) keys.push_back(t.key);
  const auto known = options_.catalog->stamps(keys);
  for (std::size_t i = 0; i < awaiting_catalog_.size(); ++i) {
    FileTask& t = awaiting_catalog_[i];
    if (known[i] && *known[i] == t.stamp) {
      counters_.add(counters_.unchanged);
      continue;
    }
    counters_.add(counters_.listed_files);
    counters_.add(counters_.listed_bytes, t.size);
    queue_.push(std::move(t));
  }
  awaiting_catalog_.clear();
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
  std::sort(names.begin(), names.end());  // a stable order makes runs comparable
  const std::string prefix = path.back() == '/' ? path : path + "/";
  // The directory stays open while its entries are visited, for stats relative to it; past a depth
  // of 64 it is closed first (a descriptor a level), and entries are stat'ed by their whole path.
  const bool keep_open = ++depth_ <= 64;
  if (!keep_open) {
    ::closedir(dir);
    dir = nullptr;
  }
  for (const auto& n : names)
    visit(prefix + n, false, dir != nullptr ? ::dirfd(dir) : AT_FDCWD, dir != nullptr ? n.c_str() : nullptr);
  --depth_;
  if (dir != nullptr) ::closedir(dir);
}

namespace {
// One row a problem: what people read, and the snake_case form JSON keys and values use.
struct ProblemNames {
  const char* text;
  const char* key;
};
constexpr ProblemNames kProblemNames[] = {
    {"unreadable", "unreadable"},
    {"vanished", "vanished"},
    {"symlink loop", "symlink_loop"},
    {"special file", "special_file"},
    {"changed while read", "changed_while_read"},
    {"too large", "too_large"},
};
static_assert(std::size(kProblemNames) == static_cast<std::size_t>(ScanProblem::count_));

const ProblemNames* names_of(ScanProblem p) {
  const auto i = static_cast<std::size_t>(p);
  return i < std::size(kProblemNames) ? &kProblemNames[i] : nullptr;
}
}  // namespace

const char* scan_problem_name(ScanProblem p) {
  const auto* n = names_of(p);
  return n ? n->text : "unknown";
}

const char* scan_problem_key(ScanProblem p) {
  const auto* n = names_of(p);
  return n ? n->key : "unknown";
}

bool scan_problem_is_error(ScanProblem p) {
  return p == ScanProblem::unreadable || p == ScanProblem::vanished || p == ScanProblem::symlink_loop ||
         p == ScanProblem::changed;
}

}  // namespace dijk
