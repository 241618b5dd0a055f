#pragma once
// Parsing PDQ hash lists as hotlines and platforms share them: one 64-hex-digit hash a line, or CSV with a
// header naming a `pdq` column (optionally `quality`). Blank lines and `#` comments are skipped; a line
// that does not parse is counted and skipped, never guessed at.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "hashcore/pdq/pdq_hash.h"

namespace dijk {

struct PdqListStats {
  std::uint64_t hashes = 0;        // accepted
  std::uint64_t bad_lines = 0;     // not a hash / wrong column count / bad quality
  std::uint64_t low_quality = 0;   // quality below the minimum: dropped
  std::uint64_t first_bad_line = 0;  // 1-based, 0 if none
};

struct PdqListOptions {
  int min_quality = kPdqDefaultMinQuality;  // hashes below it can never match, so they are not imported
  std::size_t max_line = 64 * 1024;        // longer lines are bad lines
};

// Calls on_hash(hash, quality) for each accepted hash (quality 100 when the list has none).
PdqListStats parse_pdq_list(std::string_view text, const PdqListOptions& options,
                            const std::function<void(const PdqHash&, int quality)>& on_hash);

}  // namespace dijk
