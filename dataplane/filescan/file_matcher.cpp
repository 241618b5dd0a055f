#include "dataplane/filescan/file_matcher.h"

#include <algorithm>

#include "core/unix_time.h"

namespace dijk::scan {

FileMatcher::FileMatcher(std::shared_ptr<const HashSet> set, HitSink& hits, ScanCounters& counters,
                         ProblemFn on_problem, catalog::CatalogStore* catalog, HitSource source,
                         int pdq_radius)
    : matcher_(std::move(set)),
      hits_(hits),
      counters_(counters),
      on_problem_(std::move(on_problem)),
      source_(source),
      pdq_radius_(pdq_radius),
      catalog_(catalog != nullptr ? std::make_unique<catalog::CatalogStore::Writer>(*catalog) : nullptr) {
  // A set whose PDQ section does not validate still matches digests; the PDQ part is named and skipped.
  std::string error;
  if (!matcher_.load_pdq(&error))
    on_problem_(matcher_.set().path(), ScanProblem::unreadable, "PDQ section unusable: " + error);
  if (matcher_.has_pdq()) pdq_ = std::make_unique<PdqHasher>();
}

FileMatcher::~FileMatcher() = default;  // the catalog writer flushes what it still holds

void FileMatcher::complete(FileHashState& file) {
  match::FileContext where;
  where.source = source_;
  where.time_ns = unix_now_ns();
  where.path = file.task().path;
  where.file_stat = file.task().stat;
  const match::CheckResult r = matcher_.hits_for(file.fingerprinter(), where, pdq_.get(), pdq_radius_);
  counters_.add(counters_.files);
  counters_.add(counters_.bytes, r.fingerprint.size);
  if (r.allow_listed) counters_.add(counters_.allow_listed);
  switch (r.pdq) {
    case match::PdqLook::not_tried:
      break;
    case match::PdqLook::too_large:
      counters_.add(counters_.pdq_skipped_large);
      break;
    case match::PdqLook::undecodable:
      counters_.add(counters_.pdq_undecodable);
      break;
    case match::PdqLook::low_quality:
      counters_.add(counters_.pdq_images);
      counters_.add(counters_.pdq_low_quality);
      break;
    case match::PdqLook::searched:
      counters_.add(counters_.pdq_images);
      break;
  }
  if (catalog_ && file.task().key.inode != 0) catalogue(file, r);
  if (r.hits.empty()) return;  // non-matching hashes go no further
  counters_.add(counters_.files_with_hits);
  counters_.add(counters_.hits, r.hits.size());
  for (const HitEvent& e : r.hits) hits_.on_hit(e);
}

void FileMatcher::catalogue(FileHashState& file, const match::CheckResult& r) {
  catalog::CatalogRecord record;
  record.stat = file.task().stamp;
  for (Algorithm a : kAllAlgorithms) {
    if (!r.fingerprint.digests.computed.contains(a)) continue;
    const Digest& d = r.fingerprint.digests.get(a);
    record.digests[static_cast<std::size_t>(a)] = catalog::digest_prefix({d.bytes.data(), digest_size(a)});
  }
  std::optional<PdqResult> pdq = r.pdq_hash;
  if (!pdq && is_image(r.fingerprint.type) && !file.fingerprinter().image().empty()) {
    if (!catalog_pdq_) catalog_pdq_ = std::make_unique<PdqHasher>();
    pdq = catalog_pdq_->hash_file_bytes(file.fingerprinter().image());
  }
  if (pdq) {
    record.pdq = pdq->hash;
    record.pdq_quality = static_cast<std::uint8_t>(std::clamp(pdq->quality, 0, 100));
  }
  try {
    catalog_->put(file.task().key, record);
    counters_.add(counters_.catalogued);
  } catch (const catalog::CatalogError& e) {
    problem(file.task().path, ScanProblem::unreadable, e.what());
  }
}

void FileMatcher::problem(const std::string& path, ScanProblem p, const std::string& detail) {
  counters_.add(counters_.problems[static_cast<std::size_t>(p)]);
  on_problem_(path, p, detail);
}

}  // namespace dijk::scan
