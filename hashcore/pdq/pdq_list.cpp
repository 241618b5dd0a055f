#include "hashcore/pdq/pdq_list.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

namespace dijk {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) s.remove_suffix(1);
  return s;
}

// Splits on commas into at most `max` fields; returns false if there are more.
bool split(std::string_view line, std::vector<std::string_view>& out, std::size_t max) {
  out.clear();
  for (;;) {
    if (out.size() == max) return false;
    const auto comma = line.find(',');
    out.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return true;
    line.remove_prefix(comma + 1);
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

}  // namespace

PdqListStats parse_pdq_list(std::string_view text, const PdqListOptions& options,
                            const std::function<void(const PdqHash&, int quality)>& on_hash) {
  PdqListStats stats;
  constexpr std::size_t kMaxFields = 256;
  std::vector<std::string_view> fields;
  std::optional<std::size_t> pdq_column, quality_column;
  bool header_seen = false;
  std::uint64_t line_number = 0;
  const auto bad = [&] {
    ++stats.bad_lines;
    if (stats.first_bad_line == 0) stats.first_bad_line = line_number;
  };
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_number;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (raw.size() > options.max_line) {
      bad();
      continue;
    }
    const bool has_comma = line.find(',') != std::string_view::npos;
    if (!header_seen && has_comma) {
      // The first CSV line must be the header naming the columns.
      header_seen = true;
      if (!split(line, fields, kMaxFields)) {
        bad();
        continue;
      }
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (iequals(fields[i], "pdq") || iequals(fields[i], "pdq_hash") || iequals(fields[i], "hash")) {
          if (!pdq_column) pdq_column = i;
        } else if (iequals(fields[i], "quality")) {
          quality_column = i;
        }
      }
      if (!pdq_column) {
        if (const auto h = PdqHash::from_hex(fields[0])) {  // headerless CSV: hash first, quality second
          pdq_column = 0;
          if (fields.size() > 1) quality_column = 1;
        } else {
          bad();
          continue;
        }
      } else {
        continue;
      }
    }
    header_seen = true;
    std::string_view hash_text = line;
    int quality = 100;
    if (pdq_column) {
      if (!split(line, fields, kMaxFields) || fields.size() <= *pdq_column) {
        bad();
        continue;
      }
      hash_text = fields[*pdq_column];
      if (quality_column && *quality_column < fields.size() && !fields[*quality_column].empty()) {
        const std::string_view q = fields[*quality_column];
        const auto [end, ec] = std::from_chars(q.data(), q.data() + q.size(), quality);
        if (ec != std::errc() || end != q.data() + q.size() || quality < 0 || quality > 100) {
          bad();
          continue;
        }
      }
    }
    const auto hash = PdqHash::from_hex(hash_text);
    if (!hash) {
      bad();
      continue;
    }
    if (quality < options.min_quality) {
      ++stats.low_quality;
      continue;
    }
    ++stats.hashes;
    on_hash(*hash, quality);
  }
  return stats;
}

}  // namespace dijk
