#pragma once
// Deltas into an overlay (hashcore/set/set_format.h) rather than a new base: the appliance's fast path.
// The overlay is computed from the installed set and the deltas with the same apply_delta the full rebuild
// uses, restricted to the digests the deltas touch, so the layered set serves exactly what a rebuilt one
// would.
#include <cstdint>
#include <string>
#include <vector>

#include "control/feed/content.h"
#include "hashcore/set/hash_set.h"

namespace dijk::feed {

struct OverlayWritten {
  std::uint64_t entries = 0;  // additions and tombstones in the new overlay
};

// Writes (durably, beside the target, then renamed) the overlay over `installed.base_file()` that serves
// `installed` with `deltas` applied in order, as version `version`.
OverlayWritten write_overlay(const HashSet& installed, const std::vector<Delta>& deltas,
                             const std::string& path, std::uint64_t version);

}  // namespace dijk::feed
