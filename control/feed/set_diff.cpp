#include "control/feed/set_diff.h"

#include <cstring>
#include <map>

namespace dijk::feed {
namespace {

// Index of each list name in diff.lists, adding lists as they are met.
class ListIndex {
 public:
  explicit ListIndex(SetDiff& diff) : diff_(diff) {}
  ListChange& of(const ListInfo& l) {
    const auto [it, fresh] = index_.try_emplace(l.name, diff_.lists.size());
    if (fresh) diff_.lists.push_back({l.name, l.category, 0, 0, 0, 0});
    return diff_.lists[it->second];
  }

 private:
  SetDiff& diff_;
  std::map<std::string, std::size_t> index_;
};

Digest digest_of(const Entry& e, Algorithm a) {
  Digest d;
  d.algorithm = a;
  std::memcpy(d.bytes.data(), e.bytes.data(), digest_size(a));
  return d;
}

}  // namespace

std::uint64_t SetDiff::added() const {
  std::uint64_t n = 0;
  for (const auto& l : lists) n += l.added;
  return n;
}

std::uint64_t SetDiff::removed() const {
  std::uint64_t n = 0;
  for (const auto& l : lists) n += l.removed;
  return n;
}

SetDiff diff_sets(const SetContents& before, const SetContents& after, bool with_entries) {
  SetDiff diff;
  ListIndex index(diff);
  for (const ListInfo& l : before.lists) index.of(l);
  for (const ListInfo& l : after.lists) index.of(l).category = l.category;  // the category it has now
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    const std::size_t size = digest_size(a);
    const auto& b = before.exact[i];
    const auto& c = after.exact[i];
    for (const Entry& e : b) ++index.of(before.lists.at(e.list)).before;
    for (const Entry& e : c) ++index.of(after.lists.at(e.list)).after;
    // Merge walk over the two sorted runs.
    std::size_t x = 0;
    std::size_t y = 0;
    auto removed = [&](const Entry& e) {
      ListChange& l = index.of(before.lists.at(e.list));
      ++l.removed;
      if (with_entries) diff.entries.push_back({digest_of(e, a), l.name, false});
    };
    auto added = [&](const Entry& e) {
      ListChange& l = index.of(after.lists.at(e.list));
      ++l.added;
      if (with_entries) diff.entries.push_back({digest_of(e, a), l.name, true});
    };
    while (x < b.size() || y < c.size()) {
      const int cmp = x == b.size()   ? 1
                      : y == c.size() ? -1
                                      : std::memcmp(b[x].bytes.data(), c[y].bytes.data(), size);
      if (cmp < 0) {
        removed(b[x++]);
      } else if (cmp > 0) {
        added(c[y++]);
      } else {
        if (before.lists.at(b[x].list).name != after.lists.at(c[y].list).name) {
          removed(b[x]);
          added(c[y]);
        }
        ++x;
        ++y;
      }
    }
    const auto& ba = before.allow[i];
    const auto& ca = after.allow[i];
    x = 0;
    y = 0;
    while (x < ba.size() || y < ca.size()) {
      const int cmp = x == ba.size()   ? 1
                      : y == ca.size() ? -1
                                       : std::memcmp(ba[x].bytes.data(), ca[y].bytes.data(), size);
      if (cmp < 0) {
        ++diff.allow_removed;
        ++x;
      } else if (cmp > 0) {
        ++diff.allow_added;
        ++y;
      } else {
        ++x;
        ++y;
      }
    }
  }
  return diff;
}

const ListChange* mass_removal(const SetDiff& diff, double max_share) {
  for (const ListChange& l : diff.lists) {
    if (l.before > 0 && static_cast<double>(l.removed) > max_share * static_cast<double>(l.before)) return &l;
  }
  return nullptr;
}

}  // namespace dijk::feed
