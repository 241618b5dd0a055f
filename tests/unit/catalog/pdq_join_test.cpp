// The PDQ join against brute force: every stored hash within the radius of a query is found, and none
// farther, for hashes planted at every distance around the radius.
#include "dataplane/catalog/pdq_join.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace dijk::catalog {
namespace {

PdqHash random_hash(std::mt19937_64& rng) {
  PdqHash h;
  for (auto& b : h.bytes) b = static_cast<std::uint8_t>(rng());
  return h;
}

// `q` with exactly `bits` distinct bits flipped.
PdqHash at_distance(const PdqHash& q, int bits, std::mt19937_64& rng) {
  PdqHash h = q;
  std::vector<int> order(256);
  for (int i = 0; i < 256; ++i) order[static_cast<std::size_t>(i)] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (int i = 0; i < bits; ++i) {
    const int b = order[static_cast<std::size_t>(i)];
    h.bytes[static_cast<std::size_t>(b / 8)] ^= static_cast<std::uint8_t>(1u << (b % 8));
  }
  return h;
}

std::vector<std::uint32_t> brute_force(const std::vector<PdqHash>& stored,
                                       const std::vector<PdqHash>& queries, int radius) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t s = 0; s < stored.size(); ++s) {
    for (const auto& q : queries) {
      if (pdq_distance(stored[s], q) <= radius) {
        out.push_back(s);
        break;
      }
    }
  }
  return out;
}

TEST(PdqJoin, FindsExactlyWhatBruteForceFinds) {
  for (int radius : {0, 5, 31}) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(radius) + 1);
    std::vector<PdqHash> queries, stored;
    for (int i = 0; i < 300; ++i) queries.push_back(random_hash(rng));
    for (int i = 0; i < 20000; ++i) stored.push_back(random_hash(rng));
    // Planted around every query: at the radius, one inside, one outside, and far.
    const std::vector<int> distances{0, radius / 2, radius, radius + 1, radius + 2, 64};
    for (const auto& q : queries) {
      for (int d : distances) stored.push_back(at_distance(q, d, rng));
    }
    const auto inside = std::count_if(distances.begin(), distances.end(), [&](int d) { return d <= radius; });
    std::shuffle(stored.begin(), stored.end(), rng);
    const auto want = brute_force(stored, queries, radius);
    EXPECT_EQ(want.size(), 300u * static_cast<std::size_t>(inside)) << radius;  // the planted ones only
    EXPECT_EQ(stored_within_radius(stored, queries, radius), want) << radius;
  }
}

TEST(PdqJoin, EmptySidesAndBadRadius) {
  std::mt19937_64 rng(1);
  const std::vector<PdqHash> one{random_hash(rng)};
  EXPECT_TRUE(stored_within_radius({}, one, 31).empty());
  EXPECT_TRUE(stored_within_radius(one, {}, 31).empty());
  EXPECT_EQ(stored_within_radius(one, one, 0), (std::vector<std::uint32_t>{0}));
  EXPECT_THROW(stored_within_radius(one, one, -1), std::invalid_argument);
}

}  // namespace
}  // namespace dijk::catalog
