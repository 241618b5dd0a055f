// PdqHasher's transform (vectorised box filters, the second pass filtering only the 64 sampled columns,
// the DCT's sums advancing side by side) gives the straightforward computation's hash and quality bit for
// bit, on planes of every awkward shape: under 64 pixels a side (sampled columns repeat), not a multiple
// of the 8-row strips, long and thin, and the sizes the fast path decodes to.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "hashcore/pdq/pdq_hasher.h"
#include "tests/support/straightforward_pdq.h"

namespace dijk {
namespace {

TEST(PdqTransform, EveryPlaneShapeHashesAsTheStraightforwardComputation) {
  std::mt19937 rng(5);
  const int shapes[][2] = {{5, 5},     {7, 300},   {300, 7},   {20, 20},   {63, 63},
                           {64, 64},   {65, 65},   {100, 37},  {129, 257}, {257, 129},
                           {375, 260}, {383, 255}, {600, 416}, {1001, 9},  {9, 1001}};
  for (const auto& [w, h] : shapes) {
    for (int kind = 0; kind < 2; ++kind) {
      std::vector<float> plane(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          // Noise, and a smooth picture with a little noise: both must agree to the last bit.
          const float noise = static_cast<float>(rng() % 256);
          const float smooth = 127.5f + 100.0f * std::sin(static_cast<float>(x) * 0.05f) *
                                            std::cos(static_cast<float>(y) * 0.03f);
          plane[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x)] =
              kind == 0 ? noise : std::round(smooth + noise / 32.0f);
        }
      }
      PdqHasher hasher;
      const PdqResult ours =
          hasher.hash_luma(plane.data(), static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h));
      const PdqResult theirs = test::straightforward_pdq(plane, w, h);
      EXPECT_EQ(ours.quality, theirs.quality) << w << "x" << h << " kind " << kind;
      EXPECT_EQ(ours.hash, theirs.hash) << w << "x" << h << " kind " << kind;
    }
  }
}

}  // namespace
}  // namespace dijk
