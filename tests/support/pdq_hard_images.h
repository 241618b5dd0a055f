#pragma once
// Pictures that are hard for a scaled-down decode: fine stripes, thin-line art and flat screenshot-like
// graphics, drawn deterministically from a seed (no files to check in), and their baseline JPEG encoding.
// Photographs have little energy at fine scales; these put most of theirs there, which is what makes a
// DCT-domain downscale alias (issue 19). Used by the PDQ tests and bench_pdq_hash.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dijk::pdqtest {

enum class HardFamily : std::uint8_t { stripes, line_art, screenshot };
inline constexpr HardFamily kHardFamilies[] = {HardFamily::stripes, HardFamily::line_art,
                                               HardFamily::screenshot};
std::string_view hard_family_name(HardFamily family);

struct RgbPicture {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> rgb;  // row major, 3 bytes a pixel
};

RgbPicture draw_hard_picture(HardFamily family, std::uint32_t width, std::uint32_t height,
                             std::uint64_t seed);

// libjpeg-turbo's defaults (4:2:0, integer DCT, Huffman tables per quality) at this quality.
std::vector<std::uint8_t> encode_baseline_jpeg(const RgbPicture& picture, int quality);

// One case of the test set: what to draw and how to encode it; name() is how tests and the CSV call it.
struct HardImageCase {
  HardFamily family;
  std::uint32_t width, height;
  std::uint64_t seed;
  int jpeg_quality;
  std::string name() const;
  std::vector<std::uint8_t> jpeg() const;
};

// The fixed test set: every family at screen and camera sizes, several seeds and JPEG qualities.
std::vector<HardImageCase> hard_image_cases();

}  // namespace dijk::pdqtest
