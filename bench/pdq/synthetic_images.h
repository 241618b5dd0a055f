#pragma once
// Deterministic synthetic test pictures (smooth structure plus texture, so PDQ has something to see and
// the entropy coder has realistic work) and their JPEG / PNG encodings, for the benchmarks.
#include <cstdint>
#include <vector>

namespace dijk::bench {

std::vector<std::uint8_t> synthetic_rgb(std::uint32_t width, std::uint32_t height, std::uint64_t seed);
std::vector<std::uint8_t> encode_jpeg(const std::vector<std::uint8_t>& rgb, std::uint32_t width,
                                      std::uint32_t height, int quality = 90);
std::vector<std::uint8_t> encode_png(const std::vector<std::uint8_t>& rgb, std::uint32_t width,
                                     std::uint32_t height);

}  // namespace dijk::bench
