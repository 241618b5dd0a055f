#pragma once
// A loaded set file: immutable, memory-mapped, shared by every reader. Lookups never allocate and never
// lock; a new version is a new HashSet, swapped in by whoever owns the pointer.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "hashcore/digest/algorithm.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/exact_layout.h"
#include "hashcore/set/set_format.h"

namespace dijk {

class SetFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ListInfo {
  std::string name;
  std::string category;
};

// How much of the file to check when opening. `structure` checks the header checksum, sizes and every
// section's bounds (cheap, constant time); `full` also checks the content checksum over every byte.
enum class SetVerification { structure, full };

// A read-only view of one exact-hash section (a two-choice hash table, see exact_layout.h) inside the
// mapped file.
class ExactTable {
 public:
  ExactTable() = default;
  ExactTable(const setfile::ExactHeader* header, const std::uint8_t* section, std::uint64_t length);

  static constexpr std::int32_t kNotFound = -1;
  // List index of the digest, or kNotFound.
  std::int32_t find(std::span<const std::uint8_t> digest) const;
  // Looks up n digests laid out `stride` bytes apart; writes a list index or kNotFound for each. Fetches
  // the buckets of a block of digests at once, so a block costs about one memory round trip, not one per
  // lookup.
  void find_batch(const std::uint8_t* digests, std::size_t stride, std::size_t n, std::int32_t* out) const;

  // Visits every stored digest with its list index, in no particular order (rebuilding sets, deltas,
  // export). Slots that no writer could have produced (a forged file) are skipped.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (count_ == 0) return;  // an algorithm the file has no section for
    std::array<std::uint8_t, kMaxDigestSize> digest{};
    for (std::uint64_t b = 0; b < hashing_.buckets(); ++b) {
      for (std::uint32_t i = 0; i < setfile::kSlotsPerBucket; ++i) {
        const std::uint8_t* s = slot(b, i);
        if ((s[2] & setfile::kSlotOccupied) == 0 || !hashing_.rebuild(b, s, digest.data())) continue;
        std::uint16_t list;
        std::memcpy(&list, s, sizeof list);
        fn(std::span<const std::uint8_t>(digest.data(), digest_size_), list);
      }
    }
  }

  std::uint64_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::size_t digest_size() const { return digest_size_; }

 private:
  const std::uint8_t* slot(std::uint64_t bucket, std::uint32_t i) const {
    return buckets_ + layout_.slot_offset(bucket, i);
  }
  // find_batch for one digest size and dropped-byte count, given at compile time for the common shapes
  // (SlotHashing::kAny for the others).
  template <std::uint32_t kDigest, std::uint32_t kDropped>
  void find_batch_shaped(const std::uint8_t* digests, std::size_t stride, std::size_t n,
                         std::int32_t* out) const;
  void prefetch_bucket(std::uint64_t bucket) const;

  std::uint32_t digest_size_ = 0;
  setfile::ExactLayout layout_{};
  std::uint64_t count_ = 0;
  setfile::SlotHashing hashing_;
  const std::uint8_t* buckets_ = nullptr;
};

struct ExactHit {
  Algorithm algorithm;
  Digest digest;
  std::uint16_t list_index;
};

// What matching one file's digests found.
struct MatchOutcome {
  bool allow_listed = false;  // some digest of the file is on the allow-list: nothing is reported
  std::vector<ExactHit> hits;
};

class HashSet {
 public:
  // Full verification checksums the body on up to `verify_threads` threads. A command that loads the set
  // once and then uses every core anyway (dijkctl scan) passes the core count; daemons keep one, so that
  // verifying a new set never takes a core from the dataplane's workers.
  static std::shared_ptr<const HashSet> open(const std::string& path,
                                             SetVerification verification = SetVerification::full,
                                             unsigned verify_threads = 1);
  ~HashSet();
  HashSet(const HashSet&) = delete;
  HashSet& operator=(const HashSet&) = delete;

  const ExactTable& exact(Algorithm a) const { return exact_[static_cast<std::size_t>(a)]; }
  const ExactTable& allow(Algorithm a) const { return allow_[static_cast<std::size_t>(a)]; }
  // Every digest of one file against the allow-list, then against the known hashes.
  MatchOutcome match(const DigestResults& digests) const;

  const std::vector<ListInfo>& lists() const { return lists_; }
  const ListInfo& list(std::uint16_t index) const { return lists_.at(index); }
  // The raw bytes of a section of another kind (e.g. the PDQ index), if the file has one.
  std::optional<std::span<const std::uint8_t>> section(setfile::SectionKind kind,
                                                       std::uint32_t algorithm = 0) const;

  std::uint64_t version() const { return header_->set_version; }
  std::int64_t created_unix() const { return header_->created_unix; }
  // Covers the version, creation time, content checksum and section table: it names the file's contents.
  std::uint64_t header_checksum() const { return header_->header_checksum; }
  std::uint64_t file_size() const { return size_; }
  const std::string& path() const { return path_; }
  // Which algorithms the set holds hashes for, so a scanner computes only what can match.
  AlgorithmSet algorithms() const;

 private:
  HashSet() = default;
  void parse_sections(SetVerification verification, unsigned verify_threads);

  std::string path_;
  const std::uint8_t* base_ = nullptr;
  std::uint64_t size_ = 0;
  const setfile::Header* header_ = nullptr;
  std::span<const setfile::SectionEntry> sections_;
  std::array<ExactTable, kAlgorithmCount> exact_{};
  std::array<ExactTable, kAlgorithmCount> allow_{};
  std::vector<ListInfo> lists_;
};

}  // namespace dijk
