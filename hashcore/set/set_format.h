#pragma once
// The on-disk layout of a set file (see docs/formats.md). Everything is little-endian, every section is
// 64-byte aligned so the mapped file can be used in place.
#include <cstdint>

namespace dijk::setfile {

inline constexpr char kMagic[8] = {'D', 'I', 'J', 'K', 'S', 'E', 'T', '\0'};
inline constexpr std::uint32_t kFormatVersion = 2;  // 2: exact sections are two-choice hash tables
inline constexpr std::uint64_t kSectionAlignment = 64;
inline constexpr std::uint32_t kMaxSections = 64;

enum class SectionKind : std::uint32_t {
  lists = 1,         // names and categories of the lists that hashes come from
  exact_hashes = 2,  // one per algorithm: the known hashes with their list index
  allow_hashes = 3,  // one per algorithm: hashes that are never reported
  pdq_hashes = 4,    // perceptual hashes with list index and quality (the PDQ index)
  overlay = 5,       // present only in an overlay file: the base it applies to (OverlayHeader)
};

// An overlay file is a set file of the same format that changes a base set without rewriting it: its
// exact and allow sections hold additions (a list index) and tombstones (kTombstoneList: the base's entry
// is removed), its lists section is the whole list table (the base's lists first, at their indexes), and
// its sections of other kinds replace the base's. A lookup asks the overlay first and the base only when
// the overlay has no entry. It applies only to the base whose header checksum it names.
inline constexpr std::uint16_t kTombstoneList = 0xFFFF;  // never a list index: lists are capped at 65535

// The overlay section:
//   OverlayHeader
//   OverlayDropped dropped[dropped_count]   base sections of other kinds that the overlay removes
struct OverlayHeader {
  std::uint64_t base_version;
  std::uint64_t base_header_checksum;  // Header::header_checksum of the base: names its contents
  std::uint32_t dropped_count;
  std::uint32_t reserved0;
  std::uint8_t reserved[40];
};
static_assert(sizeof(OverlayHeader) == 64);

struct OverlayDropped {
  std::uint32_t kind;
  std::uint32_t algorithm;
};
static_assert(sizeof(OverlayDropped) == 8);

struct Header {
  char magic[8];
  std::uint32_t format_version;
  std::uint32_t header_size;  // sizeof(Header)
  std::uint64_t set_version;  // monotonically increasing, set by the publisher
  std::int64_t created_unix;  // seconds since the epoch
  std::uint64_t file_size;    // the whole file, so truncation is caught before any section is read
  std::uint32_t section_count;
  std::uint32_t reserved0;
  std::uint64_t content_checksum;  // of every byte after the section table, in chunks (content_checksum.h)
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

// Exact and allow hash sections: a two-choice hash table of four-slot buckets (see exact_layout.h for
// where a digest lives and what a slot holds).
//   ExactHeader
//   u8 bucket[bucket_count][4][slot_size]
struct ExactHeader {
  std::uint32_t digest_size;
  std::uint32_t slot_size;         // 3 + digest_size - dropped_bytes
  std::uint32_t slots_per_bucket;  // 4
  std::uint32_t dropped_bytes;     // leading bytes of the bucket key implied by the bucket
  std::uint64_t count;
  std::uint64_t bucket_count;
  std::uint64_t seed;  // of the bucket hashing; the writer picks another if placement fails
  std::uint8_t reserved[24];
};
static_assert(sizeof(ExactHeader) == 64);

// Lists section: u32 count, then per list: u16 name length, name, u16 category length, category.
// List index i in a hash section refers to the i-th list here.

}  // namespace dijk::setfile
