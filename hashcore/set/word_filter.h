#pragma once
// A filter over 64-bit words whose bits are already uniform (a digest's first eight bytes, or a prefix
// of one), so that a lookup turns away almost every word the set does not hold for one load from a small
// table. A blocked Bloom filter: one 64-bit word a key, three bits in it, 16 bits an entry, about 0.3 %
// false positives; 100k keys take 200 KiB, which stays in a core's L2 where a bitmap over 24 bits of the
// key (2 MiB, as the retro-hunt had) misses it on nearly every lookup. The key's low bits pick the three
// bits as they are, a multiply of it picks the word (no hashing: the keys are random already).
#include <cstdint>
#include <vector>

namespace dijk {

class WordFilter {
 public:
  WordFilter() : WordFilter(0) {}  // the smallest table, so that a lookup never needs a size check
  explicit WordFilter(std::uint64_t entries) {
    unsigned log2 = 6;  // words: at least 64 (4096 bits)
    while (log2 < 34 && (std::uint64_t{64} << log2) < entries * 16) ++log2;
    words_.assign(std::uint64_t{1} << log2, 0);
    shift_ = 64 - log2;
  }
  void add(std::uint64_t key) { words_[word(key)] |= bits(key); }
  bool may_hold(std::uint64_t key) const {
    const std::uint64_t b = bits(key);
    return (words_[word(key)] & b) == b;
  }

 private:
  std::uint64_t word(std::uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL) >> shift_; }
  static std::uint64_t bits(std::uint64_t key) {
    return (std::uint64_t{1} << (key & 63)) | (std::uint64_t{1} << ((key >> 6) & 63)) |
           (std::uint64_t{1} << ((key >> 12) & 63));
  }
  std::vector<std::uint64_t> words_;
  unsigned shift_ = 64;
};

}  // namespace dijk
