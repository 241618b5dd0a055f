#pragma once
// The part of a scan that is the same whichever way the bytes were read: digest them as they come,
// sniff the type from the first bytes, match the digests against the set and report hits. One per worker
// thread; the hash state of a file in flight is reused for the next file (no allocation per file).
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/hit_event.h"
#include "dataplane/catalog/catalog_store.h"
#include "dataplane/filescan/scan_types.h"
#include "dataplane/match/matcher.h"

namespace dijk::scan {

// One file being read: its task and its fingerprint in progress (hash state reused for the next file).
class FileHashState {
 public:
  // keep_image_bytes > 0: images up to that size are also kept whole, for PDQ (the buffer is reused).
  explicit FileHashState(AlgorithmSet algorithms, std::uint64_t keep_image_bytes = 0)
      : budget_(std::make_unique<match::ImageCopyBudget>(keep_image_bytes)),
        fingerprinter_(algorithms, keep_image_bytes > 0 ? budget_.get() : nullptr) {}
  void start(FileTask task) {
    task_ = std::move(task);
    fingerprinter_.start(fingerprinter_.algorithms());
  }
  void consume(std::span<const std::uint8_t> bytes) { fingerprinter_.update(bytes); }
  const FileTask& task() const { return task_; }
  match::FileFingerprinter& fingerprinter() { return fingerprinter_; }

 private:
  FileTask task_;
  std::unique_ptr<match::ImageCopyBudget> budget_;  // on the heap: the fingerprinter points to it
  match::FileFingerprinter fingerprinter_;
};

using ProblemFn =
    std::function<void(const std::string& path, ScanProblem problem, const std::string& detail)>;

class FileMatcher {
 public:
  // With a catalog, each file read is recorded in it (through this thread's own writer).
  FileMatcher(std::shared_ptr<const HashSet> set, HitSink& hits, ScanCounters& counters, ProblemFn on_problem,
              catalog::CatalogStore* catalog = nullptr, HitSource source = HitSource::file,
              int pdq_radius = kPdqDefaultRadius);
  ~FileMatcher();

  // The algorithms worth computing: those the set holds hashes (or allow-list entries) for.
  AlgorithmSet algorithms() const { return matcher_.algorithms(); }
  // The file was read to its end: match it and report.
  void complete(FileHashState& file);
  void problem(const std::string& path, ScanProblem p, const std::string& detail);

 private:
  match::Matcher matcher_;
  HitSink& hits_;
  ScanCounters& counters_;
  ProblemFn on_problem_;
  void catalogue(FileHashState& file, const match::CheckResult& r);

  std::unique_ptr<PdqHasher> pdq_;  // when the set has PDQ hashes: this thread's hasher (buffers reused)
  HitSource source_;
  int pdq_radius_;
  std::unique_ptr<catalog::CatalogStore::Writer> catalog_;
  std::unique_ptr<PdqHasher> catalog_pdq_;  // images the set's own look did not hash (made when first needed)
};

}  // namespace dijk::scan
