#include "dataplane/catalog/hunt_run.h"

#include <chrono>
#include <set>

#include "core/unix_time.h"
#include "dataplane/catalog/inode_paths.h"

namespace dijk::catalog {

HuntReport run_retro_hunt(CatalogStore& store, const HashSet* before, std::shared_ptr<const HashSet> after,
                          HitSink& hits, scan::ProblemFn on_problem, ScanOptions options,
                          const HuntOptions& hunt) {
  const auto started = std::chrono::steady_clock::now();
  HuntReport report;
  const SetAdditions added = additions_between(before, *after);
  report.added_exact = added.exact_count();
  report.added_pdq = added.pdq.size();
  if (!added.empty()) {
    // Candidates are sought at the radius their re-read matches at: wider would read files for nothing,
    // narrower would miss some.
    HuntOptions search = hunt;
    search.pdq_radius = options.pdq_radius;
    const std::vector<CatalogKey> candidates = hunt_candidates(store, added, report.counts, search);
    report.candidates = candidates.size();
    if (!candidates.empty()) {
      const PathSearch where =
          find_paths(store.roots(), std::set<CatalogKey>(candidates.begin(), candidates.end()));
      report.located = where.found.size();
      report.vanished = where.missing.size();
      std::vector<std::string> paths;
      for (const auto& [key, path] : where.found) paths.push_back(path);
      options.catalog = &store;
      options.reread_unchanged = true;  // the record is why it is a candidate: read it, whatever it says
      options.hit_source = HitSource::retrohunt;
      options.changed_since_ns = 0;
      Scanner scanner(options, after, hits, std::move(on_problem));
      report.reread = scanner.run(paths);
    }
  }
  store.set_hunted({after->version(), after->header_checksum(), static_cast<std::int64_t>(unix_now_ns())});
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace dijk::catalog
