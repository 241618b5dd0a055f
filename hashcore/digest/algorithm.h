#pragma once
// The exact-match digest algorithms dijk knows, their sizes and names.
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace dijk {

enum class Algorithm : std::uint8_t { md5 = 0, sha1 = 1, sha256 = 2 };
inline constexpr std::size_t kAlgorithmCount = 3;
inline constexpr std::array<Algorithm, kAlgorithmCount> kAllAlgorithms{Algorithm::md5, Algorithm::sha1,
                                                                       Algorithm::sha256};
inline constexpr std::size_t kMaxDigestSize = 32;

constexpr std::size_t digest_size(Algorithm a) {
  switch (a) {
    case Algorithm::md5:
      return 16;
    case Algorithm::sha1:
      return 20;
    case Algorithm::sha256:
      return 32;
  }
  return 0;
}

std::string_view algorithm_name(Algorithm a);
std::optional<Algorithm> algorithm_from_name(std::string_view name);
// Lists give bare hex hashes; their length tells the algorithm (md5sum/sha1sum/sha256sum output).
std::optional<Algorithm> algorithm_from_hex_length(std::size_t hex_chars);

// A subset of algorithms, as a bit mask.
class AlgorithmSet {
 public:
  constexpr AlgorithmSet() = default;
  static constexpr AlgorithmSet all() { return AlgorithmSet{0b111}; }
  constexpr AlgorithmSet& add(Algorithm a) {
    bits_ = static_cast<std::uint8_t>(bits_ | (1u << static_cast<unsigned>(a)));
    return *this;
  }
  constexpr bool contains(Algorithm a) const { return (bits_ >> static_cast<unsigned>(a)) & 1u; }
  // These algorithms but those of `other`.
  constexpr AlgorithmSet without(AlgorithmSet other) const {
    return AlgorithmSet{static_cast<std::uint8_t>(bits_ & ~other.bits_)};
  }
  // These algorithms that `other` has too.
  constexpr AlgorithmSet shared_with(AlgorithmSet other) const {
    return AlgorithmSet{static_cast<std::uint8_t>(bits_ & other.bits_)};
  }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr std::uint8_t bits() const { return bits_; }

 private:
  constexpr explicit AlgorithmSet(std::uint8_t bits) : bits_(bits) {}
  std::uint8_t bits_ = 0;
};

// Orders digest bytes as memcmp does (byte by byte, unsigned), faster: the first eight bytes as one
// big-endian word decide almost every comparison of hashes, and memcmp only breaks ties. Sorting millions
// of digests (set builds, a feed sync's read phase) is mostly these comparisons. `size` is at least 8.
inline int compare_digests(const std::uint8_t* a, const std::uint8_t* b, std::size_t size) {
  std::uint64_t x, y;
  std::memcpy(&x, a, sizeof x);
  std::memcpy(&y, b, sizeof y);
  if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  return std::memcmp(a + 8, b + 8, size - 8);
}

// A digest value: the algorithm and its bytes.
struct Digest {
  Algorithm algorithm = Algorithm::md5;
  std::array<std::uint8_t, kMaxDigestSize> bytes{};
  std::size_t size() const { return digest_size(algorithm); }
  bool operator==(const Digest& o) const = default;
};

}  // namespace dijk
