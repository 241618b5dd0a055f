#pragma once
// The arithmetic of an exact-hash section, shared by the writer and the reader so they cannot disagree:
// how big the section is, and where a digest lives in it.
//
// The section is a two-choice hash table (cuckoo hashing) of buckets of four slots. A digest may sit in
// one of two buckets, both computed from the digest alone, so a lookup reads two cache lines (for MD5)
// that it can fetch at the same time: no bucket table to read first, no list index elsewhere. At 95 %
// load an MD5 entry costs 16.8 bytes. A slot is
//   u16 list index | u8 flags: occupied (bit 7), in its second bucket (bit 6), quotient tag (bits 0-5)
//   | the bucket key's low (8 - dropped_bytes) bytes, big-endian | the digest's bytes from 8 on.
// The bucket key is the digest's first eight bytes times an odd constant, xor a hash of the rest; its top
// `dropped_bytes` bytes (the quotient) are implied by the first bucket up to 64 neighbours, which the
// quotient tag tells apart, so they are not stored. The second bucket is derived from the stored bytes
// only (partial-key cuckoo hashing), so every digest can be rebuilt from its slot and bucket.
#include <bit>
#include <cstdint>
#include <cstring>

namespace dijk::setfile {

// Bucket numbers are the high half of a 64 x 64-bit product (no division, and uniform for any count).
__extension__ typedef unsigned __int128 uint128;

inline constexpr std::uint32_t kSlotsPerBucket = 4;
inline constexpr std::uint32_t kSlotTagBytes = 3;  // list index and flags
inline constexpr std::uint8_t kSlotOccupied = 0x80;
inline constexpr std::uint8_t kSlotInSecondBucket = 0x40;
inline constexpr std::uint8_t kQuotientTagMask = 0x3F;
// The quotients that map to one bucket must differ in their low six bits: at most 64 of them, and a
// bucket spans 2^(8 x dropped) / buckets + 2 quotients.
inline constexpr std::uint64_t kMaxQuotientsPerBucket = 62;
inline constexpr std::uint64_t kMaxBuckets = std::uint64_t{1} << 32;

// The bucket key spreads the digest's first eight bytes over its top bits (an odd multiplier, so
// invertible: rebuilding a digest multiplies by the inverse), so that hashes differing only in a few of
// those bytes still get different first buckets.
inline constexpr std::uint64_t kHeadMultiplier = 0xD6E8FEB86659FD93ull;
constexpr std::uint64_t odd_inverse(std::uint64_t odd) {
  std::uint64_t x = odd;  // Newton's iteration doubles the correct low bits each step: 3, 6, ..., 96
  for (int i = 0; i < 5; ++i) x *= 2 - odd * x;
  return x;
}
static_assert(kHeadMultiplier * odd_inverse(kHeadMultiplier) == 1);

struct ExactLayout {
  std::uint64_t bucket_count;
  std::uint32_t dropped_bytes;
  std::uint32_t slot_size;
  std::uint64_t bucket_size;  // bytes
  std::uint64_t buckets_offset;
  std::uint64_t section_length;

  // Where slot `i` of `bucket` starts, from the start of the bucket array.
  std::uint64_t slot_offset(std::uint64_t bucket, std::uint32_t i) const {
    return bucket * bucket_size + std::uint64_t{i} * slot_size;
  }
};

// Buckets for `count` entries at the 95 % load a two-choice table of four-slot buckets fills reliably.
std::uint64_t planned_bucket_count(std::uint64_t count);
// The most whole bytes of bucket key that `bucket_count` buckets imply (see kMaxQuotientsPerBucket).
std::uint32_t dropped_bytes_for(std::uint64_t bucket_count);
ExactLayout exact_layout(std::uint32_t digest_size, std::uint64_t bucket_count);

// Where one digest lives and what its slot holds, apart from the list index and the second-bucket flag.
struct SlotAddress {
  std::uint64_t first_bucket;
  std::uint64_t second_bucket;
  std::uint8_t flags;  // occupied and quotient tag
  std::uint64_t key;   // the bucket key, whose low bytes the slot stores
};

class SlotHashing {
 public:
  static constexpr std::uint32_t kAny = 0xFFFFFFFF;  // a size known only at run time

  SlotHashing() = default;
  SlotHashing(std::uint32_t digest_size, std::uint64_t bucket_count, std::uint32_t dropped_bytes,
              std::uint64_t seed)
      : digest_size_(digest_size), buckets_(bucket_count), dropped_(dropped_bytes), seed_(seed) {}

  // The template arguments, when given, fix the digest size and dropped bytes at compile time for the
  // lookup paths of the common shapes; they must equal this object's.
  template <std::uint32_t kDigest = kAny, std::uint32_t kDropped = kAny>
  SlotAddress address(const std::uint8_t* digest) const {
    const std::uint64_t rest = rest_hash<kDigest>(digest + 8);
    SlotAddress a;
    a.key = load_be64(digest) * kHeadMultiplier ^ rest;
    a.first_bucket = bucket_of(a.key);
    a.second_bucket = pair_bucket(a.first_bucket, a.key & stored_key_mask<kDropped>(), rest);
    a.flags = static_cast<std::uint8_t>(kSlotOccupied | (quotient<kDropped>(a.key) & kQuotientTagMask));
    return a;
  }

