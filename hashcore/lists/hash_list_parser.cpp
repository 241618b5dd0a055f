#include "hashcore/lists/hash_list_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "hashcore/util/hex.h"

namespace dijk {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reports problems against the current line and counts them, so every caller does it the same way.
class LineContext {
 public:
  LineContext(const ListParseCallbacks& cb, ListParseStats& stats) : cb_(cb), stats_(stats) {}
  void error(std::uint64_t line, const std::string& reason) {
    ++stats_.malformed;
    if (cb_.on_error) cb_.on_error(line, reason);
  }
  // A hex hash of any known algorithm (by length), or of exactly `expected` if given.
  void hash(std::uint64_t line, std::string_view hex, std::optional<Algorithm> expected = std::nullopt) {
    const auto algo = expected ? expected : algorithm_from_hex_length(hex.size());
    if (!algo || hex.size() != digest_size(*algo) * 2) {
      error(line,
            "hash of " + std::to_string(hex.size()) + " characters is not " +
                (expected ? std::string(algorithm_name(*expected)) : std::string("MD5, SHA-1 or SHA-256")));
      return;
    }
    Digest d;
    d.algorithm = *algo;
    if (!from_hex_into(hex, {d.bytes.data(), d.size()})) {
      error(line, "not a hexadecimal hash: '" + std::string(hex.substr(0, 80)) + "'");
      return;
    }
    ++stats_.hashes;
    if (cb_.on_hash) cb_.on_hash(d, line);
  }
  void pdq(std::uint64_t line, std::string_view hex, std::optional<int> quality) {
    if (!cb_.on_pdq) {
      error(line, "PDQ hashes are not supported by this build");
      return;
    }
    const std::string reason = cb_.on_pdq(hex, quality, line);
    if (!reason.empty()) {
      error(line, reason);
      return;
    }
    ++stats_.pdq_hashes;
  }
  void skip() { ++stats_.skipped; }

 private:
  const ListParseCallbacks& cb_;
  ListParseStats& stats_;
};

// "MD5 (name) = hash", as BSD md5/sha tools and `sha256sum --tag` print.
std::optional<std::string_view> bsd_tagged_hash(std::string_view line) {
  const auto open = line.find(" (");
  const auto eq = line.rfind(") = ");
  if (open == std::string_view::npos || eq == std::string_view::npos || eq < open) return std::nullopt;
  const std::string tag = lower(line.substr(0, open));
  if (tag != "md5" && tag != "sha1" && tag != "sha256" && tag != "sha-1" && tag != "sha-256")
    return std::nullopt;
  return trim(line.substr(eq + 4));
}

void parse_plain_line(std::string_view line, std::uint64_t n, LineContext& ctx) {
  if (auto tagged = bsd_tagged_hash(line)) {
    ctx.hash(n, *tagged);
    return;
  }
  // md5sum output is "hash  name" or "hash *name"; a bare hash is the first token too.
  const auto end = line.find_first_of(" \t");
  ctx.hash(n, line.substr(0, end));
}

// Splits one CSV record (RFC 4180 quoting, no embedded newlines). Returns false on an unterminated quote.
bool split_csv(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::string(trim(field)));
      field.clear();
    } else {
      field += c;
    }
  }
  if (quoted) return false;
  fields.push_back(std::string(trim(field)));
  return true;
}

class CsvParser {
 public:
  explicit CsvParser(LineContext& ctx) : ctx_(ctx) {}

  void line(std::string_view text, std::uint64_t n) {
    if (!split_csv(text, fields_)) {
      ctx_.error(n, "unterminated quote");
      return;
    }
    if (!have_header_) {
      header(n);
      return;
    }
    for (const auto& [index, algo] : digest_columns_) {
      if (index < fields_.size() && !fields_[index].empty()) ctx_.hash(n, fields_[index], algo);
    }
    if (pdq_column_ && *pdq_column_ < fields_.size() && !fields_[*pdq_column_].empty()) {
      std::optional<int> quality;
      if (quality_column_ && *quality_column_ < fields_.size() && !fields_[*quality_column_].empty()) {
        const std::string& q = fields_[*quality_column_];
        if (q.size() > 3 || !std::all_of(q.begin(), q.end(), [](char c) {
              return std::isdigit(static_cast<unsigned char>(c));
            })) {
          ctx_.error(n, "quality '" + q.substr(0, 20) + "' is not a number from 0 to 100");
          return;
        }
        quality = std::stoi(q);
        if (*quality > 100) {
          ctx_.error(n, "quality " + q + " is above 100");
          return;
        }
      }
      ctx_.pdq(n, fields_[*pdq_column_], quality);
    }
  }

