#pragma once
// Watches directory trees with inotify, recursively: one watch a directory, added as directories appear
// (created or moved in), so that every file closed after writing or renamed into a tree is named. What
// inotify cannot promise is said as events too: a directory that appeared (files may have been written
// into it before its watch existed: walk it) and a queue overflow (events were lost: walk every tree).
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

struct inotify_event;

namespace dijk::watch {

enum class TreeEventKind : std::uint8_t {
  file,      // closed after writing, or renamed in: read it
  subtree,   // a directory appeared: walk it
  overflow,  // the kernel dropped events: walk every root
};

struct TreeEvent {
  TreeEventKind kind = TreeEventKind::file;
  std::string path;  // empty for overflow
};

class InotifyTree {
 public:
  // Throws std::system_error when inotify cannot be had (no kernel support, instance limit).
  InotifyTree();
  ~InotifyTree();
  InotifyTree(const InotifyTree&) = delete;
  InotifyTree& operator=(const InotifyTree&) = delete;

  // Watches `root` and every directory below it. False (with the reason) when the root cannot be watched.
  bool add_root(const std::string& root, std::string* why);
  // Waits up to timeout_ms for events and hands each to `on_event`; returns after one read.
  void poll(int timeout_ms, const std::function<void(const TreeEvent&)>& on_event);

  std::size_t directories() const { return paths_.size(); }
  std::uint64_t watch_failures() const { return watch_failures_; }  // e.g. fs.inotify.max_user_watches

 private:
  void watch_tree(const std::string& dir);
  void handle(const ::inotify_event& e, const std::function<void(const TreeEvent&)>& on_event);

  int fd_ = -1;
  std::unordered_map<int, std::string> paths_;  // watch descriptor -> directory path
  std::uint64_t watch_failures_ = 0;
};

}  // namespace dijk::watch
