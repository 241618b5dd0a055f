#pragma once
// Decodes an image file held in memory (JPEG, PNG, GIF first frame, WebP) straight to a float luminance
// plane, the only thing PDQ needs. One decoder per thread: it keeps its buffers between images so the hot
// path does not allocate or fault pages in once it has seen its largest image.
//
// In dijk::image: its DecodeStatus and DecodeCounters are not the wire path's (dijk::wire).
//
// Every input is hostile: sizes are checked before any pixel buffer is sized, libraries get their own
// limits, and truncated or corrupt files are errors (never a half-grey image that could be hashed).
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "hashcore/sniff/file_type.h"

namespace dijk::image {

struct DecodeLimits {
  std::uint64_t max_pixels = 64'000'000;        // width * height of the stored image
  std::uint64_t max_file_bytes = 256ull << 20;  // the encoded file
  std::uint32_t max_side = 65'535;              // either dimension
  std::uint32_t max_jpeg_scans = 256;           // progressive JPEG scan bombs
};

enum class DecodeStatus : std::uint8_t {
  ok,
  unsupported,      // not an image type we decode
  file_too_large,   // above max_file_bytes
  too_many_pixels,  // above max_pixels / max_side (decompression bomb)
  empty,            // zero-size image or file
  truncated,        // data ends early
  corrupt,          // the library rejected the data
};
inline constexpr std::size_t kDecodeStatusCount = 7;
std::string_view decode_status_name(DecodeStatus s);

struct DecodeOptions {
  // 0: decode at full resolution. Otherwise JPEGs may be decoded scaled down in the DCT domain (libjpeg-turbo
  // scale_num/8) to the smallest scale whose shorter side is still >= this many pixels; other formats ignore
  // it.
  std::uint32_t jpeg_min_side = 0;
  // Full-resolution JPEGs decode to RGB and weigh the channels like the reference; fast decodes use the
  // JPEG's own Y channel (no colour conversion, no chroma IDCT). Set to force the RGB route.
  bool jpeg_luma_from_rgb = false;
  // Read the EXIF orientation tag of JPEGs (LumaView::exif_orientation). The pixels are never rotated
  // here; PDQ applies the orientation to its DCT if asked to.
  bool read_exif_orientation = false;
};

// The DCT-domain scale (numerator over 8) a JPEG of this size decodes at for DecodeOptions::jpeg_min_side.
unsigned jpeg_scale_numerator(std::uint32_t width, std::uint32_t height, std::uint32_t min_side);

// A view of the decoder's luminance plane, valid until the next decode on the same decoder.
struct LumaView {
  const float* pixels = nullptr;  // row-major, values 0..255
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t source_width = 0;  // before any DCT-domain scaling
  std::uint32_t source_height = 0;
  FileType type = FileType::unknown;
  std::uint8_t exif_orientation = 1;  // 1..8 as in EXIF; 1 when absent, unread or invalid
};

// The orientation tag (0x0112) of an APP1 "Exif" payload (starting at "Exif\0\0"), or 1. Bounds-checked.
std::uint8_t exif_orientation(std::span<const std::uint8_t> app1);

struct DecodeResult {
  DecodeStatus status = DecodeStatus::unsupported;
  LumaView luma;
  bool ok() const { return status == DecodeStatus::ok; }
};

// Counts per outcome, owned by the decoder (one per thread); the owner sums them for stats.
struct DecodeCounters {
  std::array<std::uint64_t, kDecodeStatusCount> by_status{};
  std::uint64_t count(DecodeStatus s) const { return by_status[static_cast<std::size_t>(s)]; }
};

class ImageDecoder {
 public:
  explicit ImageDecoder(DecodeLimits limits = {});
  ~ImageDecoder();
  ImageDecoder(const ImageDecoder&) = delete;
  ImageDecoder& operator=(const ImageDecoder&) = delete;

  DecodeResult decode(std::span<const std::uint8_t> file, const DecodeOptions& options = {});

  const DecodeCounters& counters() const { return counters_; }
  const DecodeLimits& limits() const { return limits_; }

 private:
  DecodeStatus decode_jpeg(std::span<const std::uint8_t> file, const DecodeOptions& options, LumaView& out);
  DecodeStatus decode_png(std::span<const std::uint8_t> file, LumaView& out);
  DecodeStatus decode_gif(std::span<const std::uint8_t> file, LumaView& out);
  DecodeStatus decode_webp(std::span<const std::uint8_t> file, LumaView& out);
  DecodeStatus check_size(std::uint64_t width, std::uint64_t height) const;
  float* luma_rows(std::uint32_t width, std::uint32_t height);

  DecodeLimits limits_;
  DecodeCounters counters_;
  std::vector<float> luma_;
  std::vector<std::uint8_t> row_;  // one decoded row (or a whole image where a library needs it)
};

}  // namespace dijk::image
