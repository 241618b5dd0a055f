#include "dataplane/filewatch/fanotify_tree.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "dataplane/filewatch/inotify_tree.h"

namespace dijk::watch {
namespace {

// FAN_EVENT_NEXT's C cast trips -Wcast-align under clang; the buffer is aligned for the metadata and
// the kernel pads each event to that alignment, so stepping by event_len keeps it.
// The kernel packs events at 4-byte boundaries, but the metadata holds a 64-bit mask: it is copied out
// rather than read in place (UBSan: misaligned access). The info records after it need only 4 bytes.
bool read_event(const char* buf, std::size_t len, std::size_t at, fanotify_event_metadata& out) {
  if (len - at < sizeof out) return false;
  std::memcpy(&out, buf + at, sizeof out);
  return out.event_len >= out.metadata_len && out.metadata_len >= sizeof out && out.event_len <= len - at;
}

// Files finished (closed after writing, renamed in) and directories that appear (created, renamed in).
constexpr std::uint64_t kMask = FAN_CLOSE_WRITE | FAN_MOVED_TO | FAN_CREATE | FAN_ONDIR;

std::string fsid_key(const void* fsid) {
  return std::string(static_cast<const char*>(fsid), sizeof(__kernel_fsid_t));
}

}  // namespace

FanotifyTree::FanotifyTree(std::vector<std::string> roots) : roots_(std::move(roots)) {
  fd_ = ::fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME,
                        O_RDONLY | O_LARGEFILE);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "fanotify_init");
  for (auto& root : roots_) {
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (::fanotify_mark(fd_, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, kMask, AT_FDCWD, root.c_str()) != 0) {
      const int err = errno;
      ::close(fd_);
      for (auto& [k, fd] : mount_fds_) ::close(fd);
      throw std::system_error(err, std::generic_category(), "fanotify_mark " + root);
    }
    struct statfs st {};
    const int dir = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || ::fstatfs(dir, &st) != 0) {
      const int err = errno;
      if (dir >= 0) ::close(dir);
      throw std::system_error(err, std::generic_category(), "open " + root);
    }
    const std::string key = fsid_key(&st.f_fsid);
    if (mount_fds_.contains(key)) {
      ::close(dir);
    } else {
      mount_fds_[key] = dir;
    }
  }
}

FanotifyTree::~FanotifyTree() {
  if (fd_ >= 0) ::close(fd_);
  for (auto& [k, fd] : mount_fds_) ::close(fd);
}

std::string FanotifyTree::describe() const {
  return "fanotify, " + std::to_string(mount_fds_.size()) + " file system mark(s)";
}

bool FanotifyTree::under_a_root(const std::string& path) const {
  for (const auto& r : roots_) {
    if (path.starts_with(r) && (path.size() == r.size() || path[r.size()] == '/' || r == "/")) return true;
  }
  return false;
}

// The directory's path now, from its handle; empty when it is gone (or on a file system not watched).
std::string FanotifyTree::directory_of(const unsigned char* fsid, ::file_handle* handle) {
  std::string key = fsid_key(fsid);
  key.append(reinterpret_cast<const char*>(handle), sizeof(::file_handle) + handle->handle_bytes);
  if (const auto cached = directory_cache_.find(key); cached != directory_cache_.end()) return cached->second;
  std::string& slot = directory_cache_[key];
  const auto it = mount_fds_.find(fsid_key(fsid));
  if (it == mount_fds_.end()) return {};
  const int dir = ::open_by_handle_at(it->second, handle, O_PATH | O_CLOEXEC);
  if (dir < 0) return {};
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", dir);
  char path[4096];
  const ssize_t n = ::readlink(link, path, sizeof path - 1);
  ::close(dir);
  if (n <= 0) return {};
  std::string p(path, static_cast<std::size_t>(n));
  if (p.ends_with(" (deleted)")) return {};
  slot = p;
  return p;
}

void FanotifyTree::poll(int timeout_ms, const std::function<void(const TreeEvent&)>& on_event) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  alignas(fanotify_event_metadata) char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) {  // EAGAIN: drained
      directory_cache_.clear();
      return;
    }
    const auto len = static_cast<std::size_t>(n);
    fanotify_event_metadata event{};
    for (std::size_t at = 0; read_event(buf, len, at, event); at += event.event_len) {
      const fanotify_event_metadata* m = &event;
      if (m->vers != FANOTIFY_METADATA_VERSION) continue;
      if (m->mask & FAN_Q_OVERFLOW) {
        on_event({TreeEventKind::overflow, {}});
        continue;
      }
      if (m->event_len <= m->metadata_len) continue;
      const auto* info = reinterpret_cast<const fanotify_event_info_fid*>(buf + at + m->metadata_len);
      if (info->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME) continue;
      auto* handle = reinterpret_cast<::file_handle*>(const_cast<unsigned char*>(info->handle));
      const char* name = reinterpret_cast<const char*>(handle->f_handle + handle->handle_bytes);
      const std::string dir = directory_of(reinterpret_cast<const unsigned char*>(&info->fsid), handle);
      if (dir.empty() || std::strcmp(name, ".") == 0) continue;
      const std::string path = dir == "/" ? "/" + std::string(name) : dir + "/" + name;
      if (!under_a_root(path)) continue;  // the mark covers the whole file system
      if (m->mask & FAN_ONDIR) {
        if (m->mask & (FAN_CREATE | FAN_MOVED_TO)) on_event({TreeEventKind::subtree, path});
      } else if (m->mask & (FAN_CLOSE_WRITE | FAN_MOVED_TO)) {
        on_event({TreeEventKind::file, path});
      }
    }
  }
}

std::unique_ptr<TreeEvents> open_tree_events(const std::vector<std::string>& roots, WatchBackend backend,
                                             std::string* why_not_fanotify) {
  if (backend != WatchBackend::inotify) {
    try {
      return std::make_unique<FanotifyTree>(roots);
    } catch (const std::system_error& e) {
      if (backend == WatchBackend::fanotify) throw std::runtime_error(std::string("fanotify: ") + e.what());
      if (why_not_fanotify) *why_not_fanotify = e.what();
    }
  }
  auto tree = std::make_unique<InotifyTree>();
  for (const auto& r : roots) {
    std::string why;
    if (!tree->add_root(r, &why)) throw std::runtime_error("cannot watch " + why);
  }
  return tree;
}

}  // namespace dijk::watch
