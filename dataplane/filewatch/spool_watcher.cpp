#include "dataplane/filewatch/spool_watcher.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace dijk::watch {

SpoolWatcher::SpoolWatcher(std::vector<std::string> roots, std::chrono::milliseconds settle,
                           WatchBackend backend, std::size_t max_pending)
    : roots_(std::move(roots)),
      settle_(settle),
      max_pending_(std::max<std::size_t>(max_pending, 1)),
      tree_(open_tree_events(roots_, backend, &why_not_fanotify_)) {}

std::size_t SpoolWatcher::tree_of(const std::string& path) const {
  std::size_t best = 0, best_length = 0;
  for (std::size_t i = 0; i < roots_.size(); ++i) {
    const std::string& r = roots_[i];
    if (path.starts_with(r) && (path.size() == r.size() || path[r.size()] == '/' || r.back() == '/') &&
        r.size() >= best_length) {
      best = i;
      best_length = r.size();
    }
  }
  return best;
}

void SpoolWatcher::add(const std::string& path, Clock::time_point due) {
  if (pending_.size() >= max_pending_ && !pending_.contains(path)) {
    // Too much pending: walk the whole tree instead, and forget what it covers.
    ++stats_.pending_full;
    const std::size_t tree = tree_of(path);
    std::erase_if(pending_, [&](const auto& p) { return tree_of(p.first) == tree; });
    pending_[roots_[tree]] = Pending{due, due + settle_};
    return;
  }
  auto [entry, fresh] = pending_.try_emplace(path, Pending{due, due + settle_});
  if (!fresh) entry->second.due = due;  // a repeat restarts the settle time
  // A directory waiting for its walk and the files written into it settle together (up to one more settle
  // time for the directory), so they go out in one batch and drop_covered() reads each file once; apart,
  // the walk would read a file and its own event read it again.
  for (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0;
       slash = path.rfind('/', slash - 1)) {
    const auto parent = pending_.find(path.substr(0, slash));
    if (parent != pending_.end())
      parent->second.due = std::max(parent->second.due, std::min(due, parent->second.latest));
  }
  const std::string inside = path + "/";
  for (auto child = pending_.lower_bound(inside); child != pending_.end() && child->first.starts_with(inside);
       ++child)
    entry->second.due = std::max(entry->second.due, std::min(child->second.due, entry->second.latest));
}

void SpoolWatcher::walk_all() {
  const auto now = Clock::now();
  pending_.clear();
  for (const auto& r : roots_) pending_[r] = Pending{now, now};
}

// A file inside a directory the same batch walks (a new directory, written into at once) is read by the
// walk: naming it again would read it, and report its hit, twice.
void SpoolWatcher::drop_covered(std::vector<std::string>& paths) {
  std::sort(paths.begin(), paths.end());
  const std::set<std::string> all(paths.begin(), paths.end());
  std::erase_if(paths, [&](const std::string& p) {
    for (auto slash = p.rfind('/'); slash != std::string::npos && slash > 0;
         slash = p.rfind('/', slash - 1)) {
      if (all.contains(p.substr(0, slash))) return true;
    }
    return false;
  });
}

std::vector<WatchBatch> SpoolWatcher::next(std::chrono::milliseconds max_wait) {
  auto now = Clock::now();
  // Sleep no longer than until the earliest pending path settles.
  auto wait = max_wait;
  for (const auto& [path, p] : pending_) {
    wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::max(p.due - now, Clock::duration::zero())));
  }
  tree_->poll(static_cast<int>(wait.count()), [&](const TreeEvent& e) {
    ++stats_.events;
    if (e.kind == TreeEventKind::overflow) {
      ++stats_.overflows;
      walk_all();
      return;
    }
    add(e.path, Clock::now() + settle_);
  });
  now = Clock::now();
  std::vector<WatchBatch> batches;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.due > now) {
      ++it;
      continue;
    }
    const std::size_t tree = tree_of(it->first);
    auto b =
        std::find_if(batches.begin(), batches.end(), [&](const WatchBatch& w) { return w.tree == tree; });
    if (b == batches.end()) b = batches.insert(batches.end(), WatchBatch{tree, {}});
    b->paths.push_back(it->first);
    it = pending_.erase(it);
  }
  for (auto& b : batches) drop_covered(b.paths);
  return batches;
}

}  // namespace dijk::watch
