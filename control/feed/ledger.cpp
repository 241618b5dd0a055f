#include "control/feed/ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "control/feed/files.h"
#include "core/durable_file.h"
#include "hashcore/util/hex.h"

namespace dijk::feed {
namespace {

constexpr std::uint64_t kMaxLedgerBytes = std::uint64_t{1} << 30;

std::string escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F || c == '%') {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (s.size() - i < 3) return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::optional<LedgerKind> kind_from_name(std::string_view s) {
  for (LedgerKind k : {LedgerKind::publish, LedgerKind::retract, LedgerKind::unretract}) {
    if (ledger_kind_name(k) == s) return k;
  }
  return std::nullopt;
}

// One line into a record; the reason when it does not parse.
std::string parse_line(std::string_view line, const LedgerLimits& limits, LedgerRecord& r) {
  std::size_t pos = line.find('\t');
  const auto kind = kind_from_name(line.substr(0, pos));
  if (!kind) return "unknown record kind";
  r.kind = *kind;
  bool have_time = false;
  while (pos != std::string_view::npos) {
    const std::size_t start = pos + 1;
    pos = line.find('\t', start);
    const std::string_view field = line.substr(start, pos == std::string_view::npos ? pos : pos - start);
    const std::size_t eq = field.find('=');
    if (eq == std::string_view::npos) return "field without '='";
    const std::string_view key = field.substr(0, eq);
    const auto value = unescape(field.substr(eq + 1));
    if (!value) return "bad %-escape in `" + std::string(key.substr(0, 32)) + "`";
    bool ok = true;
    if (key == "time") {
      ok = parse_number(*value, r.time);
      have_time = ok;
    } else if (key == "by" || key == "note") {
      if (value->size() > limits.max_text_bytes) return std::string(key) + " longer than the cap";
      (key == "by" ? r.by : r.note) = *value;
    } else if (r.kind != LedgerKind::publish) {
      if (key == "hashes") {
        std::string_view rest = *value;
        while (!rest.empty()) {
          const std::size_t comma = rest.find(',');
          const auto d = parse_digest_label(rest.substr(0, comma));
          if (!d) return "bad hash in the hash list";
          if (r.hashes.size() >= limits.max_hashes_per_record) return "more hashes than the cap";
          r.hashes.push_back(*d);
          rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
      }
    } else if (key == "version") {
      ok = parse_number(*value, r.version);
    } else if (key == "hashes") {
      ok = parse_number(*value, r.total);
    } else if (key == "added") {
      ok = parse_number(*value, r.added);
    } else if (key == "removed") {
      ok = parse_number(*value, r.removed);
    } else if (key == "held") {
      ok = parse_number(*value, r.held);
    }
    if (!ok) return "`" + std::string(key.substr(0, 32)) + "` is not a number";
  }
  if (!have_time) return "no time";
  if (r.kind != LedgerKind::publish && r.hashes.empty()) return "no hashes";
  return "";
}

}  // namespace

std::string_view ledger_kind_name(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::publish:
      return "publish";
    case LedgerKind::retract:
      return "retract";
    case LedgerKind::unretract:
      return "unretract";
  }
  return "?";
}

std::string digest_label(const Digest& d) {
  return std::string(algorithm_name(d.algorithm)) + ":" + to_hex({d.bytes.data(), d.size()});
}

std::optional<Digest> parse_digest_label(std::string_view text) {
  Digest d;
  const std::size_t colon = text.find(':');
  std::string_view hex = text;
  if (colon != std::string_view::npos) {
    const auto a = algorithm_from_name(text.substr(0, colon));
    if (!a) return std::nullopt;
    d.algorithm = *a;
    hex = text.substr(colon + 1);
    if (hex.size() != 2 * d.size()) return std::nullopt;
  } else {
    const auto a = algorithm_from_hex_length(hex.size());
    if (!a) return std::nullopt;
    d.algorithm = *a;
  }
  if (!from_hex_into(hex, {d.bytes.data(), d.size()})) return std::nullopt;
  return d;
}

bool DigestLess::operator()(const Digest& a, const Digest& b) const {
  if (a.algorithm != b.algorithm) return a.algorithm < b.algorithm;
  return std::memcmp(a.bytes.data(), b.bytes.data(), a.size()) < 0;
}

std::string render_ledger_record(const LedgerRecord& r) {
  std::string line(ledger_kind_name(r.kind));
  line += "\ttime=" + std::to_string(r.time);
  line += "\tby=" + escape(r.by);
  line += "\tnote=" + escape(r.note);
  if (r.kind == LedgerKind::publish) {
    line += "\tversion=" + std::to_string(r.version) + "\thashes=" + std::to_string(r.total) +
            "\tadded=" + std::to_string(r.added) + "\tremoved=" + std::to_string(r.removed) +
            "\theld=" + std::to_string(r.held);
  } else {
    line += "\thashes=";
    for (std::size_t i = 0; i < r.hashes.size(); ++i) {
      if (i > 0) line += ',';
      line += digest_label(r.hashes[i]);
    }
  }
  return line + "\n";
}

ParsedLedger parse_ledger(std::string_view text, const LedgerLimits& limits) {
  ParsedLedger out;
  std::uint64_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      // A crash between write and fsync can leave a torn last line: it never counts.
      out.problems.push_back({number, "incomplete last line (torn write), ignored"});
      break;
    }
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.empty()) continue;
    if (line.size() > limits.max_line_bytes) {
      out.problems.push_back({number, "line longer than the cap"});
      continue;
    }
    LedgerRecord r;
    std::string why = parse_line(line, limits, r);
    if (why.empty()) {
      out.records.push_back(std::move(r));
    } else {
      out.problems.push_back({number, std::move(why)});
    }
  }
  return out;
}

RetractedSet::RetractedSet(const std::vector<LedgerRecord>& records) {
  for (const LedgerRecord& r : records) {
    for (const Digest& d : r.hashes) {
      if (r.kind == LedgerKind::retract) {
        LedgerRecord summary = r;
        summary.hashes.clear();  // each entry keeps who, when and why, not the whole batch
        by_digest_.insert_or_assign(d, std::move(summary));
      } else if (r.kind == LedgerKind::unretract) {
        by_digest_.erase(d);
      }
    }
  }
}

const LedgerRecord* RetractedSet::retraction(const Digest& d) const {
  const auto it = by_digest_.find(d);
  return it == by_digest_.end() ? nullptr : &it->second;
}

Ledger::Ledger(std::string keys_dir) : path_((std::filesystem::path(keys_dir) / "ledger").string()) {}

ParsedLedger Ledger::read() const {
  if (!std::filesystem::exists(path_)) return {};
  return parse_ledger(read_text_file(path_, kMaxLedgerBytes));
}

void Ledger::append(const LedgerRecord& record) const {
  append_line_durably(path_, render_ledger_record(record), 0644);
}

}  // namespace dijk::feed
