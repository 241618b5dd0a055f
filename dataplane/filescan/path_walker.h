#pragma once
// Walks the paths given on the command line, depth first, and hands regular files to the readers through a
// bounded queue (so listing a huge tree never holds every path in memory). Symlinks are followed; a
// directory reached twice (by device and inode) is a loop, counted and named, not entered again.
#include <condition_variable>
#include <deque>
#include <functional>
#include <istream>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/filescan/scan_types.h"

namespace dijk {

// A bounded multi-producer multi-consumer queue of paths. Files, not packets: a mutex is fine here.
class FileTaskQueue {
 public:
  explicit FileTaskQueue(std::size_t capacity) : capacity_(capacity) {}
  void push(FileTask task);
  // Blocks until a task or close(); nullopt means the walk is over and the queue is drained.
  std::optional<FileTask> pop();
  // Non-blocking: a task if one is ready.
  std::optional<FileTask> try_pop();
  bool closed_and_empty();
  void close();

 private:
  void taken();  // with mutex_ held, after a task is removed

  std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<FileTask> tasks_;
  std::size_t capacity_;
  bool closed_ = false;
  bool walker_waiting_ = false;
};

// A path named more than once (twice on the command line, or inside a directory named before it) is
// walked once, and is neither an error nor a loop.
class PathWalker {
 public:
  using ProblemFn =
      std::function<void(const std::string& path, ScanProblem problem, const std::string& detail)>;
  // `counters`: where the walker counts what it listed and what the filter left out.
  PathWalker(const ScanOptions& options, FileTaskQueue& queue, ScanCounters& counters, ProblemFn on_problem)
      : options_(options), queue_(queue), counters_(counters), on_problem_(std::move(on_problem)) {}
  void walk(const std::vector<std::string>& roots);
  // One root a line (`--files-from`), read as the walk goes: a list of 100M paths is never held whole.
  // Empty lines are skipped.
  void walk_list(std::istream& list);

 private:
  using FileKey = std::pair<std::uint64_t, std::uint64_t>;  // device, inode
  // `name` (with `dir_fd`): the path's last component, stat'ed relative to its open directory.
  void visit(const std::string& path, bool is_root, int dir_fd = -1, const char* name = nullptr);
  void walk_directory(const std::string& path);
  // With a catalog: files wait here until a batch of them is looked up at once (flush_unchanged), and
  // those whose stat is as recorded are left unread.
  void hand_over(FileTask task);
  void flush_unchanged();

  const ScanOptions& options_;
  FileTaskQueue& queue_;
  ScanCounters& counters_;
  ProblemFn on_problem_;
  std::set<FileKey> directories_seen_;
  std::set<FileKey> root_files_seen_;
  std::vector<FileTask> awaiting_catalog_;
  int depth_ = 0;  // directories open below the roots
};

}  // namespace dijk
