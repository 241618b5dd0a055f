#pragma once
// The block compression functions of MD5 (RFC 1321) and SHA-1 (FIPS 180-4), over many independent streams
// at once: 8 lanes with AVX2, 16 with AVX-512; and one stream at a time (OpenSSL's transform) for the odd
// block (the padding, a lone stream). Pure functions of their arguments, callable from any thread; the SIMD
// ones only on a CPU that has the instructions (lane_isa.h chooses).
//
// Why lanes: one MD5 stream is a single dependency chain of 64 steps a block, so a core hashes one
// stream at well under its width. Independent streams side by side in the lanes of a vector register fill
// that width: each instruction advances 8 or 16 streams by the same step.
#include <array>
#include <cstddef>
#include <cstdint>

namespace dijk::digest_lanes {

inline constexpr std::size_t kMaxLanes = 16;
inline constexpr std::size_t kBlockBytes = 64;

// The chaining values of every lane, transposed: word i of all lanes is contiguous (words[i][lane]), so
// one vector load fetches word i of 8 or 16 streams. MD5 uses words 0..3, SHA-1 words 0..4.
struct alignas(64) LaneWords {
  std::uint32_t words[5][kMaxLanes];
};

// Compresses `blocks` consecutive 64-byte blocks in each lane: lane l reads data[l], data[l] + 64, ...
// Every lane takes the same number of blocks; a lane with nothing to do is given another lane's pointer
// and its result ignored (the caller keeps its state elsewhere).
using LaneBlocksFn = void (*)(LaneWords& state, const std::uint8_t* const* data, std::size_t blocks);

namespace avx2 {  // 8 lanes; only when __builtin_cpu_supports("avx2")
void md5_blocks(LaneWords& state, const std::uint8_t* const* data, std::size_t blocks);
void sha1_blocks(LaneWords& state, const std::uint8_t* const* data, std::size_t blocks);
}  // namespace avx2

namespace avx512 {  // 16 lanes; only when __builtin_cpu_supports("avx512f") and ("avx512bw")
void md5_blocks(LaneWords& state, const std::uint8_t* const* data, std::size_t blocks);
void sha1_blocks(LaneWords& state, const std::uint8_t* const* data, std::size_t blocks);
}  // namespace avx512

// One stream, one 64-byte block; state is h[0..3] (MD5) or h[0..4] (SHA-1).
void md5_block(std::uint32_t* h, const std::uint8_t* block);
void sha1_block(std::uint32_t* h, const std::uint8_t* block);

// The initial chaining values of each algorithm.
inline constexpr std::uint32_t kMd5Init[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
inline constexpr std::uint32_t kSha1Init[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

// Per-step constants of the lane code.
// MD5: T[i] = floor(2^32 * |sin(i + 1)|) (RFC 1321 3.4).
extern const std::uint32_t kMd5T[64];
// MD5 step i shifts by kMd5Shift[i] and adds message word kMd5Word[i]: rounds 1-4 shift by (7,12,17,22),
// (5,9,14,20), (4,11,16,23), (6,10,15,21) in turn and take words j, 1 + 5j, 5 + 3j, 7j (mod 16), j = i % 16.
struct Md5Schedule {
  std::array<std::uint8_t, 64> shift{};
  std::array<std::uint8_t, 64> word{};
};
constexpr Md5Schedule make_md5_schedule() {
  constexpr std::uint8_t shifts[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
  Md5Schedule s;
  for (unsigned i = 0; i < 64; ++i) {
    const unsigned round = i / 16, j = i % 16;
    s.shift[i] = shifts[round][j % 4];
    const unsigned k = round == 0 ? j : round == 1 ? 1 + 5 * j : round == 2 ? 5 + 3 * j : 7 * j;
    s.word[i] = static_cast<std::uint8_t>(k % 16);
  }
  return s;
}
inline constexpr Md5Schedule kMd5Schedule = make_md5_schedule();
// SHA-1: K for steps 0-19, 20-39, 40-59, 60-79 (FIPS 180-4 4.2.1).
inline constexpr std::uint32_t kSha1K[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};

}  // namespace dijk::digest_lanes
