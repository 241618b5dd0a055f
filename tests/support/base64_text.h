#pragma once
// Base64 text for tests and benchmarks: what a client would send for a file, in the standard or URL-safe
// alphabet, with or without padding, wrapped every `wrap` characters (0: one line) with `newline`.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dijk::test {

struct Base64Style {
  bool url_safe = false;
  bool padding = true;
  std::size_t wrap = 0;
  std::string_view newline = "\n";
};

inline std::string base64_text(std::span<const std::uint8_t> bytes, const Base64Style& style = {}) {
  const char* alphabet = style.url_safe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(bytes.size() / 3 * 4 + 8 + (style.wrap ? bytes.size() / style.wrap * 2 : 0));
  std::size_t column = 0;
  const auto put = [&](char c) {
    if (style.wrap != 0 && column == style.wrap) {
      out += style.newline;
      column = 0;
    }
    out += c;
    ++column;
  };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) put(alphabet[(v >> s) & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) v |= std::uint32_t{bytes[i + 1]} << 8;
    put(alphabet[(v >> 18) & 63]);
    put(alphabet[(v >> 12) & 63]);
    if (rest == 2) put(alphabet[(v >> 6) & 63]);
    if (style.padding) {
      put('=');
      if (rest == 1) put('=');
    }
  }
  return out;
}

}  // namespace dijk::test
