// The one-stream block functions and the step tables, written from RFC 1321 (MD5) and FIPS 180-4 (SHA-1).
// Used for padding blocks and for streams hashed alone; pure functions, any thread.
#include <cstring>

#include "hashcore/digest/multibuffer/lane_kernels.h"

namespace dijk::digest_lanes {

const std::uint32_t kMd5T[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

namespace {
inline std::uint32_t rotl(std::uint32_t x, unsigned s) {
  return (x << s) | (x >> ((32 - s) & 31));
}
inline std::uint32_t load_le(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}
inline std::uint32_t load_be(const std::uint8_t* p) {
  return std::uint32_t{p[3]} | std::uint32_t{p[2]} << 8 | std::uint32_t{p[1]} << 16 |
         std::uint32_t{p[0]} << 24;
}
}  // namespace

void md5_block(std::uint32_t* h, const std::uint8_t* block) {
  std::uint32_t x[16];
  for (unsigned i = 0; i < 16; ++i) x[i] = load_le(block + 4 * i);
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  for (unsigned i = 0; i < 64; ++i) {
    std::uint32_t f;
    if (i < 16)
      f = (b & c) | (~b & d);
    else if (i < 32)
      f = (b & d) | (c & ~d);
    else if (i < 48)
      f = b ^ c ^ d;
    else
      f = c ^ (b | ~d);
    // a = b + ((a + f + X[k] + T[i]) <<< s), then the four words rotate one place (RFC 1321 3.4).
    const std::uint32_t next = b + rotl(a + f + x[kMd5Schedule.word[i]] + kMd5T[i], kMd5Schedule.shift[i]);
    a = d;
    d = c;
    c = b;
    b = next;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
}

void sha1_block(std::uint32_t* h, const std::uint8_t* block) {
  std::uint32_t w[80];
  for (unsigned t = 0; t < 16; ++t) w[t] = load_be(block + 4 * t);
  for (unsigned t = 16; t < 80; ++t) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (unsigned t = 0; t < 80; ++t) {
    std::uint32_t f;
    if (t < 20)
      f = (b & c) ^ (~b & d);  // Ch
    else if (t < 40 || t >= 60)
      f = b ^ c ^ d;  // Parity
    else
      f = (b & c) ^ (b & d) ^ (c & d);  // Maj
    const std::uint32_t temp = rotl(a, 5) + f + e + kSha1K[t / 20] + w[t];
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = temp;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

}  // namespace dijk::digest_lanes
