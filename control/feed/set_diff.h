#pragma once
// What changes between two versions of a set, per list: what `publish --dry-run` prints, what the
// mass-removal guard weighs and what `dijk-hotline set diff` shows. A hash that moved from one list to
// another counts as removed from the first and added to the second.
#include <cstdint>
#include <string>
#include <vector>

#include "control/feed/content.h"

namespace dijk::feed {

struct ListChange {
  std::string name;
  std::string category;      // as `after` has it when it holds the list
  std::uint64_t before = 0;  // hashes in the list before
  std::uint64_t after = 0;
  std::uint64_t added = 0;
  std::uint64_t removed = 0;
};

struct DiffEntry {
  Digest digest;
  std::string list;  // the list it was added to or removed from
  bool added = false;
};

struct SetDiff {
  std::vector<ListChange> lists;  // every list of either side, in the order first seen (before, then after)
  std::uint64_t allow_added = 0;
  std::uint64_t allow_removed = 0;
  std::vector<DiffEntry> entries;  // only when asked for (diff_sets' `with_entries`)

  std::uint64_t added() const;
  std::uint64_t removed() const;
  bool empty() const { return added() == 0 && removed() == 0 && allow_added == 0 && allow_removed == 0; }
};

// Both sides normalized (SetContents::normalize).
SetDiff diff_sets(const SetContents& before, const SetContents& after, bool with_entries = false);

// The first list that would lose more than `max_share` (0..1) of its hashes, if any.
const ListChange* mass_removal(const SetDiff& diff, double max_share);

}  // namespace dijk::feed
