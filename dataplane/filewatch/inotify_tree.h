#pragma once
// Tree events from inotify, recursively: one watch a directory, added as directories appear (created or
// moved in). A directory that appears is reported so that it is walked: files may have been written into
// it before its watch existed. The fallback where fanotify cannot be had (fanotify_tree.h).
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/filewatch/tree_events.h"

struct inotify_event;

namespace dijk::watch {

class InotifyTree final : public TreeEvents {
 public:
  // Throws std::system_error when inotify cannot be had (no kernel support, instance limit).
  InotifyTree();
  ~InotifyTree();
  InotifyTree(const InotifyTree&) = delete;
  InotifyTree& operator=(const InotifyTree&) = delete;

  // Watches `root` and every directory below it. False (with the reason) when the root cannot be watched.
  bool add_root(const std::string& root, std::string* why);
  void poll(int timeout_ms, const std::function<void(const TreeEvent&)>& on_event) override;
  std::string describe() const override {
    return "inotify, " + std::to_string(paths_.size()) + " directories watched";
  }

  std::uint64_t watch_failures() const { return watch_failures_; }  // e.g. fs.inotify.max_user_watches

 private:
  void watch_tree(const std::string& dir);
  void handle(const ::inotify_event& e, const std::function<void(const TreeEvent&)>& on_event);

  int fd_ = -1;
  std::unordered_map<int, std::string> paths_;  // watch descriptor -> directory path
  std::uint64_t watch_failures_ = 0;
};

}  // namespace dijk::watch
