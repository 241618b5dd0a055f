// The per-list change between two versions: what --dry-run prints and the mass-removal guard weighs.
#include "control/feed/set_diff.h"

#include <gtest/gtest.h>

namespace dijk::feed {
namespace {

Entry entry(std::uint8_t b, std::uint16_t list) {
  Entry e;
  e.bytes[0] = b;
  e.list = list;
  return e;
}

SetContents contents(std::vector<ListInfo> lists, std::vector<Entry> md5) {
  SetContents c;
  c.lists = std::move(lists);
  c.exact[static_cast<std::size_t>(Algorithm::md5)] = std::move(md5);
  c.normalize();
  return c;
}

TEST(SetDiff, CountsAddedAndRemovedPerListAndMovesAsBoth) {
  const auto before =
      contents({{"A", "A1"}, {"B", ""}}, {entry(1, 0), entry(2, 0), entry(3, 1), entry(4, 1)});
  const auto after =
      contents({{"B", "B2"}, {"A", "A1"}, {"C", ""}}, {entry(1, 1), entry(3, 1), entry(5, 0), entry(6, 2)});
  // 2 dropped from A; 3 moved B -> A; 4 dropped from B; 5 added to B; 6 added to C.
  const SetDiff d = diff_sets(before, after, true);
  ASSERT_EQ(d.lists.size(), 3u);
  EXPECT_EQ(d.lists[0].name, "A");
  EXPECT_EQ(d.lists[0].before, 2u);
  EXPECT_EQ(d.lists[0].after, 2u);
  EXPECT_EQ(d.lists[0].added, 1u);
  EXPECT_EQ(d.lists[0].removed, 1u);
  EXPECT_EQ(d.lists[1].name, "B");
  EXPECT_EQ(d.lists[1].category, "B2");  // as the newer side has it
  EXPECT_EQ(d.lists[1].added, 1u);
  EXPECT_EQ(d.lists[1].removed, 2u);
  EXPECT_EQ(d.lists[2].added, 1u);
  EXPECT_EQ(d.added(), 3u);
  EXPECT_EQ(d.removed(), 3u);
  EXPECT_EQ(d.entries.size(), 6u);
  EXPECT_FALSE(d.empty());
  EXPECT_TRUE(diff_sets(before, before).empty());
}

TEST(SetDiff, MassRemovalNamesTheFirstListOverTheShare) {
  std::vector<Entry> ten;
  for (std::uint8_t i = 0; i < 10; ++i) ten.push_back(entry(i, 0));
  const auto before = contents({{"A", ""}}, ten);
  ten.pop_back();
  const auto minus_one = contents({{"A", ""}}, ten);
  ten.pop_back();
  const auto minus_two = contents({{"A", ""}}, ten);
  EXPECT_EQ(mass_removal(diff_sets(before, minus_one), 0.10), nullptr);  // exactly the share is allowed
  const SetDiff two = diff_sets(before, minus_two);
  const ListChange* l = mass_removal(two, 0.10);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->name, "A");
  EXPECT_EQ(mass_removal(diff_sets(before, contents({}, {})), 1.0), nullptr);
  EXPECT_NE(mass_removal(diff_sets(before, contents({}, {})), 0.99), nullptr);
  // A new, empty list has nothing to lose.
  EXPECT_EQ(mass_removal(diff_sets(contents({}, {}), before), 0.0), nullptr);
}

}  // namespace
}  // namespace dijk::feed
