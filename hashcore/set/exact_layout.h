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

// About four entries a bucket keeps the bucket table under one byte an entry and a bucket inside two
// cache lines.
std::uint32_t choose_bucket_bits(std::uint64_t count);
ExactLayout exact_layout(std::uint32_t digest_size, std::uint32_t bucket_bits, std::uint64_t count);

}  // namespace dijk::setfile
