#pragma once
// The on-disk layout of a set file (see docs/formats.md). Everything is little-endian, every section is
// 64-byte aligned so the mapped file can be used in place.
#include <cstdint>

namespace dijk::setfile {

inline constexpr char kMagic[8] = {'D', 'I', 'J', 'K', 'S', 'E', 'T', '\0'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::uint64_t kSectionAlignment = 64;
inline constexpr std::uint32_t kMaxSections = 64;

enum class SectionKind : std::uint32_t {
  lists = 1,         // names and categories of the lists that hashes come from
  exact_hashes = 2,  // one per algorithm: the known hashes with their list index
  allow_hashes = 3,  // one per algorithm: hashes that are never reported
  pdq_hashes = 4,    // perceptual hashes with list index and quality (the PDQ index)
};

struct Header {
  char magic[8];
  std::uint32_t format_version;
  std::uint32_t header_size;  // sizeof(Header)
  std::uint64_t set_version;  // monotonically increasing, set by the publisher
  std::int64_t created_unix;  // seconds since the epoch
  std::uint64_t file_size;    // the whole file, so truncation is caught before any section is read
  std::uint32_t section_count;
  std::uint32_t reserved0;
  std::uint64_t content_checksum;  // XXH3-64 of every byte after the section table
  std::uint64_t header_checksum;   // XXH3-64 of this header (with this field zero) and the section table
  std::uint8_t reserved[64];
};
static_assert(sizeof(Header) == 128);

struct SectionEntry {
  std::uint32_t kind;       // SectionKind
  std::uint32_t algorithm;  // Algorithm for hash sections, 0 otherwise
  std::uint64_t offset;     // from the start of the file
  std::uint64_t length;     // bytes
  std::uint64_t count;      // entries
};
static_assert(sizeof(SectionEntry) == 32);

// Exact and allow hash sections. Entries are sorted by digest and bucketed by the top `bucket_bits` bits;
// the first `dropped_bytes` bytes of each digest are implied by its bucket and not stored, which keeps an
// MD5 entry under 17 bytes with its list index.
//   ExactHeader
//   u32 bucket_start[(1 << bucket_bits) + 1]   index of the first entry of each bucket, then the count
//   (padding to 8)
//   u8  suffix[count][suffix_size]             digest bytes after the dropped ones
//   (padding to 8)
//   u16 list_index[count]
struct ExactHeader {
  std::uint32_t digest_size;
  std::uint32_t bucket_bits;
  std::uint32_t dropped_bytes;
  std::uint32_t suffix_size;
  std::uint64_t count;
  std::uint64_t reserved;
};
static_assert(sizeof(ExactHeader) == 32);

// Lists section: u32 count, then per list: u16 name length, name, u16 category length, category.
// List index i in a hash section refers to the i-th list here.

}  // namespace dijk::setfile
