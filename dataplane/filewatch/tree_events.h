#pragma once
// What a watched tree says happened in it, whichever kernel interface said it (fanotify_tree.h,
// inotify_tree.h). What the interface cannot promise is said as events too: a queue overflow means
// events were lost, and every tree must be walked again.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dijk::watch {

enum class TreeEventKind : std::uint8_t {
  file,      // closed after writing, or renamed in: read it
  subtree,   // a directory appeared (created or renamed in): walk it
  overflow,  // the kernel dropped events: walk every root
};

struct TreeEvent {
  TreeEventKind kind = TreeEventKind::file;
  std::string path;  // empty for overflow
};

class TreeEvents {
 public:
  virtual ~TreeEvents() = default;
  // Waits up to timeout_ms for events and hands each to `on_event`; returns once the queue is drained.
  virtual void poll(int timeout_ms, const std::function<void(const TreeEvent&)>& on_event) = 0;
  // For the log: the interface in use and what it watches.
  virtual std::string describe() const = 0;
};

enum class WatchBackend : std::uint8_t { automatic, fanotify, inotify };

// fanotify where it can be had (a filesystem mark: CAP_SYS_ADMIN, and file handles: CAP_DAC_READ_SEARCH),
// else inotify; `why_not_fanotify` says why it fell back. Throws std::runtime_error when the backend asked
// for, or no backend, can watch the roots.
std::unique_ptr<TreeEvents> open_tree_events(const std::vector<std::string>& roots, WatchBackend backend,
                                             std::string* why_not_fanotify);

}  // namespace dijk::watch
