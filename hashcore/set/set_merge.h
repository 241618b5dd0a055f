#pragma once
// Folds a layered set's overlay into a new base without rebuilding it: each of the base's hash tables is
// copied as it is and the overlay's entries applied to the copy in place (tombstones clear their slot,
// additions are placed as the builder places them). Reading, sorting and re-placing every entry, as a
// rebuild does, costs a 10M-hash set seconds of CPU and much memory traffic beside the lookups; this
// costs a copy and the overlay's entries.
#include <cstdint>
#include <string>

#include "hashcore/set/hash_set.h"

namespace dijk {

// Writes (durably, beside the target, then renamed) a base file serving what `layered` serves, with its
// version. Returns false, writing nothing, when a table cannot take the overlay's additions at its size
// (it would be fuller than a rebuild would make it): rebuild from the contents then. Between copied
// chunks it pauses as long as the chunk took, times `pause_ratio`, so that a background merge leaves
// the memory bus to the lookups beside it.
bool write_merged_base(const HashSet& layered, const std::string& path, double pause_ratio = 0);

}  // namespace dijk
