#pragma once
// The straightforward way to compute PDQ from a luma plane, as Meta's reference tool does, for the tests
// and benchmarks that check the optimised hasher against it bit for bit. Header-only.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <vector>

#include "hashcore/pdq/pdq_hash.h"

namespace dijk::test {

// The reference's filter, one line at a time, with the stride of a row or a column.
inline void box1d(const float* in, float* out, int length, int stride, int window) {
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

// PDQ of a luma plane (w x h, row-major) computed the plain way: the filter passes striding down the
// plane, the 64x64 sample, quality, the DCT's sums one at a time, the median threshold.
inline PdqResult straightforward_pdq(std::vector<float> a, int w, int h) {
  PdqResult result;
  if (w < 5 || h < 5) return result;
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

}  // namespace dijk::test
