// Snapshot and delta content: round trips, deltas that turn one version into the next, hostile bytes.
#include "control/feed/content.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

namespace dijk::feed {
namespace {

Entry random_entry(std::mt19937_64& rng, std::size_t size, std::uint16_t list) {
  Entry e;
  for (std::size_t i = 0; i < size; ++i) e.bytes[i] = static_cast<std::uint8_t>(rng());
  e.list = list;
  return e;
}

SetContents random_contents(std::mt19937_64& rng, std::size_t n) {
  SetContents c;
  c.lists = {{"ncmec", "A1"}, {"hotline-nl", "B"}};
  for (std::size_t i = 0; i < n; ++i) {
    c.exact[2].push_back(random_entry(rng, 32, static_cast<std::uint16_t>(i % 2)));
    c.exact[0].push_back(random_entry(rng, 16, 1));
  }
  c.allow[1].push_back(random_entry(rng, 20, 0));
  c.normalize();
  return c;
}

void expect_same(const SetContents& a, const SetContents& b) {
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    ASSERT_EQ(a.exact[i].size(), b.exact[i].size()) << "algorithm " << i;
    for (std::size_t k = 0; k < a.exact[i].size(); ++k) {
      ASSERT_EQ(a.exact[i][k].bytes, b.exact[i][k].bytes);
      ASSERT_EQ(a.lists[a.exact[i][k].list].name, b.lists[b.exact[i][k].list].name);
    }
    ASSERT_EQ(a.allow[i].size(), b.allow[i].size());
    for (std::size_t k = 0; k < a.allow[i].size(); ++k) ASSERT_EQ(a.allow[i][k].bytes, b.allow[i][k].bytes);
  }
}

TEST(Content, SnapshotRoundTrips) {
  std::mt19937_64 rng(1);
  const SetContents c = random_contents(rng, 1000);
  ContentHeader h;
  const SetContents back = decode_snapshot(encode_snapshot(c, 42), {}, &h);
  EXPECT_EQ(h.version, 42u);
  EXPECT_EQ(h.kind, ContentKind::snapshot);
  expect_same(c, back);
}

TEST(Content, DeltaTurnsOneVersionIntoTheNext) {
  std::mt19937_64 rng(2);
  SetContents from = random_contents(rng, 2000);
  SetContents to = from;
  // Remove some, add some, move one to another list (and a new list), change the allow-list.
  to.exact[2].erase(to.exact[2].begin() + 10, to.exact[2].begin() + 60);
  for (int i = 0; i < 70; ++i) to.exact[2].push_back(random_entry(rng, 32, 0));
  to.exact[0][5].list = to.list_index({"new-list", "C"});
  to.allow[1].clear();
  to.allow[2].push_back(random_entry(rng, 32, 0));
  to.normalize();

  const auto bytes = encode_delta(from, to, 4, 5, "weekly");
  const Delta d = decode_delta(bytes);
  EXPECT_EQ(d.header.base_version, 4u);
  EXPECT_EQ(d.header.version, 5u);
  EXPECT_EQ(d.header.note, "weekly");
  EXPECT_EQ(d.remove[2].size(), 50u);
  EXPECT_EQ(d.add[2].size(), 70u);
  apply_delta(from, d);
  expect_same(from, to);
}

TEST(Content, RemovalsAreByHashWhateverTheList) {
  std::mt19937_64 rng(3);
  SetContents c = random_contents(rng, 100);
  const Entry victim = c.exact[2][17];
  Digest d;
  d.algorithm = Algorithm::sha256;
  d.bytes = victim.bytes;
  apply_delta(c, decode_delta(encode_removals({d}, 1, 2, "wrong")));
  EXPECT_EQ(c.exact[2].size(), 99u);
  for (const Entry& e : c.exact[2]) EXPECT_NE(e.bytes, victim.bytes);
}

TEST(Content, HostileBytesAreRefusedWithAnError) {
  std::mt19937_64 rng(4);
  const auto good = encode_delta(random_contents(rng, 50), random_contents(rng, 50), 1, 2, "n");
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW(decode_delta({good.data(), n}), FeedFormatError) << n;
  }
  auto bad = good;
  bad.push_back(0);
  EXPECT_THROW(decode_delta(bad), FeedFormatError);      // bytes after the end block
  EXPECT_THROW(decode_snapshot(good), FeedFormatError);  // a delta is not a snapshot
  ContentLimits tight;
  tight.max_entries = 10;
  EXPECT_THROW(decode_delta(good, tight), FeedFormatError);
  // A block claiming 4G entries must fail on the length check, not allocate.
  std::vector<std::uint8_t> huge = encode_removals({}, 1, 2, "");
  huge.resize(huge.size() - 8);
  const std::uint8_t block[8] = {2, 2, 0, 0, 0xff, 0xff, 0xff, 0xff};
  huge.insert(huge.end(), block, block + 8);
  EXPECT_THROW(decode_delta(huge), FeedFormatError);
}

