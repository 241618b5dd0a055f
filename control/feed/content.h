#pragma once
// What a feed carries: the content of a set (snapshot) or the change between two versions (delta), and
// the in-memory model both are read into and the set file is built from.
//
// Binary layout (little-endian), the same for both kinds:
//   char magic[8] "DIJKFDC1"; u32 kind (1 snapshot, 2 delta); u32 reserved (0)
//   u64 version; u64 base_version (delta: the version it applies to; snapshot: 0)
//   u32 note_length; note (UTF-8, e.g. the reason of a retraction)
//   u32 list_count; per list: u16 name_length, name, u16 category_length, category
//   blocks: u8 op, u8 algorithm, u16 list, u32 count, count * digest_size bytes
//   a block with op 0 (end) and count 0 closes the file; nothing may follow it.
// Ops: 1 add (to `list`), 2 remove (by hash, whatever its list), 3 allow-add, 4 allow-remove.
//   5 put a whole set-file section of another kind (e.g. the PDQ index), the block's `list` field holding
//     its section kind (>= 4) and `algorithm` its section algorithm, `count` 0; then u64 entries,
//     u64 length, length bytes. 6 drop such a section (same header, no payload).
// A snapshot holds only ops 1, 3 and 5. Deltas apply removals before additions.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "control/feed/manifest.h"
#include "hashcore/digest/algorithm.h"
#include "hashcore/set/hash_set.h"
#include "hashcore/set/set_builder.h"

namespace dijk::feed {

enum class ContentKind : std::uint32_t { snapshot = 1, delta = 2 };
enum class ContentOp : std::uint8_t {
  end = 0,
  add = 1,
  remove = 2,
  allow_add = 3,
  allow_remove = 4,
  put_section = 5,
  drop_section = 6,
};

// Caps on everything a hostile file could inflate.
struct ContentLimits {
  std::uint32_t max_lists = 4096;
  std::uint32_t max_name_bytes = 256;
  std::uint32_t max_note_bytes = 4096;
  std::uint64_t max_blocks = 1u << 20;
  std::uint64_t max_entries = std::uint64_t{1} << 31;
  std::uint64_t max_section_bytes = std::uint64_t{4} << 30;  // per carried section (op 5)
  std::uint32_t max_sections = 16;
};

struct Entry {
  std::array<std::uint8_t, kMaxDigestSize> bytes{};
  std::uint16_t list = 0;
};

// A whole set's hashes, sorted by digest within each algorithm, each digest once.
struct SetContents {
  std::vector<ListInfo> lists;
  std::array<std::vector<Entry>, kAlgorithmCount> exact;
  std::array<std::vector<Entry>, kAlgorithmCount> allow;
  // Sections of other kinds (the PDQ index), carried whole; sorted by (kind, algorithm).
  std::vector<RawSection> sections;

  std::uint16_t list_index(const ListInfo& list);  // finds by name, adds if new
  std::uint64_t exact_count() const;
  // Sorts and removes duplicate digests (first list wins), as SetBuilder would.
  void normalize();
};

struct ContentHeader {
  ContentKind kind = ContentKind::snapshot;
  std::uint64_t version = 0;
  std::uint64_t base_version = 0;
  std::string note;
  std::vector<ListInfo> lists;
};

// What a decoded delta changes; digests are copied out of the (hostile) file.
struct Delta {
  ContentHeader header;
  std::array<std::vector<Entry>, kAlgorithmCount> add;  // list indexes refer to header.lists
  std::array<std::vector<Entry>, kAlgorithmCount> remove;
  std::array<std::vector<Entry>, kAlgorithmCount> allow_add;
  std::array<std::vector<Entry>, kAlgorithmCount> allow_remove;
  std::vector<RawSection> put_sections;
  std::vector<RawSection> drop_sections;  // kind and algorithm only
  std::uint64_t changes() const;
};

// Decoding: throws FeedFormatError naming the offset and the reason.
ContentHeader decode_header(std::span<const std::uint8_t> bytes, const ContentLimits& limits = {});
SetContents decode_snapshot(std::span<const std::uint8_t> bytes, const ContentLimits& limits = {},
                            ContentHeader* header_out = nullptr);
Delta decode_delta(std::span<const std::uint8_t> bytes, const ContentLimits& limits = {});

std::vector<std::uint8_t> encode_snapshot(const SetContents& contents, std::uint64_t version);
// The delta that turns `from` into `to` (both normalized).
std::vector<std::uint8_t> encode_delta(const SetContents& from, const SetContents& to,
                                       std::uint64_t from_version, std::uint64_t to_version,
                                       const std::string& note);
// A delta that only removes the given digests (a retraction).
std::vector<std::uint8_t> encode_removals(const std::vector<Digest>& digests, std::uint64_t from_version,
                                          std::uint64_t to_version, const std::string& note);

// Applies `delta` to `contents` in place (removals first, then additions); leaves it normalized.
void apply_delta(SetContents& contents, const Delta& delta);

// Reads every hash of a loaded set file back out.
SetContents read_set(const HashSet& set);
// Writes `contents` as a set file through SetBuilder (beside the target, fsync, rename).
void write_set(const SetContents& contents, const std::string& path, std::uint64_t version);

}  // namespace dijk::feed
