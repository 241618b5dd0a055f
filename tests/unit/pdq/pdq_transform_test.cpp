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

namespace dijk {
namespace {

// The reference's filter, one line at a time, with the stride of a row or a column.
void box1d(const float* in, float* out, int length, int stride, int window) {
  const int half = (window + 2) / 2;
  const int p1 = half - 1, p2 = window - half + 1, p3 = length - window, p4 = half - 1;
  int li = 0, ri = 0, oi = 0, count = 0;
  float sum = 0;
  for (int i = 0; i < p1; ++i, ri += stride, ++count) sum += in[ri];
  for (int i = 0; i < p2; ++i, ri += stride, oi += stride) {
    sum += in[ri];
    out[oi] = sum / static_cast<float>(++count);
  }
  for (int i = 0; i < p3; ++i, li += stride, ri += stride, oi += stride) {
    sum += in[ri];
    sum -= in[li];
    out[oi] = sum / static_cast<float>(count);
  }
  for (int i = 0; i < p4; ++i, li += stride, oi += stride) {
    sum -= in[li];
    out[oi] = sum / static_cast<float>(--count);
  }
}

PdqResult straightforward(std::vector<float> a, int w, int h) {
  PdqResult result;
  const auto at = [&](int y, int x) {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x);
  };
  std::vector<float> b(a.size());
  const int wr = (w + 127) / 128, wc = (h + 127) / 128;
  for (int pass = 0; pass < 2; ++pass) {
    for (int y = 0; y < h; ++y) box1d(&a[at(y, 0)], &b[at(y, 0)], w, 1, wr);
    for (int x = 0; x < w; ++x) box1d(&b[at(0, x)], &a[at(0, x)], h, w, wc);
  }
  float s[64][64];
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 64; ++j)
      s[i][j] = a[at(static_cast<int>(((i + 0.5) * h) / 64), static_cast<int>(((j + 0.5) * w) / 64))];
  int grad = 0;
  for (int i = 0; i < 63; ++i)
    for (int j = 0; j < 64; ++j) grad += std::abs(static_cast<int>(((s[i][j] - s[i + 1][j]) * 100) / 255));
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 63; ++j) grad += std::abs(static_cast<int>(((s[i][j] - s[i][j + 1]) * 100) / 255));
  result.quality = std::min(grad / 90, 100);
  float d[16][64], t[16][64], c[16][16];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 64; ++j)
      d[i][j] = static_cast<float>(std::sqrt(2.0 / 64.0) *
                                   std::cos((std::numbers::pi / 2 / 64.0) * (i + 1) * (2 * j + 1)));
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 64; ++j) {
      float sum = 0;
      for (int k = 0; k < 64; ++k) sum += d[i][k] * s[k][j];
      t[i][j] = sum;
    }
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      float sum = 0;
      for (int k = 0; k < 64; ++k) sum += t[i][k] * d[j][k];
      c[i][j] = sum;
    }
  std::vector<float> sorted(&c[0][0], &c[0][0] + 256);
  std::sort(sorted.begin(), sorted.end());
  for (int k = 0; k < 256; ++k)
    if (c[k / 16][k % 16] > sorted[127]) result.hash.set_bit(k);
  return result;
}

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
      const PdqResult theirs = straightforward(plane, w, h);
      EXPECT_EQ(ours.quality, theirs.quality) << w << "x" << h << " kind " << kind;
      EXPECT_EQ(ours.hash, theirs.hash) << w << "x" << h << " kind " << kind;
    }
  }
}

}  // namespace
}  // namespace dijk
