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
#include "hashcore/set/word_filter.h"

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

// A filter over the digests in an overlay's table, so that a lookup skips the overlay (its hashing and
// compares) for almost every digest it does not hold: a WordFilter over each digest's first word (the
// filter of an overlay at the merge threshold is 128 KiB).
class OverlayFilter {
 public:
  OverlayFilter() = default;
  explicit OverlayFilter(std::uint64_t entries) : words_(entries) {}
  void add(std::span<const std::uint8_t> digest) { words_.add(first_word(digest.data())); }
  bool may_hold(const std::uint8_t* digest) const { return words_.may_hold(first_word(digest)); }

 private:
  static std::uint64_t first_word(const std::uint8_t* digest) {
    std::uint64_t w;
    std::memcpy(&w, digest, sizeof w);
    return w;
  }
  WordFilter words_;
};

// One algorithm's exact (or allow) hashes as a set serves them: the base file's table and, when the set
// has an overlay, the overlay's table over it (an entry there wins; a tombstone hides the base's entry).
// A view points into its HashSet: it must not outlive it.
class ExactView {
 public:
  ExactView(const ExactTable& base, const ExactTable* overlay, const OverlayFilter* filter,
            std::uint64_t count, std::size_t digest_size)
      : base_(&base),
        overlay_(overlay != nullptr && !overlay->empty() ? overlay : nullptr),
        filter_(filter),
        count_(count),
        digest_size_(digest_size) {}

  static constexpr std::int32_t kNotFound = ExactTable::kNotFound;
  std::int32_t find(std::span<const std::uint8_t> digest) const;
  void find_batch(const std::uint8_t* digests, std::size_t stride, std::size_t n, std::int32_t* out) const;

  // Every digest the set holds with its list index: the base's not shadowed by the overlay, then the
  // overlay's additions.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    base_->for_each([&](std::span<const std::uint8_t> digest, std::uint16_t list) {
      if (overlay_ == nullptr || overlay_->find(digest) == kNotFound) fn(digest, list);
    });
    if (overlay_ != nullptr) for_each_overlay_addition(fn);
  }
  // Only the overlay's additions (what the overlay adds or moves to another list).
  template <typename Fn>
  void for_each_overlay_addition(Fn&& fn) const {
    for_each_overlay_entry([&](std::span<const std::uint8_t> digest, std::uint16_t list) {
      if (list != setfile::kTombstoneList) fn(digest, list);
    });
  }
  // The overlay's entries as stored: additions and tombstones (setfile::kTombstoneList).
  template <typename Fn>
  void for_each_overlay_entry(Fn&& fn) const {
    if (overlay_ != nullptr) overlay_->for_each(fn);
  }

  std::uint64_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::size_t digest_size() const { return digest_size_; }

 private:
  const ExactTable* base_;
  const ExactTable* overlay_;  // null without an overlay or when it has no entry for this algorithm
  const OverlayFilter* filter_;
  std::uint64_t count_;
  std::size_t digest_size_;
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

// Where the overlay of the set file at `set_path` lives: "current.set" -> "current.overlay" (a name
// without ".set" gets ".overlay" appended).
std::string overlay_path_for(const std::string& set_path);

// Which file a path names now, or a mapping came from: a file renamed in, or changed, has another. So that
// an unchanged base is not mapped and verified again, and a watcher sees a new file.
struct SetFileIdentity {
  std::uint64_t device = 0, inode = 0, size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const SetFileIdentity&) const = default;
};
// The identity of the file at `path`, or none when there is no file there.
std::optional<SetFileIdentity> set_file_identity(const std::string& path);

// A set as it is served: one mapped set file, or a base file with the overlay file beside it
// (set_format.h). Both are immutable; a new version is a new HashSet.
class HashSet : public std::enable_shared_from_this<HashSet> {
 public:
  // Opens the set file at `path` and, if the overlay beside it (overlay_path_for) names this base, the
  // overlay over it. The overlay is opened first, so a base renamed in meanwhile (a merge or a snapshot,
  // which remove the overlay after) is never served with a stale overlay: that one names the old base and
  // is ignored. Full verification checksums the body on up to `verify_threads` threads. A command that
  // loads the set once and then uses every core anyway (dijkctl scan) passes the core count; daemons keep
  // one, so that verifying a new set never takes a core from the dataplane's workers. With `reuse`, a base
  // file that is still the one `reuse` serves (same inode, size and modification time) is shared with it,
  // not mapped and verified again: a new overlay over a large base goes live in milliseconds.
  static std::shared_ptr<const HashSet> open(const std::string& path,
                                             SetVerification verification = SetVerification::full,
                                             unsigned verify_threads = 1, const HashSet* reuse = nullptr);
  // Opens one file as it is, without looking for an overlay (a base being built or merged). An overlay file
  // is refused: it means nothing without its base.
  static std::shared_ptr<const HashSet> open_file(const std::string& path,
                                                  SetVerification verification = SetVerification::full,
                                                  unsigned verify_threads = 1);
  // `base_file` (not layered) with the overlay file at `overlay_path` over it, e.g. a new overlay checked
  // before it is renamed into place. Throws SetFileError when that overlay names another base.
  static std::shared_ptr<const HashSet> with_overlay(std::shared_ptr<const HashSet> base_file,
                                                     const std::string& overlay_path,
                                                     SetVerification verification = SetVerification::full);
  ~HashSet();
  HashSet(const HashSet&) = delete;
  HashSet& operator=(const HashSet&) = delete;

