// The lane kernels for AVX2 (8 lanes) and AVX-512 (16 lanes). Every function carries its own target
// attribute, so the rest of the program is built for the baseline CPU and these run only where
// lane_isa.h found the instructions. Pure functions, any thread.
#include <immintrin.h>

#include <cstring>

#include "hashcore/digest/multibuffer/lane_kernels.h"

namespace dijk::digest_lanes {

namespace avx2 {

#define DIJK_LANE_TARGET __attribute__((target("avx2")))
using Vec = __m256i;

DIJK_LANE_TARGET inline Vec load_words(const std::uint32_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
DIJK_LANE_TARGET inline void store_words(std::uint32_t* p, Vec v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}
DIJK_LANE_TARGET inline Vec splat(std::uint32_t v) {
  return _mm256_set1_epi32(static_cast<int>(v));
}
DIJK_LANE_TARGET inline Vec add(Vec a, Vec b) {
  return _mm256_add_epi32(a, b);
}
DIJK_LANE_TARGET inline Vec rotl(Vec x, unsigned s) {
  return _mm256_or_si256(_mm256_sllv_epi32(x, splat(s)), _mm256_srlv_epi32(x, splat(32 - s)));
}
DIJK_LANE_TARGET inline Vec xor4(Vec a, Vec b, Vec c, Vec d) {
  return _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
}
// (b & c) | (~b & d), written as d ^ (b & (c ^ d)): the same bits, one operation fewer.
DIJK_LANE_TARGET inline Vec md5_f(Vec b, Vec c, Vec d) {
  return _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)));
}
// (b & d) | (c & ~d) = c ^ (d & (b ^ c)).
DIJK_LANE_TARGET inline Vec md5_g(Vec b, Vec c, Vec d) {
  return _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c)));
}
DIJK_LANE_TARGET inline Vec md5_h(Vec b, Vec c, Vec d) {
  return _mm256_xor_si256(_mm256_xor_si256(b, c), d);
}
// c ^ (b | ~d); ~d is d ^ all-ones.
DIJK_LANE_TARGET inline Vec md5_i(Vec b, Vec c, Vec d) {
  return _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, _mm256_set1_epi32(-1))));
}
DIJK_LANE_TARGET inline Vec sha1_ch(Vec b, Vec c, Vec d) {
  return md5_f(b, c, d);  // Ch(x, y, z) = (x & y) ^ (~x & z): the same selection as MD5's F
}
DIJK_LANE_TARGET inline Vec sha1_parity(Vec b, Vec c, Vec d) {
  return md5_h(b, c, d);
}
// Maj(x, y, z) = (x & y) ^ (x & z) ^ (y & z) = (x & y) | (z & (x | y)).
DIJK_LANE_TARGET inline Vec sha1_maj(Vec b, Vec c, Vec d) {
  return _mm256_or_si256(_mm256_and_si256(b, c), _mm256_and_si256(d, _mm256_or_si256(b, c)));
}

