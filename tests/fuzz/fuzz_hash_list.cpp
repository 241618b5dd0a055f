// Hostile hash lists: every format's parser must report bad lines and never crash or read past the input.
// The first byte picks the format, so one corpus covers all of them.
#include <cstdint>
#include <span>

#include "hashcore/lists/hash_list_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr dijk::ListFormat kFormats[] = {dijk::ListFormat::plain, dijk::ListFormat::csv,
                                           dijk::ListFormat::clamav_hdb, dijk::ListFormat::clamav_hsb,
                                           dijk::ListFormat::pdq_text};
  const dijk::ListFormat format = kFormats[data[0] % 5];
  dijk::ListParseCallbacks cb;
  std::uint64_t hashes = 0, errors = 0;
  cb.on_hash = [&](const dijk::Digest&, std::uint64_t) { ++hashes; };
  cb.on_error = [&](std::uint64_t, const std::string&) { ++errors; };
  const auto stats = dijk::parse_hash_list({data + 1, size - 1}, format, cb);
  // Every line is accounted for exactly once: a hash, a skip or an error (CSV lines may hold several hashes).
  if (stats.malformed != errors || stats.hashes != hashes) __builtin_trap();
  if (format != dijk::ListFormat::csv &&
      stats.hashes + stats.skipped + stats.malformed + stats.pdq_hashes != stats.lines) {
    __builtin_trap();
  }
  return 0;
}
