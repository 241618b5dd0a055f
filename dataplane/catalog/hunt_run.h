#pragma once
// A whole retro-hunt: what the new set version added (set_additions), which catalogued files may match
// it (retro_hunt), where they are (inode_paths), and each read again and matched whole against the new
// version, its hits reported with source `retrohunt`. Reading again also refreshes their records. When
// it is done the catalog's hunted mark names the new version, so a restart does not hunt it twice.
#include <cstdint>
#include <memory>

#include "dataplane/catalog/retro_hunt.h"
#include "dataplane/filescan/scanner.h"

namespace dijk::catalog {

struct HuntReport {
  std::uint64_t added_exact = 0, added_pdq = 0;
  HuntCounts counts;
  std::uint64_t candidates = 0;
  std::uint64_t located = 0;   // candidates whose path was found under the roots
  std::uint64_t vanished = 0;  // candidates no longer under the roots (deleted, or moved out)
  ScanSummary reread;          // the candidates read again: its hits are the hunt's
  double seconds = 0;
};

// `before` null: hunts everything `after` holds. `options` are the scan's (threads, size caps); the
// catalog and the hit source are set here.
HuntReport run_retro_hunt(CatalogStore& store, const HashSet* before, std::shared_ptr<const HashSet> after,
                          HitSink& hits, scan::ProblemFn on_problem, ScanOptions options = {},
                          const HuntOptions& hunt = {});

}  // namespace dijk::catalog
