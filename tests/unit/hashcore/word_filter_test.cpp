// WordFilter: what the retro-hunt's prefix test and the overlay lookup rely on. It never turns away a
// word it holds (a hunt that did would miss a stored file), and it turns away nearly every other one
// (the filter is worth its load only if few absent words go on to the sorted search or table).
#include "hashcore/set/word_filter.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace dijk {
namespace {

TEST(WordFilter, HoldsEveryWordAddedAndTurnsAwayAlmostEveryOther) {
  for (const std::uint64_t entries : {1ULL, 100ULL, 35'000ULL, 100'000ULL}) {
    std::mt19937_64 rng(entries);
    std::vector<std::uint64_t> added(entries);
    WordFilter filter(entries);
    for (auto& w : added) filter.add(w = rng());
    for (const std::uint64_t w : added) ASSERT_TRUE(filter.may_hold(w)) << entries;
    // 16 bits an entry, three bits set: about 0.3 % of absent words pass; 1 % would mean the filter
    // is sized or indexed wrong (all three bits from one byte, say).
    int passed = 0;
    constexpr int kProbes = 200'000;
    for (int i = 0; i < kProbes; ++i) passed += filter.may_hold(rng()) ? 1 : 0;
    EXPECT_LT(passed, kProbes / 100) << entries;
  }
}

TEST(WordFilter, AnEmptyFilterHoldsNothing) {
  const WordFilter unsized;
  EXPECT_FALSE(unsized.may_hold(0));
  EXPECT_FALSE(unsized.may_hold(~0ULL));
  const WordFilter sized(0);
  EXPECT_FALSE(sized.may_hold(12345));
}

}  // namespace
}  // namespace dijk
