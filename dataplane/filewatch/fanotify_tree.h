#pragma once
// Tree events from fanotify: one filesystem mark a watched root's file system, so no watch a directory
// (inotify's limit and its race with new directories are gone) and one queue for everything. Events name
// the parent directory by file handle and the child by name (FAN_REPORT_DFID_NAME); the handle is opened
// (open_by_handle_at) to learn the directory's path now, and events outside the roots are dropped.
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/filewatch/tree_events.h"

struct file_handle;

namespace dijk::watch {

class FanotifyTree final : public TreeEvents {
 public:
  // Throws std::system_error when fanotify or a filesystem mark cannot be had (no CAP_SYS_ADMIN, a file
  // system without file handles).
  explicit FanotifyTree(std::vector<std::string> roots);
  ~FanotifyTree() override;
  FanotifyTree(const FanotifyTree&) = delete;
  FanotifyTree& operator=(const FanotifyTree&) = delete;

  void poll(int timeout_ms, const std::function<void(const TreeEvent&)>& on_event) override;
  std::string describe() const override;

 private:
  bool under_a_root(const std::string& path) const;
  std::string directory_of(const unsigned char* fsid, ::file_handle* handle);

  int fd_ = -1;
  std::vector<std::string> roots_;
  std::map<std::string, int> mount_fds_;  // fsid bytes -> an open directory on that file system
  // Directory paths by (fsid, handle) for one drain of the queue: a burst of files into one directory
  // costs one open_by_handle_at, not one each. Cleared after each drain, so a renamed directory is
  // looked up again.
  std::unordered_map<std::string, std::string> directory_cache_;
};

}  // namespace dijk::watch
