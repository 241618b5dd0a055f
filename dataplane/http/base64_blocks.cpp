#include "dataplane/http/base64_blocks.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dijk {

#if defined(__x86_64__)
namespace {

#define DIJK_AVX2 __attribute__((target("avx2"), always_inline)) inline

DIJK_AVX2 __m256i in_range(__m256i c, char lo, char hi) {
  return _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8(static_cast<char>(lo - 1))),
                          _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(hi + 1)), c));
}

DIJK_AVX2 __m256i is(__m256i c, char x) {
  return _mm256_cmpeq_epi8(c, _mm256_set1_epi8(x));
}

DIJK_AVX2 __m256i offset_where(__m256i mask, int add) {
  return _mm256_and_si256(mask, _mm256_set1_epi8(static_cast<char>(add)));
}

// The sextet of each byte of `c`, and in `valid` a 0xff for each byte that is in an alphabet. RFC 4648
// gives the values: 'A'-'Z' 0-25, 'a'-'z' 26-51, '0'-'9' 52-61, '+' or '-' 62, '/' or '_' 63. Each range
// is tested with two signed compares (a byte past 0x7f is negative, so in no range) and the value is the
// byte plus the offset of its range.
DIJK_AVX2 __m256i sextets(__m256i c, __m256i& valid) {
  const __m256i upper = in_range(c, 'A', 'Z'), lower = in_range(c, 'a', 'z'), digit = in_range(c, '0', '9');
  const __m256i plus = is(c, '+'), minus = is(c, '-'), slash = is(c, '/'), underscore = is(c, '_');
  valid = _mm256_or_si256(_mm256_or_si256(_mm256_or_si256(upper, lower), _mm256_or_si256(digit, plus)),
                          _mm256_or_si256(_mm256_or_si256(minus, slash), underscore));
  const __m256i add = _mm256_or_si256(
      _mm256_or_si256(_mm256_or_si256(offset_where(upper, 0 - 'A'), offset_where(lower, 26 - 'a')),
                      _mm256_or_si256(offset_where(digit, 52 - '0'), offset_where(plus, 62 - '+'))),
      _mm256_or_si256(_mm256_or_si256(offset_where(minus, 62 - '-'), offset_where(slash, 63 - '/')),
                      offset_where(underscore, 63 - '_')));
  return _mm256_add_epi8(c, add);
}

// Eight groups of four sextets (a b c d, a first) to eight groups of three bytes, packed into the low 24
// bytes: a*64+b and c*64+d in each 16-bit half, then (a*64+b)*4096 + c*64+d in each 32-bit lane, whose
// bytes 2, 1, 0 are the output in order.
DIJK_AVX2 __m256i pack(__m256i s) {
  const __m256i pairs = _mm256_maddubs_epi16(s, _mm256_set1_epi32(0x01400140));    // bytes 64,1,64,1
  const __m256i groups = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));  // words 4096,1
  // Within each 128-bit lane: the three output bytes of each of its four groups, then four zeros.
  const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,  //
                                         2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i lanes = _mm256_shuffle_epi8(groups, order);
  // The two lanes' 12 bytes side by side.
  return _mm256_permutevar8x32_epi32(lanes, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
}

__attribute__((target("avx2"))) Base64BlocksDone decode_avx2(const std::uint8_t* text, std::size_t text_size,
                                                             std::uint8_t* out, std::size_t out_room) {
  Base64BlocksDone done;
  while (text_size - done.text >= kBase64BlockText && out_room - done.out >= kBase64BlockRoom) {
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(text + done.text));
    __m256i valid;
    const __m256i s = sextets(c, valid);
    if (_mm256_movemask_epi8(valid) != -1) break;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + done.out), pack(s));
    done.text += kBase64BlockText;
    done.out += kBase64BlockOut;
  }
  return done;
}

#undef DIJK_AVX2

}  // namespace

bool base64_blocks_available() {
  static const bool kAvx2 = __builtin_cpu_supports("avx2");
  return kAvx2;
}

Base64BlocksDone decode_base64_blocks(const std::uint8_t* text, std::size_t text_size, std::uint8_t* out,
                                      std::size_t out_room) {
  if (!base64_blocks_available()) return {};
  return decode_avx2(text, text_size, out, out_room);
}

#else

bool base64_blocks_available() {
  return false;
}

Base64BlocksDone decode_base64_blocks(const std::uint8_t*, std::size_t, std::uint8_t*, std::size_t) {
  return {};
}

#endif

}  // namespace dijk
