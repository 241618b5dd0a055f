#pragma once
// Every stored PDQ hash within a radius of some query, exactly, for a batch of queries against many
// stored hashes: a retro-hunt's added hashes against the catalog's images. Multi-index hashing (the 256
// bits cut into C chunks with radii r_c, sum(r_c + 1) = radius + 1: two hashes within the radius agree
// to within r_c bits on some chunk c), done as a sort-merge join chunk by chunk. Both sides are sorted
// by chunk key (the queries once for every key within r_c of theirs), and walked together, so memory is
// read in order instead of probed at random as a per-query index search does; building nothing that
// outlives the call, it also needs no index of the stored side.
#include <cstdint>
#include <span>
#include <vector>

#include "hashcore/pdq/pdq_hash.h"

namespace dijk::catalog {

// Indices into `stored` of the hashes within `radius` (0..63) of at least one query, ascending.
std::vector<std::uint32_t> stored_within_radius(std::span<const PdqHash> stored,
                                                std::span<const PdqHash> queries, int radius);

}  // namespace dijk::catalog
