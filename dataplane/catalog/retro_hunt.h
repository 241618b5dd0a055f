#pragma once
// The catalog side of a retro-hunt: one pass over every record, looking for the files that may match
// what a set version added. Digests: each record's prefixes against the added ones (a bitmap of their
// top bits turns away almost every record in one memory read). PDQ: the catalogued images' hashes are
// joined with the added ones (pdq_join.h: multi-index hashing as a sort-merge join), so the work grows
// with catalog + added x probes, not catalog x added. Candidates are only that: the caller reads each
// one again and matches it whole (hunt_run.h).
#include <cstdint>
#include <vector>

#include "dataplane/catalog/catalog_store.h"
#include "dataplane/catalog/set_additions.h"

namespace dijk::catalog {

struct HuntCounts {
  std::uint64_t records = 0;           // catalog records read
  std::uint64_t images = 0;            // of which with a PDQ hash good enough to search
  std::uint64_t exact_candidates = 0;  // records a digest prefix named
  std::uint64_t pdq_candidates = 0;    // records within the radius of an added PDQ hash
  std::uint64_t bad_records = 0;       // did not decode (skipped; `dijkctl catalog verify` names them)
  // Where the time went: the pass over the records, the PDQ join.
  double pass_seconds = 0, search_seconds = 0;
};

struct HuntOptions {
  int pdq_radius = kPdqDefaultRadius;
  int pdq_min_quality = 50;  // flatter images are never searched (they would match everything)
};

// The keys of the records that may match, sorted, each once.
std::vector<CatalogKey> hunt_candidates(const CatalogStore& store, const SetAdditions& added,
                                        HuntCounts& counts, const HuntOptions& options = {});

}  // namespace dijk::catalog