  bool have_header() const { return have_header_; }

 private:
  void header(std::uint64_t n) {
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      const std::string name = lower(fields_[i]);
      if (auto algo = algorithm_from_name(name)) digest_columns_.emplace_back(i, *algo);
      if (name == "pdq") pdq_column_ = i;
      if (name == "quality" || name == "pdq_quality") quality_column_ = i;
    }
    if (digest_columns_.empty() && !pdq_column_) {
      ctx_.error(n, "CSV header names no hash column (expected md5, sha1, sha256 or pdq)");
      return;  // the next line is tried as a header again
    }
    have_header_ = true;
    ctx_.skip();
  }

  LineContext& ctx_;
  std::vector<std::string> fields_;
  bool have_header_ = false;
  std::vector<std::pair<std::size_t, Algorithm>> digest_columns_;
  std::optional<std::size_t> pdq_column_;
  std::optional<std::size_t> quality_column_;
};

// ClamAV hash signatures: "hash:size:name" (size may be '*'); .hdb holds MD5, .hsb SHA-1 or SHA-256.
void parse_clamav_line(std::string_view line, std::uint64_t n, bool md5_only, LineContext& ctx) {
  const auto c1 = line.find(':');
  const auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
  if (c2 == std::string_view::npos) {
    ctx.error(n, "ClamAV signature needs hash:size:name");
    return;
  }
  const std::string_view size = line.substr(c1 + 1, c2 - c1 - 1);
  if (size.empty() || (size != "*" && !std::all_of(size.begin(), size.end(), [](char c) {
                         return std::isdigit(static_cast<unsigned char>(c));
                       }))) {
    ctx.error(n, "ClamAV signature size '" + std::string(size.substr(0, 20)) + "' is not a number or '*'");
    return;
  }
  const std::string_view hex = line.substr(0, c1);
  if (md5_only) {
    ctx.hash(n, hex, Algorithm::md5);
  } else if (hex.size() == 32) {
    ctx.error(n, "MD5 signature in a .hsb file (MD5 belongs in .hdb)");
  } else {
    ctx.hash(n, hex);
  }
}

}  // namespace

std::string_view list_format_name(ListFormat f) {
  switch (f) {
    case ListFormat::plain:
      return "plain";
    case ListFormat::csv:
      return "csv";
    case ListFormat::clamav_hdb:
      return "hdb";
    case ListFormat::clamav_hsb:
      return "hsb";
    case ListFormat::pdq_text:
      return "pdq";
  }
  return "plain";
}

ListFormat list_format_for_path(std::string_view path) {
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string_view::npos ? "" : lower(path.substr(dot + 1));
  if (ext == "csv") return ListFormat::csv;
  if (ext == "hdb") return ListFormat::clamav_hdb;
  if (ext == "hsb") return ListFormat::clamav_hsb;
  if (ext == "pdq") return ListFormat::pdq_text;
  return ListFormat::plain;
}

ListParseStats parse_hash_list(std::span<const std::uint8_t> bytes, ListFormat format,
                               const ListParseCallbacks& callbacks) {
  ListParseStats stats;
  LineContext ctx(callbacks, stats);
  CsvParser csv(ctx);
  const std::string_view all(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::size_t pos = 0;
  std::uint64_t n = 0;
  while (pos < all.size()) {
    auto end = all.find('\n', pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view raw = all.substr(pos, end - pos);
    pos = end + 1;
    ++n;
    ++stats.lines;
    if (n == 1 && raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);  // UTF-8 byte order mark
    if (raw.size() > kMaxListLineBytes) {
      ctx.error(n, "line longer than " + std::to_string(kMaxListLineBytes) + " bytes");
      continue;
    }
    if (raw.find('\0') != std::string_view::npos) {
      ctx.error(n, "NUL byte in line (binary file?)");
      continue;
    }
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') {
      ctx.skip();
      continue;
    }
    switch (format) {
      case ListFormat::plain:
        parse_plain_line(line, n, ctx);
        break;
      case ListFormat::csv:
        csv.line(line, n);
        break;
      case ListFormat::clamav_hdb:
        parse_clamav_line(line, n, true, ctx);
        break;
      case ListFormat::clamav_hsb:
        parse_clamav_line(line, n, false, ctx);
        break;
      case ListFormat::pdq_text:
        ctx.pdq(n, line.substr(0, line.find_first_of(" \t,")), std::nullopt);
        break;
    }
  }
  return stats;
}

}  // namespace dijk
