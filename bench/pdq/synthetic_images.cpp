#include "bench/pdq/synthetic_images.h"

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
#include <cstdlib>
#include <stdexcept>

namespace dijk::bench {

// Photographs have roughly 1/f spectra: large shapes carry most of the energy, detail decays with scale.
// Octaves of bilinearly interpolated random grids with amplitude halving per octave give the same, so PDQ
// bits are as stable here as on photos; per-pixel noise adds the texture that makes entropy decoding work.
std::vector<std::uint8_t> synthetic_rgb(std::uint32_t width, std::uint32_t height, std::uint64_t seed) {
  std::uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
  const auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  constexpr int kOctaves = 7;
  std::vector<float> plane(static_cast<std::size_t>(width) * height * 3, 128.0f);
  for (int octave = 0; octave < kOctaves; ++octave) {
    const std::uint32_t cells = 2u << octave;  // grid cells across the shorter side
    const double amplitude = 80.0 / std::pow(1.5, octave);
    const std::uint32_t gw = cells * width / std::min(width, height) + 2,
                        gh = cells * height / std::min(width, height) + 2;
    std::vector<float> grid(static_cast<std::size_t>(gw) * gh * 3);
    for (float& g : grid)
      g = static_cast<float>((static_cast<double>(next() % 2001) / 1000.0 - 1.0) * amplitude);
    const double sx = static_cast<double>(gw - 1) / width, sy = static_cast<double>(gh - 1) / height;
    for (std::uint32_t y = 0; y < height; ++y) {
      const double gy = y * sy;
      const auto y0 = static_cast<std::uint32_t>(gy);
      const double fy = gy - y0;
      for (std::uint32_t x = 0; x < width; ++x) {
        const double gx = x * sx;
        const auto x0 = static_cast<std::uint32_t>(gx);
        const double fx = gx - x0;
        for (std::uint32_t ch = 0; ch < 3; ++ch) {
          const auto at = [&](std::uint32_t xx, std::uint32_t yy) {
            return grid[(static_cast<std::size_t>(yy) * gw + xx) * 3 + ch];
          };
          const double v = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
                           fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
          plane[(static_cast<std::size_t>(y) * width + x) * 3 + ch] += static_cast<float>(v);
        }
      }
    }
  }
  std::vector<std::uint8_t> rgb(plane.size());
  for (std::size_t i = 0; i < plane.size(); ++i) {
    const double texture = static_cast<double>(next() & 15) - 8.0;
    rgb[i] = static_cast<std::uint8_t>(std::clamp(plane[i] + texture, 0.0, 255.0));
  }
  return rgb;
}

std::vector<std::uint8_t> encode_jpeg(const std::vector<std::uint8_t>& rgb, std::uint32_t width,
                                      std::uint32_t height, int quality) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < height) {
    JSAMPROW row =
        const_cast<JSAMPROW>(rgb.data() + static_cast<std::size_t>(cinfo.next_scanline) * width * 3);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<std::uint8_t> bytes(out, out + size);
  std::free(out);
  return bytes;
}

std::vector<std::uint8_t> encode_png(const std::vector<std::uint8_t>& rgb, std::uint32_t width,
                                     std::uint32_t height) {
  spng_ctx* ctx = spng_ctx_new(SPNG_CTX_ENCODER);
  spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
  spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, 3);
  spng_ihdr ihdr{};
  ihdr.width = width;
  ihdr.height = height;
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
  spng_set_ihdr(ctx, &ihdr);
  if (spng_encode_image(ctx, rgb.data(), rgb.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE) != 0) {
    spng_ctx_free(ctx);
    throw std::runtime_error("png encode failed");
  }
  std::size_t size = 0;
  int error = 0;
  auto* png = static_cast<std::uint8_t*>(spng_get_png_buffer(ctx, &size, &error));
  std::vector<std::uint8_t> bytes(png, png + size);
  std::free(png);
  spng_ctx_free(ctx);
  return bytes;
}

}  // namespace dijk::bench
