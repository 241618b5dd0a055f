// The PDQ index finds exactly what a brute-force scan finds, from memory and from a set file.
#include "hashcore/pdq_index/pdq_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include "hashcore/pdq_index/pdq_set_section.h"

namespace dijk {
namespace {

PdqHash random_hash(std::mt19937_64& rng) {
  PdqHash h;
  for (std::size_t i = 0; i < 32; i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(h.bytes.data() + i, &v, 8);
  }
  return h;
}

PdqHash flip_bits(PdqHash h, int n, std::mt19937_64& rng) {
  std::set<int> bits;
  while (static_cast<int>(bits.size()) < n) bits.insert(static_cast<int>(rng() % 256));
  for (int b : bits) h.bytes[static_cast<std::size_t>(b / 8)] ^= static_cast<std::uint8_t>(1u << (b % 8));
  return h;
}

// Random hashes, or clusters of near-duplicates around seeds (as real lists hold).
std::vector<PdqHash> make_hashes(std::size_t n, bool clustered, std::mt19937_64& rng) {
  std::vector<PdqHash> out;
  std::vector<PdqHash> seeds;
  for (std::size_t i = 0; i < n; ++i) {
    if (!clustered) {
      out.push_back(random_hash(rng));
    } else {
      if (seeds.empty() || rng() % 20 == 0) seeds.push_back(random_hash(rng));
      out.push_back(flip_bits(seeds[rng() % seeds.size()], static_cast<int>(rng() % 24), rng));
    }
  }
  return out;
}

struct Built {
  std::vector<std::uint8_t> bytes;
  PdqIndex index;
};

Built build(const std::vector<PdqHash>& hashes) {
  PdqIndexBuilder b;
  for (std::size_t i = 0; i < hashes.size(); ++i)
    b.add(hashes[i], static_cast<std::uint16_t>(i % 3), static_cast<std::uint8_t>(50 + i % 51));
  Built out{b.build(), {}};
  std::string error;
  auto opened = PdqIndex::open(out.bytes, &error);
  EXPECT_TRUE(opened.has_value()) << error;
  if (opened) out.index = *opened;
  return out;
}

std::multiset<std::pair<std::string, int>> brute_force(const PdqIndex& index, const PdqHash& q, int radius) {
  std::multiset<std::pair<std::string, int>> found;
  for (std::uint32_t id = 0; id < index.size(); ++id) {
    const int d = pdq_distance(q, index.hash(id));
    if (d <= radius) found.insert({index.hash(id).to_hex(), d});
  }
  return found;
}

void expect_exact_recall(bool clustered, std::size_t n) {
  std::mt19937_64 rng(clustered ? 7 : 11);
  const auto hashes = make_hashes(n, clustered, rng);
  const Built built = build(hashes);
  std::size_t total_matches = 0;
  for (int query = 0; query < 300; ++query) {
    // Queries at every distance around the threshold from a stored hash, plus pure random ones.
    const int flips = query % 45;
    const PdqHash q =
        query % 10 == 9 ? random_hash(rng) : flip_bits(hashes[rng() % hashes.size()], flips, rng);
    for (int radius : {31, 20, 0}) {
      std::multiset<std::pair<std::string, int>> got;
      built.index.search(q, {.radius = radius}, [&](const PdqMatch& m) {
        EXPECT_EQ(m.distance, pdq_distance(q, built.index.hash(m.id)));
        got.insert({built.index.hash(m.id).to_hex(), m.distance});
      });
      const auto want = brute_force(built.index, q, radius);
      ASSERT_EQ(got, want) << "query " << query << " radius " << radius;  // also catches duplicates
      total_matches += want.size();
    }
  }
  EXPECT_GT(total_matches, 100u);  // the queries did reach into the data
}

TEST(PdqIndex, ExactRecallOnRandomData) {
  expect_exact_recall(false, 60'000);
}
TEST(PdqIndex, ExactRecallOnClusteredData) {
  expect_exact_recall(true, 60'000);
}
TEST(PdqIndex, ExactRecallOnSmallSetsScannedLinearly) {
  expect_exact_recall(true, 500);
}

TEST(PdqIndex, QualityFilterAndDuplicatesFolded) {
  std::mt19937_64 rng(3);
  const PdqHash h = random_hash(rng);
  PdqIndexBuilder b;
  b.add(h, 2, 40);
  b.add(h, 1, 90);  // the same hash again: one entry, the lower list index, the higher quality
  b.add(flip_bits(h, 5, rng), 0, 45);
  const auto bytes = b.build();
  const auto index = PdqIndex::open(bytes);
  ASSERT_TRUE(index);
  EXPECT_EQ(index->size(), 2u);
  std::vector<PdqMatch> got;
  index->search(h, {.radius = 31, .min_quality = 50}, [&](const PdqMatch& m) { got.push_back(m); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].distance, 0);
  EXPECT_EQ(got[0].list_index, 1);
  EXPECT_EQ(got[0].quality, 90);
}

TEST(PdqIndex, DihedralSearchReportsEachHashOnceWithItsVariant) {
  std::mt19937_64 rng(5);
  const auto hashes = make_hashes(10'000, false, rng);
  const Built built = build(hashes);
  PdqDihedralResult q;
  for (auto& v : q.hashes) v = random_hash(rng);
  q.hashes[5] = flip_bits(hashes[1234], 10, rng);
  q.hashes[2] = flip_bits(hashes[1234], 20, rng);
  std::vector<PdqMatch> got;
  built.index.search_dihedral(q, {}, [&](const PdqMatch& m) { got.push_back(m); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].variant, PdqDihedral::flip_y);
  EXPECT_EQ(got[0].distance, 10);
}

TEST(PdqIndex, RoundTripsThroughTheSetFile) {
  std::mt19937_64 rng(9);
  const auto hashes = make_hashes(20'000, true, rng);
  SetBuilder set;
  const auto list = set.add_list("pdq-test", "test");
  PdqIndexBuilder pdq;
  for (const auto& h : hashes) pdq.add(h, list, 100);
  add_pdq_section(set, pdq);
  const auto path = std::filesystem::path(DIJK_BINARY_DIR) / "pdq_index_test.set";
  set.write(path.string());
  const auto loaded = HashSet::open(path.string());
  std::string error;
  const auto index = pdq_index_of(*loaded, &error);
  ASSERT_TRUE(index) << error;
  EXPECT_GT(index->size(), 15'000u);
  int found = 0;
  index->search(flip_bits(hashes[77], 31, rng), {}, [&](const PdqMatch& m) {
    found += m.distance == 31 && index->hash(m.id) == hashes[77];
    EXPECT_EQ(loaded->list(m.list_index).name, "pdq-test");
  });
  EXPECT_EQ(found, 1);
  std::filesystem::remove(path);
}

TEST(PdqIndex, RejectsMalformedSections) {
  std::mt19937_64 rng(13);
  const Built built = build(make_hashes(5'000, false, rng));
  std::string error;
  // Truncated anywhere: refused, never read past the end.
  for (std::size_t cut :
       {std::size_t{0}, std::size_t{10}, std::size_t{64}, built.bytes.size() / 2, built.bytes.size() - 1}) {
    std::vector<std::uint8_t> copy(built.bytes.begin(),
                                   built.bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(PdqIndex::open(copy, &error).has_value()) << cut;
  }
  // An id past the end in a table.
  auto bad = built.bytes;
  bad[bad.size() - 2] = 0xff;
  EXPECT_FALSE(PdqIndex::open(bad, &error).has_value());
  EXPECT_EQ(error, "pdq id out of range");
  // Wrong magic.
  bad = built.bytes;
  bad[0] = 'X';
  EXPECT_FALSE(PdqIndex::open(bad, &error).has_value());
}

}  // namespace
}  // namespace dijk
