#include "dataplane/filewatch/inotify_tree.h"

#include <dirent.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace dijk::watch {
namespace {

// What a directory's watch reports: files finished (closed after writing, renamed in), directories that
// appear, and the directory itself going away. IN_EXCL_UNLINK: no events for files already unlinked.
constexpr std::uint32_t kDirectoryMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF |
                                         IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::string join(const std::string& dir, const char* name) {
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace

InotifyTree::InotifyTree() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
}

InotifyTree::~InotifyTree() {
  if (fd_ >= 0) ::close(fd_);
}

bool InotifyTree::add_root(const std::string& root, std::string* why) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (why) *why = root + ": " + (errno != 0 ? std::strerror(errno) : "not a directory");
    return false;
  }
  const std::uint64_t failures = watch_failures_;
  watch_tree(root);
  if (watch_failures_ != failures && why) *why = root + ": some directories could not be watched";
  return true;
}

// Watching a directory that is already watched (moved within a tree) returns its descriptor again: the
// map then takes the new path.
void InotifyTree::watch_tree(const std::string& dir) {
  const int wd = ::inotify_add_watch(fd_, dir.c_str(), kDirectoryMask);
  if (wd < 0) {
    ++watch_failures_;
    return;
  }
  paths_[wd] = dir;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> subdirs;
  while (const dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    if (e->d_type == DT_DIR) {
      subdirs.push_back(join(dir, e->d_name));
    } else if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      const std::string p = join(dir, e->d_name);
      if (::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) subdirs.push_back(p);
    }
  }
  ::closedir(d);
  for (const auto& s : subdirs) watch_tree(s);
}

void InotifyTree::poll(int timeout_ms, const std::function<void(const TreeEvent&)>& on_event) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  alignas(inotify_event) char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return;  // EAGAIN: drained
    for (ssize_t off = 0; off < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
      handle(*e, on_event);
      off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
}

void InotifyTree::handle(const inotify_event& e, const std::function<void(const TreeEvent&)>& on_event) {
  if (e.mask & IN_Q_OVERFLOW) {
    on_event({TreeEventKind::overflow, {}});
    return;
  }
  if (e.mask & IN_IGNORED) {  // the watch is gone (directory removed, or its file system unmounted)
    paths_.erase(e.wd);
    return;
  }
  const auto it = paths_.find(e.wd);
  if (it == paths_.end() || e.len == 0) return;  // events on the directory itself (IN_DELETE_SELF, ...)
  const std::string path = join(it->second, e.name);
  if (e.mask & IN_ISDIR) {
    if (e.mask & (IN_CREATE | IN_MOVED_TO)) {
      watch_tree(path);
      on_event({TreeEventKind::subtree, path});
    }
    return;
  }
  if (e.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) on_event({TreeEventKind::file, path});
}

}  // namespace dijk::watch
