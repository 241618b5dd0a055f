#include "dataplane/filescan/file_matcher.h"

#include "core/unix_time.h"

namespace dijk::scan {

FileMatcher::FileMatcher(std::shared_ptr<const HashSet> set, HitSink& hits, ScanCounters& counters,
                         ProblemFn on_problem)
    : matcher_(std::move(set)), hits_(hits), counters_(counters), on_problem_(std::move(on_problem)) {
  // A set whose PDQ section does not validate still matches digests; the PDQ part is named and skipped.
  std::string error;
  if (!matcher_.load_pdq(&error))
    on_problem_(matcher_.set().path(), ScanProblem::unreadable, "PDQ section unusable: " + error);
  if (matcher_.has_pdq()) pdq_ = std::make_unique<PdqHasher>();
}

void FileMatcher::complete(FileHashState& file) {
  match::FileContext where;
  where.source = HitSource::file;
  where.time_ns = unix_now_ns();
  where.path = file.task().path;
  where.file_stat = file.task().stat;
  const match::CheckResult r = matcher_.hits_for(file.fingerprinter(), where, pdq_.get());
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
  if (r.hits.empty()) return;  // non-matching hashes go no further
  counters_.add(counters_.files_with_hits);
  counters_.add(counters_.hits, r.hits.size());
  for (const HitEvent& e : r.hits) hits_.on_hit(e);
}

void FileMatcher::problem(const std::string& path, ScanProblem p, const std::string& detail) {
  counters_.add(counters_.problems[static_cast<std::size_t>(p)]);
  on_problem_(path, p, detail);
}

}  // namespace dijk::scan
