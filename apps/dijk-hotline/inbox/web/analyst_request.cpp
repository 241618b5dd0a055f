#include "apps/dijk-hotline/inbox/web/analyst_request.h"

#include <openssl/evp.h>

#include <vector>

namespace dijk::web {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte.
std::optional<std::string> form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool starts_with_word(std::string_view s, std::string_view word) {
  if (s.size() <= word.size() || s[word.size()] != ' ') return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (lower(s[i]) != word[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<Target> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  Target out;
  const std::size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = form_decode(pair.substr(0, eq));
    auto value = form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value || key->empty()) return std::nullopt;
    if (out.query.size() == kMaxQueryParameters || out.query.count(*key) != 0) return std::nullopt;
    out.query.emplace(std::move(*key), std::move(*value));
  }
  return out;
}

std::optional<std::string> header_value(std::string_view head, std::string_view name) {
  std::optional<std::string> found;
  std::size_t at = head.find("\r\n");  // skip the request line
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const std::size_t start = at + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, end == std::string_view::npos ? head.npos : end - start);
    at = end;
    const std::size_t colon = line.find(':');
    if (colon != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) same = lower(line[i]) == name[i];
    if (!same) continue;
    if (found) return std::nullopt;  // twice: which one counts would be a guess
    found = std::string(trim(line.substr(colon + 1)));
  }
  return found;
}

std::optional<Credentials> parse_authorization(std::string_view value) {
  value = trim(value);
  if (value.size() > kMaxCredentialBytes) return std::nullopt;
  if (starts_with_word(value, "bearer")) {
    const auto token = trim(value.substr(7));
    if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
    return Credentials{"", std::string(token)};
  }
  if (!starts_with_word(value, "basic")) return std::nullopt;
  const auto encoded = trim(value.substr(6));
  if (encoded.empty() || encoded.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> decoded(encoded.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(decoded.data(), reinterpret_cast<const unsigned char*>(encoded.data()),
                                static_cast<int>(encoded.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the bytes padding stands for; '=' at the end stands for none.
  if (encoded.back() == '=') --len;
  if (encoded.size() >= 2 && encoded[encoded.size() - 2] == '=') --len;
  const std::string text(reinterpret_cast<const char*>(decoded.data()), len);
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return Credentials{text.substr(0, colon), text.substr(colon + 1)};
}

}  // namespace dijk::web
