#pragma once
// Benign synthetic pictures (gradients, discs, stripes, noise) drawn from a seed, and their encoders.
#include <cstdint>
#include <string>
#include <vector>

namespace dijk::gen {

struct RgbImage {
  unsigned width = 0;
  unsigned height = 0;
  std::vector<std::uint8_t> pixels;  // RGB, row major
};

RgbImage draw(std::uint64_t seed, unsigned width, unsigned height);
std::vector<std::uint8_t> encode_jpeg(const RgbImage& image, int quality);
std::vector<std::uint8_t> encode_png(const RgbImage& image);
void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes);

}  // namespace dijk::gen
