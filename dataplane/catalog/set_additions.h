#pragma once
// What a new set version added that the one before did not hold: the hashes a retro-hunt looks for in
// the catalog. Read from the two set files themselves (each exact table walked once, each looked up in
// the other), so it needs no feed delta and works for any two versions, a rollback's included.
#include <array>
#include <cstdint>
#include <vector>

#include "hashcore/pdq/pdq_hash.h"
#include "hashcore/set/hash_set.h"

namespace dijk::catalog {

struct SetAdditions {
  // Per Algorithm: the first 8 bytes (catalog::digest_prefix) of each added digest, sorted, each once.
  std::array<std::vector<std::uint64_t>, kAlgorithmCount> exact;
  std::vector<PdqHash> pdq;  // added PDQ hashes

  std::uint64_t exact_count() const;
  bool empty() const { return exact_count() == 0 && pdq.empty(); }
};

// `before` null: everything `after` holds (a first hunt of a new catalog). The PDQ part is empty when
// `after` has no PDQ section, or one that does not verify (digests are still hunted).
SetAdditions additions_between(const HashSet* before, const HashSet& after);

}  // namespace dijk::catalog
