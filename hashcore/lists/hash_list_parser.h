#pragma once
// Parses the hash lists hotlines exchange: plain text (one hash a line; md5sum/sha1sum/sha256sum and BSD
// "MD5 (f) = h" output accepted; algorithm by length), CSV with a header naming the hash column(s), and
// ClamAV .hdb/.hsb signatures. Every malformed line is reported with its line number and reason; nothing
// is dropped silently.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hashcore/digest/algorithm.h"

namespace dijk {

enum class ListFormat { plain, csv, clamav_hdb, clamav_hsb, pdq_text };

std::string_view list_format_name(ListFormat f);
// By file name extension (.csv, .hdb, .hsb, .pdq); plain text otherwise.
ListFormat list_format_for_path(std::string_view path);

struct ListParseStats {
  std::uint64_t lines = 0;
  std::uint64_t hashes = 0;
  std::uint64_t pdq_hashes = 0;
  std::uint64_t skipped = 0;    // blank lines, comments, CSV header
  std::uint64_t malformed = 0;  // each also reported through on_error
};

struct ListParseCallbacks {
  std::function<void(const Digest&, std::uint64_t line)> on_hash;
  // PDQ hashes (a `pdq` CSV column or a pdq_text list): 64 hex characters, validated by the receiver,
  // which returns an error reason or an empty string. Optional quality from a `quality` column.
  std::function<std::string(std::string_view hex, std::optional<int> quality, std::uint64_t line)> on_pdq;
  std::function<void(std::uint64_t line, const std::string& reason)> on_error;
};

inline constexpr std::size_t kMaxListLineBytes = 64 * 1024;

// Parses a whole list held in memory.
ListParseStats parse_hash_list(std::span<const std::uint8_t> bytes, ListFormat format,
                               const ListParseCallbacks& callbacks);

}  // namespace dijk
