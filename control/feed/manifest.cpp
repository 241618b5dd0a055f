#include "control/feed/manifest.h"

#include <charconv>

#include "hashcore/util/hex.h"

namespace dijk::feed {
namespace {

// Walks the text line by line, each line `keyword [fields...]`, checking every cap as it goes.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ >= text_.size(); }
  std::size_t position() const { return pos_; }
  std::size_t line_number() const { return line_; }

  // The next line, without its '\n'. Every line must end in '\n'.
  std::string_view next() {
    if (at_end()) fail("unexpected end of file");
    const std::size_t nl = text_.find('\n', pos_);
    if (nl == std::string_view::npos) fail("last line has no newline (truncated?)");
    if (nl - pos_ > kMaxLineBytes) fail("line longer than " + std::to_string(kMaxLineBytes) + " bytes");
    std::string_view line = text_.substr(pos_, nl - pos_);
    for (char c : line) {
      if (c < 0x20 || c > 0x7e) fail("byte outside printable ASCII");
    }
    pos_ = nl + 1;
    ++line_;
    return line;
  }

  // The next line must be `keyword v1 v2 ...` with exactly `n` values; returns them.
  std::vector<std::string_view> expect(std::string_view keyword, std::size_t n) {
    const std::string_view line = next();
    auto fields = split(line);
    if (fields.empty() || fields[0] != keyword) fail("expected `" + std::string(keyword) + "`");
    if (fields.size() != n + 1)
      fail("`" + std::string(keyword) + "` takes " + std::to_string(n) + " value(s)");
    fields.erase(fields.begin());
    return fields;
  }

  std::string_view peek_keyword() const {
    const std::size_t end = text_.find_first_of(" \n", pos_);
    return text_.substr(pos_, (end == std::string_view::npos ? text_.size() : end) - pos_);
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw FeedFormatError("manifest line " + std::to_string(line_ + 1) + ": " + why);
  }

  static std::vector<std::string_view> split(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i <= line.size()) {
      const std::size_t sp = line.find(' ', i);
      const std::size_t end = sp == std::string_view::npos ? line.size() : sp;
      out.push_back(line.substr(i, end - i));
      if (sp == std::string_view::npos || out.size() > 8) break;
      i = sp + 1;
    }
    return out;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 0;
};

std::uint64_t parse_u64(const LineReader& r, std::string_view s) {
  // Digits only: no sign, no white space, no hex, nothing after.
  if (s.empty() || s.size() > 20) r.fail("bad number");
  for (char c : s) {
    if (c < '0' || c > '9') r.fail("bad number");
  }
  std::uint64_t v = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc{} || res.ptr != s.data() + s.size()) r.fail("number out of range");
  return v;
}

std::int64_t parse_time(const LineReader& r, std::string_view s) {
  const std::uint64_t v = parse_u64(r, s);
  if (v > static_cast<std::uint64_t>(INT64_MAX)) r.fail("time out of range");
  return static_cast<std::int64_t>(v);
}

template <std::size_t N>
std::array<std::uint8_t, N> parse_hex(const LineReader& r, std::string_view s) {
  std::array<std::uint8_t, N> out{};
  if (s.size() != 2 * N || !from_hex_into(s, out))
    r.fail("expected " + std::to_string(2 * N) + " hex digits");
  return out;
}

std::string parse_name(const LineReader& r, std::string_view s) {
  if (!valid_file_name(s)) r.fail("bad name `" + std::string(s.substr(0, kMaxNameBytes)) + "`");
  return std::string(s);
}

FileEntry parse_file(const LineReader& r, std::string_view name, std::string_view len, std::string_view sha) {
  FileEntry f;
  f.name = parse_name(r, name);
  f.length = parse_u64(r, len);
  f.sha256 = parse_hex<32>(r, sha);
  return f;
}

