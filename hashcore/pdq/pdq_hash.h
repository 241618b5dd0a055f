#pragma once
// A 256-bit PDQ hash and its quality. Bytes are kept in the reference's text order (64 hex characters:
// its 16-bit word 15 first, each word big-endian), so hex in and out is a plain byte copy and the
// Hamming distance is a popcount over four 64-bit words.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace dijk {

inline constexpr int kPdqBits = 256;
inline constexpr int kPdqDefaultRadius = 31;      // the published match threshold (distance <= 31)
inline constexpr int kPdqDefaultMinQuality = 50;  // below this a hash is too flat to match on

struct PdqHash {
  std::array<std::uint8_t, 32> bytes{};

  // Bit k of the reference's bit numbering (word k/16, bit k%16).
  void set_bit(int k) {
    const int word = k >> 4, bit = k & 15;
    bytes[static_cast<std::size_t>(2 * (15 - word) + (bit >= 8 ? 0 : 1))] |=
        static_cast<std::uint8_t>(1u << (bit & 7));
  }
  bool bit(int k) const {
    const int word = k >> 4, b = k & 15;
    const unsigned byte = bytes[static_cast<std::size_t>(2 * (15 - word) + (b >= 8 ? 0 : 1))];
    return ((byte >> static_cast<unsigned>(b & 7)) & 1u) != 0;
  }
  std::array<std::uint64_t, 4> words() const {
    std::array<std::uint64_t, 4> w;
    std::memcpy(w.data(), bytes.data(), sizeof w);
    return w;
  }
  friend bool operator==(const PdqHash&, const PdqHash&) = default;

  std::string to_hex() const;
  // Exactly 64 hex digits (either case), nothing else.
  static std::optional<PdqHash> from_hex(std::string_view text);
};

inline int pdq_distance(const std::array<std::uint64_t, 4>& a, const std::array<std::uint64_t, 4>& b) {
  return std::popcount(a[0] ^ b[0]) + std::popcount(a[1] ^ b[1]) + std::popcount(a[2] ^ b[2]) +
         std::popcount(a[3] ^ b[3]);
}
inline int pdq_distance(const PdqHash& a, const PdqHash& b) {
  return pdq_distance(a.words(), b.words());
}

struct PdqResult {
  PdqHash hash;
  int quality = 0;  // 0..100; 0 for images too small or flat to hash
};

// The eight dihedral variants, in the reference's order.
enum class PdqDihedral : std::uint8_t {
  original,
  rotate90,
  rotate180,
  rotate270,
  flip_x,
  flip_y,
  flip_plus1,
  flip_minus1
};
inline constexpr int kPdqDihedralCount = 8;
std::string_view pdq_dihedral_name(PdqDihedral d);

struct PdqDihedralResult {
  std::array<PdqHash, kPdqDihedralCount> hashes;
  int quality = 0;
};

}  // namespace dijk
