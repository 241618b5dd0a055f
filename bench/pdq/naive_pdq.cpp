#include "bench/pdq/naive_pdq.h"

// jpeglib.h needs size_t and FILE declared before it.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include <spng.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

namespace dijk::bench {

namespace {

bool decode_rgb(std::span<const std::uint8_t> file, std::vector<std::uint8_t>& rgb, int& w, int& h) {
  if (file.size() > 2 && file[0] == 0xff && file[1] == 0xd8) {
    jpeg_decompress_struct cinfo;
    jpeg_error_mgr err;
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, file.data(), static_cast<unsigned long>(file.size()));
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    w = static_cast<int>(cinfo.output_width);
    h = static_cast<int>(cinfo.output_height);
    rgb.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row =
          rgb.data() + static_cast<std::size_t>(cinfo.output_scanline) * static_cast<std::size_t>(w) * 3;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return true;
  }
  spng_ctx* ctx = spng_ctx_new(0);
  spng_set_png_buffer(ctx, file.data(), file.size());
  spng_ihdr ihdr{};
  std::size_t size = 0;
  if (spng_get_ihdr(ctx, &ihdr) != 0 || spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &size) != 0) {
    spng_ctx_free(ctx);
    return false;
  }
  rgb.resize(size);
  const bool ok = spng_decode_image(ctx, rgb.data(), size, SPNG_FMT_RGB8, 0) == 0;
  w = static_cast<int>(ihdr.width);
  h = static_cast<int>(ihdr.height);
  spng_ctx_free(ctx);
  return ok;
}

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

}  // namespace

std::optional<PdqResult> naive_pdq(std::span<const std::uint8_t> file) {
  std::vector<std::uint8_t> rgb;
  int w = 0, h = 0;
  if (!decode_rgb(file, rgb, w, h)) return std::nullopt;
  PdqResult result;
  if (w < 5 || h < 5) return result;
  const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  std::vector<float> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = 0.299f * static_cast<float>(rgb[3 * i]) + 0.587f * static_cast<float>(rgb[3 * i + 1]) +
           0.114f * static_cast<float>(rgb[3 * i + 2]);
  }
  const int wr = (w + 127) / 128, wc = (h + 127) / 128;
  for (int pass = 0; pass < 2; ++pass) {
    for (int y = 0; y < h; ++y)
      box1d(&a[static_cast<std::size_t>(y) * static_cast<std::size_t>(w)],
            &b[static_cast<std::size_t>(y) * static_cast<std::size_t>(w)], w, 1, wr);
    for (int x = 0; x < w; ++x)
      box1d(&b[static_cast<std::size_t>(x)], &a[static_cast<std::size_t>(x)], h, w, wc);
  }
  float s[64][64];
  for (int i = 0; i < 64; ++i) {
    const auto yi = static_cast<std::size_t>(((i + 0.5) * h) / 64);
    for (int j = 0; j < 64; ++j)
      s[i][j] = a[yi * static_cast<std::size_t>(w) + static_cast<std::size_t>(((j + 0.5) * w) / 64)];
  }
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
  for (int k = 0; k < 256; ++k) {
    if (c[k / 16][k % 16] > sorted[127]) result.hash.set_bit(k);
  }
  return result;
}

}  // namespace dijk::bench
