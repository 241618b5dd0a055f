#pragma once
// Walks the paths given on the command line, depth first, and hands regular files to the readers through a
// bounded queue (so listing a huge tree never holds every path in memory). Symlinks are followed; a
// directory reached twice (by device and inode) is a loop, counted and named, not entered again.
#include <condition_variable>
#include <deque>
#include <functional>
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

class PathWalker {
 public:
  using ProblemFn =
      std::function<void(const std::string& path, ScanProblem problem, const std::string& detail)>;
  PathWalker(const ScanOptions& options, FileTaskQueue& queue, ProblemFn on_problem)
      : options_(options), queue_(queue), on_problem_(std::move(on_problem)) {}
  void walk(const std::vector<std::string>& roots);

 private:
  void visit(const std::string& path, bool is_root);
  void walk_directory(const std::string& path);

  const ScanOptions& options_;
  FileTaskQueue& queue_;
  ProblemFn on_problem_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> directories_seen_;
};

}  // namespace dijk
