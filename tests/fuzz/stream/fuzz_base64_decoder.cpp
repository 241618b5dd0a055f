// Hostile base64 text into Base64Decoder, fed whole and in pieces: both must give the same status and,
// when they succeed, the same bytes; output never exceeds what the text can hold (3 bytes per 4
// characters); and a text that decodes is the same text re-encoded, whitespace and padding aside.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "dataplane/http/base64_decoder.h"

namespace {

struct Result {
  std::vector<std::uint8_t> out;
  dijk::Base64Decoder::Status status = dijk::Base64Decoder::Status::ok;
};

Result run(std::span<const std::uint8_t> in, std::size_t piece) {
  dijk::Base64Decoder d;
  Result r;
  const auto out = [&](std::span<const std::uint8_t> b) {
    if (b.size() > dijk::Base64Decoder::kBufferSize + 3) std::abort();
    r.out.insert(r.out.end(), b.begin(), b.end());
  };
  for (std::size_t off = 0; off < in.size(); off += piece)
    d.feed(in.subspan(off, std::min(piece, in.size() - off)), out);
  r.status = d.finish(out);
  if (d.bytes_out() != r.out.size()) std::abort();
  return r;
}

// The alphabet characters of the text, "-_" read as "+/", without whitespace and padding.
std::string significant(std::span<const std::uint8_t> in) {
  std::string s;
  for (const std::uint8_t c : in) {
    const std::uint8_t v = dijk::Base64Decoder::class_of(c);
    if (v < 64) s += c == '-' ? '+' : c == '_' ? '/' : static_cast<char>(c);
  }
  return s;
}

std::string encode(const std::vector<std::uint8_t>& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int k = 18; k >= 0; k -= 6) s += kAlphabet[(v >> k) & 63];
  }
  if (bytes.size() - i == 1) {
    s += kAlphabet[bytes[i] >> 2];
    s += kAlphabet[(bytes[i] & 3) << 4];
  } else if (bytes.size() - i == 2) {
    s += kAlphabet[bytes[i] >> 2];
    s += kAlphabet[((bytes[i] & 3) << 4) | (bytes[i + 1] >> 4)];
    s += kAlphabet[(bytes[i + 1] & 15) << 2];
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t piece = 1 + data[0] % 13;
  const std::span<const std::uint8_t> in(data + 1, size - 1);
  const Result whole = run(in, in.empty() ? 1 : in.size());
  const Result cut = run(in, piece);
  if (whole.status != cut.status) std::abort();
  if (whole.out.size() > in.size() / 4 * 3 + 3) std::abort();
  if (whole.status != dijk::Base64Decoder::Status::ok) return 0;
  if (whole.out != cut.out) std::abort();
  // Decoding is exact: the bytes encode back to the same characters, unless the text's last group carried
  // bits that no byte holds (a sloppy encoder): then only the last character may differ.
  const std::string text = significant(in), again = encode(whole.out);
  if (text.size() != again.size()) std::abort();
  if (!text.empty() && text.substr(0, text.size() - 1) != again.substr(0, again.size() - 1)) std::abort();
  return 0;
}
