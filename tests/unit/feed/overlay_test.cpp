// Layered sets: an overlay written from deltas serves exactly what a full rebuild would, a stale overlay
// is ignored, and a watcher shares the unchanged base with the set it replaces.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "control/feed/overlay_writer.h"
#include "hashcore/set/set_merge.h"
#include "hashcore/setswap/set_holder.h"

namespace dijk::feed {
namespace {
namespace fs = std::filesystem;

Entry random_entry(std::mt19937_64& rng, std::size_t size, std::uint16_t list) {
  Entry e;
  for (std::size_t i = 0; i < size; ++i) e.bytes[i] = static_cast<std::uint8_t>(rng());
  e.list = list;
  return e;
}

SetContents random_base(std::mt19937_64& rng) {
  SetContents c;
  c.lists = {{"ncmec", "A1"}, {"hotline-nl", "B"}};
  for (std::size_t i = 0; i < 3000; ++i) {
    c.exact[2].push_back(random_entry(rng, 32, static_cast<std::uint16_t>(i % 2)));
    c.exact[0].push_back(random_entry(rng, 16, 1));
  }
  for (int i = 0; i < 20; ++i) c.allow[1].push_back(random_entry(rng, 20, 0));
  c.sections.push_back({setfile::SectionKind::pdq_hashes, 0, std::vector<std::uint8_t>(640, 0x5a), 20});
  c.normalize();
  return c;
}

// The next version: removals, additions (to a new list too), moves between lists, a removed hash added
// back, allow-list changes, and the carried section changed or dropped.
SetContents next_version(std::mt19937_64& rng, const SetContents& from, int step) {
  SetContents to = from;
  auto& sha = to.exact[2];
  const std::uint16_t fresh = to.list_index({"list-" + std::to_string(step), "C"});
  for (int i = 0; i < 40 && !sha.empty(); ++i) sha.erase(sha.begin() + static_cast<long>(rng() % sha.size()));
  for (int i = 0; i < 10; ++i) sha[rng() % sha.size()].list ^= 1;  // moved to the other list
  for (int i = 0; i < 60; ++i) sha.push_back(random_entry(rng, 32, i % 3 == 0 ? fresh : 0));
  if (step == 2) sha.push_back(from.exact[2].front());  // already there: no change
  to.exact[0].erase(to.exact[0].begin(), to.exact[0].begin() + 5);
  to.allow[1].erase(to.allow[1].begin());
  to.allow[1].push_back(random_entry(rng, 20, 0));
  if (step == 1) to.sections[0].bytes.assign(128, static_cast<std::uint8_t>(step));
  if (step == 3) to.sections.clear();
  to.normalize();
  return to;
}

void expect_serves(const HashSet& set, const SetContents& want) {
  const SetContents got = read_set(set);
  ASSERT_EQ(got.lists.size(), want.lists.size());
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    const auto a = static_cast<Algorithm>(i);
    ASSERT_EQ(got.exact[i].size(), want.exact[i].size()) << "algorithm " << i;
    EXPECT_EQ(set.exact(a).size(), want.exact[i].size());
    EXPECT_EQ(set.allow(a).size(), want.allow[i].size());
    for (std::size_t k = 0; k < want.exact[i].size(); ++k) {
      ASSERT_EQ(got.exact[i][k].bytes, want.exact[i][k].bytes);
      ASSERT_EQ(got.lists[got.exact[i][k].list].name, want.lists[want.exact[i][k].list].name);
    }
    ASSERT_EQ(got.allow[i].size(), want.allow[i].size());
    for (std::size_t k = 0; k < want.allow[i].size(); ++k)
      ASSERT_EQ(got.allow[i][k].bytes, want.allow[i][k].bytes);
  }
  ASSERT_EQ(got.sections.size(), want.sections.size());
  for (std::size_t k = 0; k < want.sections.size(); ++k) {
    EXPECT_EQ(got.sections[k].bytes, want.sections[k].bytes);
    EXPECT_EQ(got.sections[k].count, want.sections[k].count);
  }
}

// Lookups one at a time and in batches agree, for held and removed digests alike.
void expect_lookups_agree(const HashSet& set, const SetContents& before, const SetContents& now) {
  std::vector<std::uint8_t> digests;
  std::vector<std::int32_t> want;
  for (const SetContents* c : {&before, &now}) {
    for (const Entry& e : c->exact[2]) {
      digests.insert(digests.end(), e.bytes.begin(), e.bytes.begin() + 32);
      want.push_back(set.exact(Algorithm::sha256).find({e.bytes.data(), 32}));
    }
  }
  std::vector<std::int32_t> got(want.size());
  set.exact(Algorithm::sha256).find_batch(digests.data(), 32, want.size(), got.data());
  EXPECT_EQ(got, want);
  for (const Entry& e : before.exact[2]) {
    const bool held = std::binary_search(now.exact[2].begin(), now.exact[2].end(), e,
                                         [](const Entry& x, const Entry& y) { return x.bytes < y.bytes; });
    EXPECT_EQ(set.exact(Algorithm::sha256).find({e.bytes.data(), 32}) != ExactView::kNotFound, held);
  }
}

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/dijk-overlay-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
    base_path = dir_ + "/current.set";
  }
  void TearDown() override { fs::remove_all(dir_); }
  // A random version 1, written as the base at base_path.
  SetContents base_v1(std::mt19937_64& rng) const {
    SetContents v1 = random_base(rng);
    write_set(v1, base_path, 1);
    return v1;
  }
  std::string dir_, base_path;
};

