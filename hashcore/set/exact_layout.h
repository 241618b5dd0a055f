#pragma once
// The arithmetic of an exact-hash section, shared by the writer and the reader so they cannot disagree.
#include <cstdint>

namespace dijk::setfile {

struct ExactLayout {
  std::uint32_t bucket_bits;
  std::uint32_t dropped_bytes;
  std::uint32_t suffix_size;
  std::uint64_t buckets_offset;  // from the section start
  std::uint64_t suffix_offset;
  std::uint64_t list_offset;
  std::uint64_t section_length;
};

// The bucket count trades the bucket table (4 bytes a bucket) against the bytes each entry stores (every
// whole byte of bucket number is dropped from the stored suffix) and against the cache lines a lookup
// reads (fewer entries a bucket, fewer lines). Picks the most buckets whose section still costs at most
// one byte an entry more than the digest (17 bytes for MD5, bucket table and list index included); at
// 50M MD5 that is 2^24 buckets of ~3 entries (16.3 bytes an entry, one or two lines a lookup) rather than
// 2^23 of ~6 (16.7 bytes, two or three lines). Sets that cannot meet the budget (small ones) get about four
// entries a bucket.
std::uint32_t choose_bucket_bits(std::uint32_t digest_size, std::uint64_t count);
ExactLayout exact_layout(std::uint32_t digest_size, std::uint32_t bucket_bits, std::uint64_t count);

}  // namespace dijk::setfile
