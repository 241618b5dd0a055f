#pragma once
// Since which version a published feed has held a hash (`dijk-hotline set find --feed`), read from the
// deltas the feed directory still keeps: only the last --keep-deltas versions can be told exactly.
#include <cstdint>
#include <string>

#include "hashcore/digest/algorithm.h"

namespace dijk::feed {

struct HeldSince {
  bool published = false;     // the current version holds the hash
  std::uint64_t version = 0;  // since this version; when !exact, since this version or earlier
  bool exact = false;
  std::uint64_t current = 0;  // the version published now
};

// Reads the feed's manifest, snapshot and kept deltas (each checked against the manifest's SHA-256).
HeldSince held_since(const std::string& feed_dir, const Digest& digest);

}  // namespace dijk::feed
