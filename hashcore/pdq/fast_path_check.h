#pragma once
// Whether a PDQ hash computed from a JPEG decoded scaled down in the DCT domain can stand in for the
// full-resolution one. On photographs it can (within 8 bits: their energy sits at low frequencies and
// their surfaces are textured). On flat graphics, thin-line art and fine stripes it cannot at any scale
// below 8/8 (up to 32 bits off, docs/pdq.md): their hashes hang on detail that any change of sampling
// moves. Two cheap signs tell them apart, each enough to send the image back for a full decode; a
// threshold of 0 turns its sign off.
#include <cstdint>

namespace dijk {

struct FastPathCheck {
  // Share of the scaled plane's pixels equal to their right and lower neighbours. Flat fills and text on
  // a plain ground keep exactly uniform areas through JPEG and DCT scaling; photographs (noise, texture)
  // stayed under 0.07 on every test and benchmark photo, graphics over 0.2.
  float max_flat_share = 0.15f;
  // Share of the 16x16 DCT's energy in its lowest 4x4 frequencies. Photographs have falling (1/f) spectra,
  // 0.45 to 0.8 here; thin lines spread their energy evenly, under 0.2, and alias under any resampling.
  float min_low_frequency_share = 0.35f;

  // Whether the hash may be taken from this scaled plane, and then from the DCT computed from it.
  bool scaled_plane_is_usable(const float* luma, std::uint32_t width, std::uint32_t height) const;
  bool scaled_dct_is_usable(const float (&dct)[16][16]) const;
};

float flat_share(const float* luma, std::uint32_t width, std::uint32_t height);
float low_frequency_share(const float (&dct)[16][16]);

}  // namespace dijk