TEST_F(OverlayTest, LayeredSetServesWhatAFullRebuildWould) {
  std::mt19937_64 rng(11);
  SetContents full = base_v1(rng);
  const auto base = HashSet::open(base_path);
  std::shared_ptr<const HashSet> installed = base;
  for (int step = 1; step <= 3; ++step) {
    const SetContents next = next_version(rng, full, step);
    const Delta d = decode_delta(
        encode_delta(full, next, static_cast<std::uint64_t>(step), static_cast<std::uint64_t>(step) + 1, ""));
    const OverlayWritten w =
        write_overlay(*installed, {d}, overlay_path_for(base_path), static_cast<std::uint64_t>(step) + 1);
    EXPECT_GT(w.entries, 0u);
    installed = HashSet::open(base_path);
    ASSERT_TRUE(installed->layered());
    EXPECT_EQ(installed->version(), static_cast<std::uint64_t>(step) + 1);
    EXPECT_EQ(installed->base_file().version(), 1u);
    EXPECT_EQ(installed->overlay_entries(), w.entries);
    expect_serves(*installed, next);
    expect_lookups_agree(*installed, full, next);
    full = next;
  }
  EXPECT_FALSE(installed->section(setfile::SectionKind::pdq_hashes).has_value());  // dropped at step 3
  EXPECT_TRUE(base->section(setfile::SectionKind::pdq_hashes).has_value());
}

TEST_F(OverlayTest, SeveralDeltasAtOnceMatchThemOneByOne) {
  std::mt19937_64 rng(12);
  const SetContents v1 = base_v1(rng);
  const SetContents v2 = next_version(rng, v1, 1);
  const SetContents v3 = next_version(rng, v2, 2);
  const std::vector<Delta> deltas = {decode_delta(encode_delta(v1, v2, 1, 2, "")),
                                     decode_delta(encode_delta(v2, v3, 2, 3, ""))};
  write_overlay(*HashSet::open(base_path), deltas, overlay_path_for(base_path), 3);
  expect_serves(*HashSet::open(base_path), v3);
}

