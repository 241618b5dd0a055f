#pragma once
// Exact Hamming-radius search over PDQ hashes (every stored hash within distance R of a query, default 31),
// by multi-index hashing: the 256 bits are cut into 12 chunks; if two hashes differ in at most R bits, then
// for radii r_c with sum(r_c + 1) = R + 1 some chunk c differs in at most r_c bits (pigeonhole). Each chunk
// has a table from its key bits to the hashes holding them; a query probes every key within r_c of its
// own in each table and checks the candidates' full distance. Nothing is approximate: recall is 100%.
//
// The index is one contiguous byte layout (see docs/pdq.md), written into the set file as its pdq_hashes
// section and used in place from the mapped file: opening it checks bounds and never copies.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hashcore/pdq/pdq_hash.h"

namespace dijk {

namespace pdqindex {
inline constexpr char kMagic[8] = {'D', 'I', 'J', 'K', 'P', 'D', 'Q', '1'};
inline constexpr std::uint32_t kChunkCount = 12;     // 8 chunks of 21 bits, then 4 of 22
inline constexpr std::uint32_t kLinearBelow = 4096;  // smaller sets are scanned, not indexed

struct Header {
  char magic[8];
  std::uint32_t version;      // 1
  std::uint32_t chunk_count;  // 0 (linear scan) or kChunkCount
  std::uint64_t count;        // hashes
  std::uint32_t key_bits;     // bits of each chunk used as its table key
  std::uint32_t reserved0;
  std::uint64_t hashes_offset;   // u8[count][32], text byte order, sorted
  std::uint64_t lists_offset;    // u16[count] list index
  std::uint64_t quality_offset;  // u8[count]
  std::uint64_t tables_offset;   // per chunk: u32 bucket_start[2^key_bits + 1], u32 id[count]
};
static_assert(sizeof(Header) == 64);
}  // namespace pdqindex

struct PdqIndexEntry {
  PdqHash hash;
  std::uint16_t list_index = 0;
  std::uint8_t quality = 100;
};

// Collects hashes and writes the section bytes. Identical hashes are folded into one entry (first list,
// highest quality).
class PdqIndexBuilder {
 public:
  void reserve(std::size_t n) { entries_.reserve(n); }
  void add(const PdqHash& hash, std::uint16_t list_index, std::uint8_t quality = 100) {
    entries_.push_back({hash, list_index, quality});
  }
  std::size_t size() const { return entries_.size(); }
  // The section's bytes; the builder is left empty.
  std::vector<std::uint8_t> build();

 private:
  std::vector<PdqIndexEntry> entries_;
};

struct PdqSearchOptions {
  int radius = kPdqDefaultRadius;
  int min_quality = 0;  // stored hashes below this quality are skipped
};

struct PdqMatch {
  std::uint32_t id = 0;  // position in the index
  int distance = 0;
  std::uint16_t list_index = 0;
  std::uint8_t quality = 0;
  PdqDihedral variant = PdqDihedral::original;  // which query variant matched (dihedral searches)
};

class PdqIndex {
 public:
  PdqIndex() = default;  // empty: every search finds nothing
  // Validates the layout (magic, sizes, bounds, table ranges) without copying; nullopt and a reason if bad.
  static std::optional<PdqIndex> open(std::span<const std::uint8_t> section, std::string* error = nullptr);

  // Calls on_match for every stored hash within options.radius of query, each once, in no set order.
  void search(const PdqHash& query, const PdqSearchOptions& options,
              const std::function<void(const PdqMatch&)>& on_match) const;
  // All eight variants in one call; each stored hash is reported once, with its closest variant.
  void search_dihedral(const PdqDihedralResult& query, const PdqSearchOptions& options,
                       const std::function<void(const PdqMatch&)>& on_match) const;

  std::uint64_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  PdqHash hash(std::uint32_t id) const;
  std::uint16_t list_index(std::uint32_t id) const { return lists_[id]; }
  std::uint8_t quality(std::uint32_t id) const { return quality_[id]; }

 private:
  void linear_search(const std::array<std::uint64_t, 4>& q, const PdqSearchOptions& options,
                     const std::function<void(const PdqMatch&)>& on_match) const;
  std::array<std::uint64_t, 4> words(std::uint32_t id) const;

  std::uint64_t count_ = 0;
  std::uint32_t chunk_count_ = 0;
  std::uint32_t key_bits_ = 0;
  const std::uint8_t* hashes_ = nullptr;
  const std::uint16_t* lists_ = nullptr;
  const std::uint8_t* quality_ = nullptr;
  std::array<const std::uint32_t*, pdqindex::kChunkCount> bucket_start_{};
  std::array<const std::uint32_t*, pdqindex::kChunkCount> ids_{};
};

}  // namespace dijk