  ExactView exact(Algorithm a) const;
  ExactView allow(Algorithm a) const;
  // Every digest of one file against the allow-list, then against the known hashes.
  MatchOutcome match(const DigestResults& digests) const;

  const std::vector<ListInfo>& lists() const { return lists_; }
  const ListInfo& list(std::uint16_t index) const { return lists_.at(index); }
  // The raw bytes of a section of another kind (e.g. the PDQ index), if the set has one.
  std::optional<std::span<const std::uint8_t>> section(setfile::SectionKind kind,
                                                       std::uint32_t algorithm = 0) const;
  struct OtherSection {
    setfile::SectionKind kind;
    std::uint32_t algorithm;
    std::span<const std::uint8_t> bytes;
    std::uint64_t count;
  };
  // Every section of another kind the set serves (an overlay's replacing its base's), by kind and
  // algorithm.
  std::vector<OtherSection> other_sections() const;

  // The version served: the overlay's when there is one.
  std::uint64_t version() const { return header_->set_version; }
  std::int64_t created_unix() const { return header_->created_unix; }
  // Covers the version, creation time, content checksum and section table: it names the file's contents.
  // For a layered set, the overlay's, which covers the base's checksum too: it names the combination.
  std::uint64_t header_checksum() const { return header_->header_checksum; }
  std::uint64_t file_size() const { return size_ + (base_ ? base_->file_size() : 0); }
  // The base file's path (the set's path), also for a layered set.
  const std::string& path() const { return base_ ? base_->path() : path_; }
  // Which algorithms the set holds hashes for, so a scanner computes only what can match.
  AlgorithmSet algorithms() const;

  // Layering: whether an overlay is served over the base, the base file itself (this set when not
  // layered), and how many entries (additions and tombstones) the overlay holds.
  bool layered() const { return base_ != nullptr; }
  const HashSet& base_file() const { return base_ ? *base_ : *this; }
  std::uint64_t overlay_entries() const;
  const SetFileIdentity& identity() const { return identity_; }

 private:
  HashSet() = default;
  static std::shared_ptr<HashSet> map_file(const std::string& path, SetVerification verification,
                                           unsigned verify_threads);
  // Ties a mapped overlay to its mapped base; throws SetFileError when it names another base.
  static std::shared_ptr<const HashSet> layer(std::shared_ptr<const HashSet> base,
                                              std::shared_ptr<HashSet> overlay);
  void parse_sections(SetVerification verification, unsigned verify_threads);
  void parse_overlay_section(const std::uint8_t* p, std::uint64_t length);
  bool dropped(std::uint32_t kind, std::uint32_t algorithm) const;

  std::string path_;
  SetFileIdentity identity_;
  const std::uint8_t* map_ = nullptr;
  std::uint64_t size_ = 0;
  const setfile::Header* header_ = nullptr;
  std::span<const setfile::SectionEntry> sections_;
  std::array<ExactTable, kAlgorithmCount> exact_{};
  std::array<ExactTable, kAlgorithmCount> allow_{};
  std::vector<ListInfo> lists_;
  // Overlay files only: what the overlay section says, and (once layered) the base under it and the
  // served entry counts (base entries, less those tombstoned, plus those added).
  const setfile::OverlayHeader* overlay_ = nullptr;
  std::vector<setfile::OverlayDropped> dropped_;
  std::shared_ptr<const HashSet> base_;
  std::array<std::uint64_t, kAlgorithmCount> exact_count_{};
  std::array<std::uint64_t, kAlgorithmCount> allow_count_{};
  std::array<OverlayFilter, kAlgorithmCount> exact_filter_{};
  std::array<OverlayFilter, kAlgorithmCount> allow_filter_{};
};

}  // namespace dijk