  // The other bucket of the slot `slot` in `bucket`. It depends only on what the slot stores (the key's
  // low bytes and the digest's rest), so that the builder can move a slot without its digest; the same
  // map sends each of the two buckets to the other.
  std::uint64_t other_bucket(std::uint64_t bucket, const std::uint8_t* slot) const {
    return pair_bucket(bucket, stored_key(slot), rest_hash(slot + kSlotTagBytes + 8 - dropped_));
  }

  // Writes a slot's bytes after the list index: flags (without the second-bucket flag), key, rest.
  template <std::uint32_t kDigest = kAny, std::uint32_t kDropped = kAny>
  void write_slot(const std::uint8_t* digest, const SlotAddress& a, std::uint8_t* slot) const {
    slot[2] = a.flags;
    const std::uint32_t key_bytes = 8 - dropped<kDropped>();
    for (std::uint32_t i = 0; i < key_bytes; ++i)
      slot[kSlotTagBytes + i] = static_cast<std::uint8_t>(a.key >> (8 * (key_bytes - 1 - i)));
    std::memcpy(slot + kSlotTagBytes + key_bytes, digest + 8, digest_size<kDigest>() - 8);
  }

  // The first eight bytes write_slot writes (list index zero, second-bucket flag clear) when three bytes
  // are dropped, so that the stored key bytes fill the word exactly: lookups of the common shapes compare
  // words without assembling a slot. (Little-endian, as the whole file is.)
  static std::uint64_t first_word_with_three_dropped(const SlotAddress& a) {
    return (__builtin_bswap64(a.key) & ~std::uint64_t{0xFFFFFF}) | (std::uint64_t{a.flags} << 16);
  }

  // Rebuilds the digest stored in `slot` of `bucket`; false if the slot cannot have been written by the
  // builder (only a forged file has such slots).
  bool rebuild(std::uint64_t bucket, const std::uint8_t* slot, std::uint8_t* digest) const;

  std::uint64_t buckets() const { return buckets_; }
  std::uint32_t digest_size() const { return digest_size_; }
  std::uint32_t dropped_bytes() const { return dropped_; }

 private:
  template <std::uint32_t kDigest>
  std::uint32_t digest_size() const {
    return kDigest != kAny ? kDigest : digest_size_;
  }
  template <std::uint32_t kDropped>
  std::uint32_t dropped() const {
    return kDropped != kAny ? kDropped : dropped_;
  }
  static std::uint64_t load_be64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return __builtin_bswap64(v);
  }
  // One multiply and a fold: every input bit reaches the product's top bits (which pick the bucket) and,
  // folded down, the low ones (which are stored and pick the second bucket). Each lookup computes this
  // while the memory system is busiest: with murmur3's two-round finaliser here (and the slot loop not
  // unrolled) 50M MD5 ran at 18.5-19.1 M lookups/s against 28.2-29.9, A/B alternating in one session.
  static std::uint64_t mix(std::uint64_t k) {
    k *= 0x9E3779B97F4A7C15ull;
    return k ^ (k >> 32);
  }
  // Hashes every digest byte from 8 on (in 8-byte words, the last one overlapping), so digests that differ
  // anywhere land in unrelated buckets, even a list of sequential or otherwise non-random hashes.
  template <std::uint32_t kDigest = kAny>
  std::uint64_t rest_hash(const std::uint8_t* rest) const {
    const std::uint32_t n = digest_size<kDigest>() - 8;
    std::uint64_t h = seed_;
    for (std::uint32_t off = 0;; off += 8) {
      const std::uint32_t at = off + 8 <= n ? off : n - 8;
      std::uint64_t w;
      std::memcpy(&w, rest + at, sizeof w);
      h = mix(h ^ w);
      if (at + 8 >= n) return h;
    }
  }
  std::uint64_t bucket_of(std::uint64_t key) const {
    return static_cast<std::uint64_t>((static_cast<uint128>(key) * buckets_) >> 64);
  }
  template <std::uint32_t kDropped = kAny>
  std::uint64_t quotient(std::uint64_t key) const {
    const std::uint32_t d = dropped<kDropped>();
    return d == 0 ? 0 : key >> (64 - 8 * d);
  }
  template <std::uint32_t kDropped = kAny>
  std::uint64_t stored_key_mask() const {
    const std::uint32_t d = dropped<kDropped>();
    return d == 0 ? ~std::uint64_t{0} : (~std::uint64_t{0}) >> (8 * d);
  }
  std::uint64_t stored_key(const std::uint8_t* slot) const {
    std::uint64_t key = 0;
    for (std::uint32_t i = 0; i < 8 - dropped_; ++i) key = (key << 8) | slot[kSlotTagBytes + i];
    return key;
  }
  // Mixing in the stored key bytes as well as the rest keeps hashes that differ only in their first bytes
  // from all pairing the same buckets. (Hashes differing only in the dropped bytes still do: a contrived
  // list like that builds a larger table, never a wrong one.) The rest is rotated first: where the
  // digest's first eight bytes are zero the key is the rest, and a plain xor would cancel it.
  std::uint64_t pair_bucket(std::uint64_t bucket, std::uint64_t stored_key, std::uint64_t rest) const {
    const std::uint64_t base = bucket_of(mix(std::rotl(rest, 29) ^ stored_key ^ 0xC2B2AE3D27D4EB4Full));
    return base >= bucket ? base - bucket : base + buckets_ - bucket;
  }

  std::uint32_t digest_size_ = 16;
  std::uint64_t buckets_ = 1;
  std::uint32_t dropped_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace dijk::setfile
