#pragma once
// Every stored PDQ hash within a radius of some query, exactly, for a batch of queries against many
// stored hashes: a retro-hunt's added hashes against the catalog's images. Multi-index hashing (the 256
// bits cut into C chunks with radii r_c, sum(r_c + 1) = radius + 1: two hashes within the radius agree
// to within r_c bits on some chunk c), done as a sort-merge join chunk by chunk: the stored hashes are
// laid out in chunk-key order (a counting sort), the queries' probe keys (every key within r_c of
// theirs) are sorted, and the two are walked together, so memory is read forward instead of probed at
// random as a per-query index search does (10x slower at millions of stored hashes). Nothing outlives
// the call: the stored side needs no index kept on disk.
#include <cstdint>
#include <span>
#include <vector>

#include "hashcore/pdq/pdq_hash.h"

namespace dijk::catalog {

// Indices into `stored` of the hashes within `radius` (0..63) of at least one query, ascending.
std::vector<std::uint32_t> stored_within_radius(std::span<const PdqHash> stored,
                                                std::span<const PdqHash> queries, int radius);

}  // namespace dijk::catalog
