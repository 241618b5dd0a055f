// Loads /etc/dijk/dijk.toml into dijk::Config. Reports every problem it finds, each as file:line:column:
// syntax errors (the parser stops at the first, so the loader blanks that line and parses again to find the
// next), unknown keys (with the closest known key as a "did you mean"), wrong types and out-of-range values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema/config.h"

namespace dijk {

struct ConfigError {
  std::string file;
  std::uint32_t line = 0;  // 1-based; 0 when the problem is the file as a whole
  std::uint32_t column = 0;
  std::string message;

  // "file:line:column: error: message" (or "file: error: message" without a position).
  std::string to_string() const;
};

struct LoadResult {
  Config config;  // defaults overlaid with every value that passed its checks
  std::vector<ConfigError> errors;

  bool ok() const { return errors.empty(); }
  // Every error, one per line.
  std::string error_text() const;
};

// Larger config files are refused outright: the file is hostile input like any other.
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;
// After this many syntax errors the loader stops looking for more.
inline constexpr int kMaxSyntaxErrors = 20;

LoadResult load_config_text(std::string_view text, std::string_view file_name);
LoadResult load_config_file(const std::filesystem::path& path);

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace dijk
