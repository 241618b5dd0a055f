#include "tools/gen-images/synthetic_image.h"

#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

namespace dijk::gen {

RgbImage draw(std::uint64_t seed, unsigned width, unsigned height) {
  std::mt19937_64 rng(seed);
  RgbImage img{width, height, std::vector<std::uint8_t>(std::size_t{width} * height * 3)};
  const double fx = 1.0 + static_cast<double>(rng() % 7), fy = 1.0 + static_cast<double>(rng() % 5);
  const int base[3] = {static_cast<int>(rng() % 256), static_cast<int>(rng() % 256),
                       static_cast<int>(rng() % 256)};
  struct Disc {
    double x, y, r;
    std::uint8_t c[3];
  };
  std::vector<Disc> discs(3 + rng() % 6);
  for (auto& d : discs) {
    d.x = static_cast<double>(rng() % width);
    d.y = static_cast<double>(rng() % height);
    d.r = static_cast<double>(8 + rng() % (std::max(width, height) / 3 + 1));
    for (auto& c : d.c) c = static_cast<std::uint8_t>(rng());
  }
  // The wave is separable: one table a column (per channel) and one a row keep drawing cheap.
  std::vector<double> column_wave(std::size_t{width} * 3), row_wave(height);
  for (unsigned x = 0; x < width; ++x) {
    for (unsigned c = 0; c < 3; ++c) {
      column_wave[x * 3 + c] = 60.0 * std::sin(6.28318 * (fx * x / width + (c + 1) * 0.1));
    }
  }
  for (unsigned y = 0; y < height; ++y) row_wave[y] = std::cos(6.28318 * fy * y / height);
  for (unsigned y = 0; y < height; ++y) {
    for (unsigned x = 0; x < width; ++x) {
      std::uint8_t* p = &img.pixels[(std::size_t{y} * width + x) * 3];
      const std::uint64_t bits = rng();  // 3 noise values from one draw
      for (unsigned c = 0; c < 3; ++c) {
        const int noise = static_cast<int>((bits >> (c * 8)) % 25) - 12;
        const int wave = static_cast<int>(column_wave[x * 3 + c] * row_wave[y]);
        p[c] = static_cast<std::uint8_t>(std::clamp(base[c] + wave + noise, 0, 255));
      }
      for (const auto& d : discs) {
        const double dx = x - d.x, dy = y - d.y;
        if (dx * dx + dy * dy < d.r * d.r) {
          for (int c = 0; c < 3; ++c) p[c] = static_cast<std::uint8_t>((p[c] + 3 * d.c[c]) / 4);
        }
      }
    }
  }
  return img;
}

std::vector<std::uint8_t> encode_jpeg(const RgbImage& image, int quality) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  jpeg_mem_dest(&cinfo, &out, &out_size);
  cinfo.image_width = image.width;
  cinfo.image_height = image.height;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row =
        const_cast<std::uint8_t*>(&image.pixels[std::size_t{cinfo.next_scanline} * image.width * 3]);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<std::uint8_t> bytes(out, out + out_size);
  std::free(out);
  return bytes;
}

std::vector<std::uint8_t> encode_png(const RgbImage& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = image.width;
  png.height = image.height;
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), 0, nullptr)) {
    throw std::runtime_error("png size query failed");
  }
  std::vector<std::uint8_t> bytes(size);
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr)) {
    throw std::runtime_error(std::string("png encode failed: ") + png.message);
  }
  bytes.resize(size);
  return bytes;
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    throw std::runtime_error("cannot write " + path);
  }
}

}  // namespace dijk::gen