TEST_F(OverlayTest, AnOverlayOfAnotherBaseIsIgnoredAndAloneIsRefused) {
  std::mt19937_64 rng(13);
  const SetContents v1 = base_v1(rng);
  const SetContents v2 = next_version(rng, v1, 1);
  write_overlay(*HashSet::open(base_path), {decode_delta(encode_delta(v1, v2, 1, 2, ""))},
                overlay_path_for(base_path), 2);
  ASSERT_TRUE(HashSet::open(base_path)->layered());
  EXPECT_THROW(HashSet::open_file(overlay_path_for(base_path)), SetFileError);

  // A new base renamed into place (a snapshot or a merge) before the old overlay is removed.
  const SetContents v5 = next_version(rng, v2, 2);
  write_set(v5, base_path, 5);
  const auto now = HashSet::open(base_path);
  EXPECT_FALSE(now->layered());
  EXPECT_EQ(now->version(), 5u);
  expect_serves(*now, v5);
  EXPECT_THROW(HashSet::with_overlay(now, overlay_path_for(base_path)), SetFileError);
}

TEST_F(OverlayTest, WatcherSharesTheUnchangedBaseAndFollowsAMerge) {
  std::mt19937_64 rng(14);
  const SetContents v1 = base_v1(rng);
  SetHolder holder(HashSet::open(base_path));
  SetWatcher watcher(holder, base_path);
  const HashSet* base_before = &holder.current()->base_file();

  const SetContents v2 = next_version(rng, v1, 1);
  write_overlay(*holder.current(), {decode_delta(encode_delta(v1, v2, 1, 2, ""))},
                overlay_path_for(base_path), 2);
  ASSERT_TRUE(watcher.check_now());
  EXPECT_EQ(holder.current()->version(), 2u);
  EXPECT_EQ(&holder.current()->base_file(), base_before);  // the same mapping, not mapped again
  expect_serves(*holder.current(), v2);

  // The merge: a new base of the same version renamed in, then the overlay removed.
  write_set(read_set(*holder.current()), dir_ + "/merge.set", 2);
  fs::rename(dir_ + "/merge.set", base_path);
  ASSERT_TRUE(watcher.check_now());
  EXPECT_FALSE(holder.current()->layered());
  expect_serves(*holder.current(), v2);
  fs::remove(overlay_path_for(base_path));
  EXPECT_FALSE(watcher.check_now());  // the same set: no swap
  EXPECT_EQ(watcher.status().swaps, 2u);
}

// The merge patches copies of the base's tables: the new base serves what the layers served.
TEST_F(OverlayTest, MergedBaseServesWhatTheLayersServed) {
  std::mt19937_64 rng(15);
  const SetContents v1 = base_v1(rng);
  SetContents v2 = next_version(rng, v1, 1);
  for (int i = 0; i < 5; ++i) v2.exact[1].push_back(random_entry(rng, 20, 1));  // a table the base lacks
  v2.normalize();
  write_overlay(*HashSet::open(base_path), {decode_delta(encode_delta(v1, v2, 1, 2, ""))},
                overlay_path_for(base_path), 2);
  const auto layered = HashSet::open(base_path);
  ASSERT_TRUE(write_merged_base(*layered, dir_ + "/merged.set"));
  const auto merged = HashSet::open_file(dir_ + "/merged.set");
  EXPECT_EQ(merged->version(), 2u);
  expect_serves(*merged, v2);
  expect_lookups_agree(*merged, v1, v2);
}

// A table too small for the additions is not patched: the caller rebuilds.
TEST_F(OverlayTest, AdditionsBeyondATablesSizeAreLeftToARebuild) {
  std::mt19937_64 rng(16);
  SetContents v1;
  v1.lists = {{"l", "A"}};
  for (int i = 0; i < 8; ++i) v1.exact[2].push_back(random_entry(rng, 32, 0));
  v1.normalize();
  write_set(v1, base_path, 1);
  SetContents v2 = v1;
  for (int i = 0; i < 500; ++i) v2.exact[2].push_back(random_entry(rng, 32, 0));
  v2.normalize();
  write_overlay(*HashSet::open(base_path), {decode_delta(encode_delta(v1, v2, 1, 2, ""))},
                overlay_path_for(base_path), 2);
  EXPECT_FALSE(write_merged_base(*HashSet::open(base_path), dir_ + "/merged.set"));
  EXPECT_FALSE(fs::exists(dir_ + "/merged.set"));
}

}  // namespace
}  // namespace dijk::feed
