#pragma once
// A whole file scan: one walker, one reader per worker thread (io_uring, or pread as the fallback), one
// matcher per reader; hits to a HitSink, problems named through a callback, totals at the end.
#include <chrono>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/filescan/file_matcher.h"

namespace dijk {

struct ScanSummary {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t hits = 0;
  std::uint64_t files_with_hits = 0;
  std::uint64_t allow_listed = 0;
  std::uint64_t pdq_images = 0, pdq_undecodable = 0, pdq_low_quality = 0, pdq_skipped_large = 0;
  std::uint64_t problems[kScanProblemCount] = {};
  std::uint64_t errors() const;
  std::uint64_t listed_files = 0, listed_bytes = 0;  // handed to the readers by the walker so far
  std::uint64_t excluded = 0;                        // left out by --include / --exclude
  std::uint64_t unchanged = 0;   // not read: the catalog's record of the file still matched its stat
  std::uint64_t catalogued = 0;  // records written to the catalog
  bool walk_done = false;        // listed_* are final: an ETA can be given
  double seconds = 0;
  unsigned threads = 0;
  std::string reader;  // "io_uring" or "pread" (and why)
};

// Progress as the scan goes, for a TTY line: called from the thread that called run(), about 5 times a
// second.
using ProgressFn = std::function<void(const ScanSummary& so_far)>;

// The paths a scan starts from: those named, then, if `list` is set, one a line from it (--files-from).
struct ScanRoots {
  std::vector<std::string> paths;
  std::istream* list = nullptr;
};

class Scanner {
 public:
  Scanner(ScanOptions options, std::shared_ptr<const HashSet> set, HitSink& hits, scan::ProblemFn on_problem)
      : options_(options), set_(std::move(set)), hits_(hits), on_problem_(std::move(on_problem)) {}
  ScanSummary run(const ScanRoots& roots, const ProgressFn& progress = {});
  ScanSummary run(const std::vector<std::string>& paths, const ProgressFn& progress = {}) {
    return run(ScanRoots{paths, nullptr}, progress);
  }

 private:
  ScanOptions options_;
  std::shared_ptr<const HashSet> set_;
  HitSink& hits_;
  scan::ProblemFn on_problem_;
};

}  // namespace dijk
