// Hostile image bytes through the decoder and PDQ (the file type is sniffed, so each target's corpus
// decides which decoder it mostly exercises). Also checks the invariants a caller relies on.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "hashcore/pdq/pdq_hasher.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dijk::PdqOptions options;
  options.limits.max_pixels = 4'000'000;  // keeps each run fast; the limit logic is the same
  for (bool fast : {true, false}) {
    options.fast = fast;
    options.apply_exif_orientation = fast;  // the EXIF reader gets hostile bytes too
    dijk::PdqHasher hasher(options);
    const auto result = hasher.hash_file_bytes(std::span(data, size));
    if (result && (result->quality < 0 || result->quality > 100)) std::abort();
    if (!result && hasher.last_status() == dijk::image::DecodeStatus::ok) std::abort();
  }
  return 0;
}