// Reads one delegation block; records the signed bytes.
void read_delegation(LineReader& r, std::string_view text, ManifestFile& out) {
  const std::size_t start = r.position();
  if (r.expect("dijk-delegation", 1)[0] != "1") r.fail("unsupported delegation format");
  out.delegation.feed = parse_name(r, r.expect("feed", 1)[0]);
  out.delegation.serial = parse_u64(r, r.expect("serial", 1)[0]);
  out.delegation.key = parse_hex<32>(r, r.expect("key", 1)[0]);
  out.delegation.not_after = parse_time(r, r.expect("not-after", 1)[0]);
  out.delegation_signed = std::string(text.substr(start, r.position() - start));
  out.delegation_sig = parse_hex<64>(r, r.expect("sig", 1)[0]);
}

std::string sig_line(const Signature& s) {
  return "sig " + to_hex(s) + "\n";
}

}  // namespace

bool valid_file_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string render_delegation(const Delegation& d) {
  return "dijk-delegation 1\nfeed " + d.feed + "\nserial " + std::to_string(d.serial) + "\nkey " +
         to_hex(d.key) + "\nnot-after " + std::to_string(d.not_after) + "\n";
}

std::string render_manifest(const Manifest& m) {
  std::string out = "dijk-manifest 1\nfeed " + m.feed + "\nversion " + std::to_string(m.version) +
                    "\nissued " + std::to_string(m.issued) + "\nexpires " + std::to_string(m.expires) +
                    "\nkey-serial " + std::to_string(m.key_serial) + "\n";
  out += "snapshot " + m.snapshot.name + " " + std::to_string(m.snapshot.length) + " " +
         to_hex(m.snapshot.sha256) + "\n";
  for (const DeltaEntry& d : m.deltas) {
    out += "delta " + std::to_string(d.from) + " " + std::to_string(d.to) + " " + d.file.name + " " +
           std::to_string(d.file.length) + " " + to_hex(d.file.sha256) + "\n";
  }
  return out;
}

std::string sign_block(const std::string& body, const SigningKey& key) {
  return body + sig_line(key.sign(body));
}

std::string assemble_manifest_file(const std::string& signed_delegation, const Manifest& m,
                                   const SigningKey& feed_key) {
  return signed_delegation + sign_block(render_manifest(m), feed_key);
}

ManifestFile parse_delegation_file(std::string_view text) {
  if (text.size() > kMaxManifestBytes) throw FeedFormatError("delegation larger than the cap");
  LineReader r(text);
  ManifestFile out;
  read_delegation(r, text, out);
  if (!r.at_end()) r.fail("trailing bytes after the delegation");
  return out;
}

ManifestFile parse_manifest_file(std::string_view text) {
  if (text.size() > kMaxManifestBytes) {
    throw FeedFormatError("manifest larger than " + std::to_string(kMaxManifestBytes) + " bytes");
  }
  LineReader r(text);
  ManifestFile out;
  read_delegation(r, text, out);

  const std::size_t start = r.position();
  Manifest& m = out.manifest;
  if (r.expect("dijk-manifest", 1)[0] != "1") r.fail("unsupported manifest format");
  m.feed = parse_name(r, r.expect("feed", 1)[0]);
  m.version = parse_u64(r, r.expect("version", 1)[0]);
  m.issued = parse_time(r, r.expect("issued", 1)[0]);
  m.expires = parse_time(r, r.expect("expires", 1)[0]);
  m.key_serial = parse_u64(r, r.expect("key-serial", 1)[0]);
  const auto snap = r.expect("snapshot", 3);
  m.snapshot = parse_file(r, snap[0], snap[1], snap[2]);
  while (r.peek_keyword() == "delta") {
    if (m.deltas.size() >= kMaxDeltas) r.fail("more than " + std::to_string(kMaxDeltas) + " deltas");
    const auto f = r.expect("delta", 5);
    DeltaEntry d;
    d.from = parse_u64(r, f[0]);
    d.to = parse_u64(r, f[1]);
    if (d.from >= d.to || d.to > m.version) r.fail("delta versions out of order");
    d.file = parse_file(r, f[2], f[3], f[4]);
    m.deltas.push_back(std::move(d));
  }
  out.manifest_signed = std::string(text.substr(start, r.position() - start));
  out.manifest_sig = parse_hex<64>(r, r.expect("sig", 1)[0]);
  if (!r.at_end()) r.fail("trailing bytes after the manifest signature");
  if (m.version == 0) throw FeedFormatError("manifest version 0 is not a version");
  return out;
}

}  // namespace dijk::feed
