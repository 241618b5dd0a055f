#pragma once
// PDQ, written from the published algorithm (Meta's "The TMK+PDQF and PDQ hashing algorithms", 2019):
// luminance -> two passes of a box filter along rows and columns (Jarosz tent) sized to the image ->
// 64x64 samples -> 16x16 low-frequency DCT without the DC row and column -> one bit per coefficient above
// the median. Quality is the summed gradient of the 64x64 samples, capped at 100.
//
// One PdqHasher per thread: it owns the decoder and every plane, grows them to the largest image seen and
// then never allocates again.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hashcore/image/image_decoder.h"
#include "hashcore/pdq/fast_path_check.h"
#include "hashcore/pdq/pdq_hash.h"

namespace dijk {

struct PdqOptions {
  image::DecodeLimits limits;
  // Fast path: JPEGs decode scaled down in the DCT domain (to a shorter side >= fast_min_side) and use
  // their Y channel. Within 8 bits of full resolution on photographs; images the check takes for graphics
  // (flat fills, thin lines, fine stripes, where a scaled decode strays up to 32 bits) are decoded again at
  // full resolution. tests/unit/pdq asserts <= 8 on both kinds; docs/pdq.md has the figures.
  bool fast = true;
  std::uint32_t fast_min_side = 256;
  FastPathCheck fast_check;
  // Hash the image as displayed under its JPEG EXIF orientation (rotations and mirrors come from the DCT,
  // so this costs nothing). Off by default: the reference and the lists built with it ignore EXIF.
  bool apply_exif_orientation = false;
};

class PdqHasher {
 public:
  explicit PdqHasher(PdqOptions options = {});

  // Decodes and hashes one file. nullopt when it does not decode (the decoder's counters say why).
  std::optional<PdqResult> hash_file_bytes(std::span<const std::uint8_t> file);
  std::optional<PdqDihedralResult> hash_file_bytes_dihedral(std::span<const std::uint8_t> file);

  // Hashes a luminance plane (row-major, 0..255). The plane is read only.
  PdqResult hash_luma(const float* luma, std::uint32_t width, std::uint32_t height);
  PdqDihedralResult hash_luma_dihedral(const float* luma, std::uint32_t width, std::uint32_t height);

  const image::DecodeCounters& decode_counters() const { return decoder_.counters(); }
  // Fast-path images the check sent back for a full-resolution decode.
  std::uint64_t full_resolution_redecodes() const { return full_resolution_redecodes_; }
  image::DecodeStatus last_status() const { return last_status_; }
  const PdqOptions& options() const { return options_; }

 private:
  // Fills dct_ (16x16) and returns the quality; false when the image is too small to hash.
  bool transform(const float* luma, std::uint32_t width, std::uint32_t height, int& quality);
  struct Plane {
    const float* pixels = nullptr;  // nullptr: did not decode
    std::uint32_t width = 0, height = 0;
    bool scaled = false;
  };
  Plane decode(std::span<const std::uint8_t> file, std::uint32_t jpeg_min_side);
  // Decodes (scaled on the fast path) and fills dct_, again from a full decode when the check says so.
  // nullopt: did not decode; otherwise transform()'s answer.
  std::optional<bool> decode_and_transform(std::span<const std::uint8_t> file, int& quality);
  void apply_orientation();  // turns dct_ into the DCT of the image as its EXIF orientation displays it
  // The hash of dct_ (or its eight dihedral hashes) under the file's orientation.
  PdqHash oriented_hash();
  std::array<PdqHash, kPdqDihedralCount> oriented_dihedral_hashes();

  PdqOptions options_;
  image::ImageDecoder decoder_;
  image::DecodeStatus last_status_ = image::DecodeStatus::ok;
  std::uint8_t orientation_ = 1;                 // of the file being hashed
  std::uint64_t full_resolution_redecodes_ = 0;  // see full_resolution_redecodes()
  std::vector<float> plane_a_, plane_b_;         // filter ping-pong buffers, as large as the largest image
  std::vector<float> column_sums_;               // one running sum per column for the vertical pass
  std::vector<float> strip_in_, strip_out_;      // eight rows, transposed, for the horizontal pass
  float samples_[64][64];
  float partial_[16][64];
  float dct_[16][16];
};

}  // namespace dijk
