// The two signs FastPathCheck reads, on planes and spectra whose answer is known.
#include "hashcore/pdq/fast_path_check.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace dijk {
namespace {

TEST(FastPathCheck, FlatShareCountsPixelsEqualToTheirRightAndLowerNeighbours) {
  constexpr std::uint32_t w = 64, h = 65;
  std::vector<float> plane(std::size_t{w} * h, 200.0f);
  EXPECT_FLOAT_EQ(flat_share(plane.data(), w, h), 1.0f);
  // A different value in every other column: no pixel equals its right neighbour.
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = 1; x < w; x += 2) plane[std::size_t{y} * w + x] = 10.0f;
  }
  EXPECT_FLOAT_EQ(flat_share(plane.data(), w, h), 0.0f);
  // The right half flat again: about half the pixels count.
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = w / 2; x < w; ++x) plane[std::size_t{y} * w + x] = 200.0f;
  }
  EXPECT_NEAR(flat_share(plane.data(), w, h), 0.5f, 0.02f);
  EXPECT_FLOAT_EQ(flat_share(plane.data(), 1, 1), 0.0f);  // nothing to compare
}

TEST(FastPathCheck, LowFrequencyShareIsTheEnergyInTheLowest4x4) {
  float dct[16][16] = {};
  EXPECT_FLOAT_EQ(low_frequency_share(dct), 1.0f);  // no energy: nothing says graphics
  dct[0][0] = 3.0f;
  dct[15][15] = -3.0f;
  EXPECT_FLOAT_EQ(low_frequency_share(dct), 0.5f);
  dct[3][3] = 3.0f;
  dct[4][0] = 3.0f;
  EXPECT_FLOAT_EQ(low_frequency_share(dct), 0.5f);
}

TEST(FastPathCheck, EitherSignRejectsAScaledDecodeAndZeroTurnsItOff) {
  constexpr std::uint32_t w = 32, h = 32;
  const std::vector<float> flat(std::size_t{w} * h, 128.0f);
  float white[16][16];
  for (auto& row : white) {
    for (float& v : row) v = 1.0f;  // energy spread evenly: 16 of 256 in the lowest 4x4
  }
  const FastPathCheck check;
  EXPECT_FALSE(check.scaled_plane_is_usable(flat.data(), w, h));
  EXPECT_FALSE(check.scaled_dct_is_usable(white));
  const FastPathCheck off{.max_flat_share = 0, .min_low_frequency_share = 0};
  EXPECT_TRUE(off.scaled_plane_is_usable(flat.data(), w, h));
  EXPECT_TRUE(off.scaled_dct_is_usable(white));
}

}  // namespace
}  // namespace dijk