// rows[l] holds 8 consecutive 32-bit words of lane l; afterwards rows[i] holds word i of lanes 0..7.
DIJK_LANE_TARGET inline void transpose8(Vec* rows) {
  const Vec t0 = _mm256_unpacklo_epi32(rows[0], rows[1]), t1 = _mm256_unpackhi_epi32(rows[0], rows[1]);
  const Vec t2 = _mm256_unpacklo_epi32(rows[2], rows[3]), t3 = _mm256_unpackhi_epi32(rows[2], rows[3]);
  const Vec t4 = _mm256_unpacklo_epi32(rows[4], rows[5]), t5 = _mm256_unpackhi_epi32(rows[4], rows[5]);
  const Vec t6 = _mm256_unpacklo_epi32(rows[6], rows[7]), t7 = _mm256_unpackhi_epi32(rows[6], rows[7]);
  // u0: words 0|4 of lanes 0-3, u1: 1|5, u2: 2|6, u3: 3|7; u4..u7 the same for lanes 4-7.
  const Vec u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  const Vec u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  const Vec u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  const Vec u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  rows[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  rows[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  rows[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  rows[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  rows[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  rows[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  rows[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  rows[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

// Words `first`..`first + 7` of one 64-byte block of lanes data[0..7], transposed into out[0..7].
DIJK_LANE_TARGET inline void load_eight_words(const std::uint8_t* const* data, std::size_t offset, Vec* out) {
  for (unsigned l = 0; l < 8; ++l)
    out[l] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data[l] + offset));
  transpose8(out);
}

DIJK_LANE_TARGET inline Vec byte_swap_words(Vec v) {
  const Vec order = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6,
                                     5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  return _mm256_shuffle_epi8(v, order);
}

// The 16 message words of block `offset` of each lane, word i of all lanes in x[i]: little-endian (MD5).
DIJK_LANE_TARGET inline void load_message_le(const std::uint8_t* const* data, std::size_t offset, Vec* x) {
  load_eight_words(data, offset, x);
  load_eight_words(data, offset + 32, x + 8);
}
// The same, big-endian (SHA-1).
DIJK_LANE_TARGET inline void load_message_be(const std::uint8_t* const* data, std::size_t offset, Vec* x) {
  load_message_le(data, offset, x);
  for (unsigned i = 0; i < 16; ++i) x[i] = byte_swap_words(x[i]);
}

#include "hashcore/digest/multibuffer/lane_rounds.inc"
#undef DIJK_LANE_TARGET

}  // namespace avx2

namespace avx512 {

// GCC 12's own AVX-512 intrinsics (_mm512_rolv_epi32, _mm512_castsi256_si512) start from a deliberately
// undefined vector, which its -Wmaybe-uninitialized then reports (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define DIJK_LANE_TARGET __attribute__((target("avx2,avx512f")))
using Vec = __m512i;

DIJK_LANE_TARGET inline Vec load_words(const std::uint32_t* p) {
  return _mm512_loadu_si512(p);
}
DIJK_LANE_TARGET inline void store_words(std::uint32_t* p, Vec v) {
  _mm512_storeu_si512(p, v);
}
DIJK_LANE_TARGET inline Vec splat(std::uint32_t v) {
  return _mm512_set1_epi32(static_cast<int>(v));
}
DIJK_LANE_TARGET inline Vec add(Vec a, Vec b) {
  return _mm512_add_epi32(a, b);
}
DIJK_LANE_TARGET inline Vec rotl(Vec x, unsigned s) {
  return _mm512_rolv_epi32(x, splat(s));
}
// Each round function is one ternary-logic instruction; the immediate is the function's truth table
// (bit (x << 2 | y << 1 | z) of the immediate is f(x, y, z)).
DIJK_LANE_TARGET inline Vec xor4(Vec a, Vec b, Vec c, Vec d) {
  return _mm512_xor_si512(_mm512_ternarylogic_epi32(a, b, c, 0x96), d);
}
DIJK_LANE_TARGET inline Vec md5_f(Vec b, Vec c, Vec d) {
  return _mm512_ternarylogic_epi32(b, c, d, 0xca);  // (b & c) | (~b & d)
}
DIJK_LANE_TARGET inline Vec md5_g(Vec b, Vec c, Vec d) {
  return _mm512_ternarylogic_epi32(b, c, d, 0xe4);  // (b & d) | (c & ~d)
}
DIJK_LANE_TARGET inline Vec md5_h(Vec b, Vec c, Vec d) {
  return _mm512_ternarylogic_epi32(b, c, d, 0x96);  // b ^ c ^ d
}
DIJK_LANE_TARGET inline Vec md5_i(Vec b, Vec c, Vec d) {
  return _mm512_ternarylogic_epi32(b, c, d, 0x39);  // c ^ (b | ~d)
}
DIJK_LANE_TARGET inline Vec sha1_ch(Vec b, Vec c, Vec d) {
  return md5_f(b, c, d);  // Ch(x, y, z) = (x & y) ^ (~x & z)
}
DIJK_LANE_TARGET inline Vec sha1_parity(Vec b, Vec c, Vec d) {
  return md5_h(b, c, d);
}
DIJK_LANE_TARGET inline Vec sha1_maj(Vec b, Vec c, Vec d) {
  return _mm512_ternarylogic_epi32(b, c, d, 0xe8);  // (b & c) ^ (b & d) ^ (c & d)
}

DIJK_LANE_TARGET inline Vec join(__m256i low, __m256i high) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}

// Lanes 0-7 and 8-15 are transposed as two AVX2 halves and joined: word i of all 16 lanes in x[i].
DIJK_LANE_TARGET inline void load_message_le(const std::uint8_t* const* data, std::size_t offset, Vec* x) {
  __m256i low[16], high[16];
  avx2::load_message_le(data, offset, low);
  avx2::load_message_le(data + 8, offset, high);
  for (unsigned i = 0; i < 16; ++i) x[i] = join(low[i], high[i]);
}
DIJK_LANE_TARGET inline void load_message_be(const std::uint8_t* const* data, std::size_t offset, Vec* x) {
  __m256i low[16], high[16];
  avx2::load_message_be(data, offset, low);
  avx2::load_message_be(data + 8, offset, high);
  for (unsigned i = 0; i < 16; ++i) x[i] = join(low[i], high[i]);
}

#include "hashcore/digest/multibuffer/lane_rounds.inc"
#undef DIJK_LANE_TARGET

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace avx512

}  // namespace dijk::digest_lanes
