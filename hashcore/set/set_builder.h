#pragma once
// Builds a set file from hashes in memory: sorts, removes duplicates, writes beside the target, fsyncs and
// renames, so a reader never sees a half-written set.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hashcore/digest/algorithm.h"
#include "hashcore/set/hash_set.h"

namespace dijk {

struct SetBuildStats {
  std::array<std::uint64_t, kAlgorithmCount> exact{};  // distinct hashes written per algorithm
  std::array<std::uint64_t, kAlgorithmCount> allow{};  // distinct allow-list hashes per algorithm
  std::uint64_t duplicates = 0;                        // repeated (hash, list) pairs folded away
  std::uint64_t in_several_lists = 0;                  // hashes kept under their first list only
};

// An extra section written as is (e.g. the PDQ index, built by its own module).
struct RawSection {
  setfile::SectionKind kind;
  std::uint32_t algorithm = 0;
  std::vector<std::uint8_t> bytes;
  std::uint64_t count = 0;
};

class SetBuilder {
 public:
  // Returns the list index to use for hashes of that list. Same name returns the same index.
  std::uint16_t add_list(const std::string& name, const std::string& category);
  void add(const Digest& digest, std::uint16_t list_index);
  void add_allow(const Digest& digest);
  void add_raw_section(RawSection section);
  // Makes the file an overlay of `base_file` (set_format.h): add() with setfile::kTombstoneList and
  // add_allow_tombstone() remove the base's entries, `dropped` its sections of other kinds. The lists
  // must begin with the base's, at the base's indexes.
  void make_overlay_of(const HashSet& base_file, std::vector<setfile::OverlayDropped> dropped);
  void add_allow_tombstone(const Digest& digest);
  void reserve(Algorithm a, std::size_t n);

  // Writes the set file atomically. `version` 0 means "one more than the file already at `path`, or 1".
  SetBuildStats write(const std::string& path, std::uint64_t version = 0, std::int64_t created_unix = 0);

  const std::vector<ListInfo>& lists() const { return lists_; }

 private:
  struct Entry {
    std::array<std::uint8_t, kMaxDigestSize> bytes;
    std::uint16_t list;
  };
  std::vector<ListInfo> lists_;
  std::array<std::vector<Entry>, kAlgorithmCount> exact_;
  std::array<std::vector<Entry>, kAlgorithmCount> allow_;
  std::vector<RawSection> raw_;
  std::optional<RawSection> overlay_;
};

}  // namespace dijk
