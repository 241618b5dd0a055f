// HugePageAllocator: both of its paths (operator new below 2 MiB, mmap with huge-page advice above)
// hold what is written, grow with their contents kept, and give value-initialised elements when asked.
#include "core/huge_page_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace dijk {
namespace {

template <typename T>
using Large = std::vector<T, HugePageAllocator<T>>;

TEST(HugePageAllocator, SmallAndLargeBlocksHoldWhatIsWrittenAcrossGrowth) {
  Large<std::uint64_t> v;
  for (std::uint64_t i = 0; i < (std::uint64_t{8} << 20) / sizeof(std::uint64_t); ++i) v.push_back(i * 7);
  for (std::uint64_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], i * 7);
}

TEST(HugePageAllocator, ExplicitValuesAreWrittenEvenOverRecycledMemory) {
  for (int round = 0; round < 3; ++round) {
    Large<std::uint32_t> dirty(std::size_t{3} << 20);
    for (auto& x : dirty) x = 0xdeadbeef;
    Large<std::uint32_t> zeros(std::size_t{3} << 20, 0);
    for (const auto x : zeros) ASSERT_EQ(x, 0u);
    Large<std::uint8_t> small(100, 1);
    for (const auto x : small) ASSERT_EQ(x, 1);
  }
}

}  // namespace
}  // namespace dijk
