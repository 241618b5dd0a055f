#include "dataplane/http/base64_decoder.h"

namespace dijk {
namespace {

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = Base64Decoder::kBad;
  for (std::size_t i = 0; i < 26; ++i) {
    t['A' + i] = static_cast<std::uint8_t>(i);
    t['a' + i] = static_cast<std::uint8_t>(26 + i);
  }
  for (std::size_t i = 0; i < 10; ++i) t['0' + i] = static_cast<std::uint8_t>(52 + i);
  t['+'] = t['-'] = 62;  // standard and URL-safe
  t['/'] = t['_'] = 63;
  t['='] = Base64Decoder::kPad;
  for (const char c : {' ', '\t', '\r', '\n', '\f', '\v'})
    t[static_cast<std::uint8_t>(c)] = Base64Decoder::kSkip;
  return t;
}

}  // namespace

const std::array<std::uint8_t, 256> Base64Decoder::kTable = make_table();

std::size_t Base64Decoder::decode_some(std::span<const std::uint8_t> text) {
  const std::uint8_t* p = text.data();
  const std::uint8_t* const end = p + text.size();
  std::uint8_t* o = buffer_.data() + out_len_;
  std::uint8_t* const o_end = buffer_.data() + kBufferSize;
  while (p < end && o < o_end) {
    // Fast path: whole groups of four alphabet bytes, the bulk of any value; four groups a step while
    // there is room, with one check for all sixteen bytes.
    if (have_ == 0 && padding_ == 0) {
      if (blocks_) {
        // Room up to the buffer's real end: a block's store spills kSpill bytes past its 24.
        const auto done = decode_base64_blocks(p, static_cast<std::size_t>(end - p), o,
                                               static_cast<std::size_t>(o_end - o) + kSpill);
        p += done.text;
        o += done.out;
      }
      while (end - p >= 16 && o_end - o >= 12) {
        std::uint32_t v[4];
        std::uint32_t any = 0;
        for (int g = 0; g < 4; ++g) {
          const std::uint32_t a = kTable[p[4 * g]], b = kTable[p[4 * g + 1]], c = kTable[p[4 * g + 2]],
                              d = kTable[p[4 * g + 3]];
          any |= a | b | c | d;
          v[g] = (a << 18) | (b << 12) | (c << 6) | d;
        }
        if (any >= 64) break;
        for (int g = 0; g < 4; ++g) {
          o[3 * g] = static_cast<std::uint8_t>(v[g] >> 16);
          o[3 * g + 1] = static_cast<std::uint8_t>(v[g] >> 8);
          o[3 * g + 2] = static_cast<std::uint8_t>(v[g]);
        }
        o += 12;
        p += 16;
      }
      while (end - p >= 4 && o_end - o >= 3) {
        const std::uint32_t a = kTable[p[0]], b = kTable[p[1]], c = kTable[p[2]], d = kTable[p[3]];
        if ((a | b | c | d) >= 64) break;
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        o[0] = static_cast<std::uint8_t>(v >> 16);
        o[1] = static_cast<std::uint8_t>(v >> 8);
        o[2] = static_cast<std::uint8_t>(v);
        o += 3;
        p += 4;
      }
      if (p == end || o >= o_end) break;
    }
    out_len_ = static_cast<std::size_t>(o - buffer_.data());
    if (!take(*p++)) return text.size();
    o = buffer_.data() + out_len_;
  }
  out_len_ = static_cast<std::size_t>(o - buffer_.data());
  return static_cast<std::size_t>(p - text.data());
}

bool Base64Decoder::take(std::uint8_t c) {
  const std::uint8_t v = kTable[c];
  if (v == kSkip) return true;
  if (v == kPad) {
    // "=" completes a group of 2 or 3; a second "=" after a group of 2 is allowed, nothing else.
    if (padding_ == 0 && have_ >= 2) {
      flush_group();
      padding_ = 1;
      return true;
    }
    if (padding_ == 1 && have_ == 0) {
      padding_ = 2;
      return true;
    }
  } else if (v < 64 && padding_ == 0) {
    bits_ = (bits_ << 6) | v;
    if (++have_ == 4) {
      buffer_[out_len_++] = static_cast<std::uint8_t>(bits_ >> 16);
      buffer_[out_len_++] = static_cast<std::uint8_t>(bits_ >> 8);
      buffer_[out_len_++] = static_cast<std::uint8_t>(bits_);
      bits_ = 0;
      have_ = 0;
    }
    return true;
  }
  status_ = Status::malformed;
  return false;
}

void Base64Decoder::flush_group() {
  if (have_ == 2) {
    buffer_[out_len_++] = static_cast<std::uint8_t>(bits_ >> 4);
  } else if (have_ == 3) {
    buffer_[out_len_++] = static_cast<std::uint8_t>(bits_ >> 10);
    buffer_[out_len_++] = static_cast<std::uint8_t>(bits_ >> 2);
  }
  bits_ = 0;
  have_ = 0;
}

}  // namespace dijk
