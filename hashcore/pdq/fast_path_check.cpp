#include "hashcore/pdq/fast_path_check.h"

#include <cstddef>

namespace dijk {

float flat_share(const float* luma, std::uint32_t width, std::uint32_t height) {
  if (width < 2 || height < 2) return 0.0f;
  // Every fourth row is plenty for a share (64 rows or more on any scaled plane) and a quarter the cost.
  constexpr std::uint32_t kRowStep = 4;
  std::uint64_t flat = 0, seen = 0;
  for (std::uint32_t y = 0; y + 1 < height; y += kRowStep) {
    const float* row = luma + std::size_t{y} * width;
    const float* below = row + width;
    std::uint32_t in_row = 0;  // a branch-free count per row, so the loop vectorises
    for (std::uint32_t x = 0; x + 1 < width; ++x)
      in_row +=
          static_cast<std::uint32_t>(row[x] == row[x + 1]) & static_cast<std::uint32_t>(row[x] == below[x]);
    flat += in_row;
    seen += width - 1;
  }
  return static_cast<float>(static_cast<double>(flat) / static_cast<double>(seen));
}

float low_frequency_share(const float (&dct)[16][16]) {
  double low = 0, all = 0;
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      const double e = double{dct[i][j]} * dct[i][j];
      all += e;
      if (i < 4 && j < 4) low += e;
    }
  }
  return all > 0 ? static_cast<float>(low / all) : 1.0f;
}

bool FastPathCheck::scaled_plane_is_usable(const float* luma, std::uint32_t width,
                                           std::uint32_t height) const {
  return max_flat_share <= 0 || flat_share(luma, width, height) < max_flat_share;
}

bool FastPathCheck::scaled_dct_is_usable(const float (&dct)[16][16]) const {
  return low_frequency_share(dct) >= min_low_frequency_share;
}

}  // namespace dijk