TEST(Content, SetFileRoundTripsThroughTheBuilder) {
  std::mt19937_64 rng(5);
  const SetContents c = random_contents(rng, 5000);
  const std::string path = ::testing::TempDir() + "/dijk-content-" + std::to_string(::getpid()) + ".set";
  write_set(c, path, 9);
  const auto set = HashSet::open(path);
  EXPECT_EQ(set->version(), 9u);
  expect_same(c, read_set(*set));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace dijk::feed

namespace dijk::feed {
namespace {

// Sections of other kinds (the PDQ index) travel whole: in snapshots, and in deltas when they change, so
// a delta sync never drops them from the rebuilt set.
TEST(Content, CarriedSectionsSurviveSnapshotsDeltasAndRebuilds) {
  std::mt19937_64 rng(6);
  const std::string dir = ::testing::TempDir();
  const std::string v1_path = dir + "/dijk-carried-1-" + std::to_string(::getpid()) + ".set";
  const std::string v2_path = dir + "/dijk-carried-2-" + std::to_string(::getpid()) + ".set";

  SetContents v1 = random_contents(rng, 100);
  v1.sections.push_back({setfile::SectionKind::pdq_hashes, 0, std::vector<std::uint8_t>(640, 0x5a), 20});
  write_set(v1, v1_path, 1);
  const SetContents read_back = read_set(*HashSet::open(v1_path));
  ASSERT_EQ(read_back.sections.size(), 1u);
  EXPECT_EQ(read_back.sections[0].count, 20u);
  EXPECT_EQ(read_back.sections[0].bytes, v1.sections[0].bytes);

  const SetContents from_snapshot = decode_snapshot(encode_snapshot(read_back, 1));
  ASSERT_EQ(from_snapshot.sections.size(), 1u);
  EXPECT_EQ(from_snapshot.sections[0].bytes, v1.sections[0].bytes);

  // Unchanged: the delta does not carry it, and applying keeps it.
  SetContents v2 = read_back;
  v2.exact[2].push_back(random_entry(rng, 32, 0));
  v2.normalize();
  Delta d = decode_delta(encode_delta(read_back, v2, 1, 2, ""));
  EXPECT_TRUE(d.put_sections.empty());
  SetContents applied = read_back;
  apply_delta(applied, d);
  write_set(applied, v2_path, 2);
  const auto v2_set = HashSet::open(v2_path);
  ASSERT_TRUE(v2_set->section(setfile::SectionKind::pdq_hashes).has_value());
  EXPECT_EQ(v2_set->section(setfile::SectionKind::pdq_hashes)->size(), 640u);

  // Changed, then gone.
  SetContents v3 = v2;
  v3.sections[0].bytes.assign(128, 0x11);
  v3.sections[0].count = 4;
  d = decode_delta(encode_delta(v2, v3, 2, 3, ""));
  ASSERT_EQ(d.put_sections.size(), 1u);
  apply_delta(applied, d);
  EXPECT_EQ(applied.sections[0].bytes, v3.sections[0].bytes);
  EXPECT_EQ(applied.sections[0].count, 4u);
  SetContents v4 = v3;
  v4.sections.clear();
  apply_delta(applied, decode_delta(encode_delta(v3, v4, 3, 4, "")));
  EXPECT_TRUE(applied.sections.empty());
  std::filesystem::remove(v1_path);
  std::filesystem::remove(v2_path);
}

}  // namespace
}  // namespace dijk::feed
