#pragma once
// The part of a scan that is the same whichever way the bytes were read: digest them as they come,
// sniff the type from the first bytes, match the digests against the set and report hits. One per worker
// thread; the hash state of a file in flight is reused for the next file (no allocation per file).
#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "dataplane/events/hit_event.h"
#include "dataplane/filescan/scan_types.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/hash_set.h"
#include "hashcore/sniff/file_type.h"

namespace dijk {

class FileHashState {
 public:
  explicit FileHashState(AlgorithmSet algorithms) : digests_(algorithms) {}
  void start(FileTask task);
  void consume(std::span<const std::uint8_t> bytes);
  const FileTask& task() const { return task_; }
  std::uint64_t bytes_seen() const { return digests_.bytes_seen(); }
  FileType type() const { return sniff_file_type({head_.data(), head_size_}); }
  DigestResults finish() { return digests_.finish(); }

 private:
  FileTask task_;
  StreamingDigests digests_;
  std::array<std::uint8_t, kSniffBytes> head_{};
  std::size_t head_size_ = 0;
};

using ProblemFn =
    std::function<void(const std::string& path, ScanProblem problem, const std::string& detail)>;

class FileMatcher {
 public:
  FileMatcher(std::shared_ptr<const HashSet> set, HitSink& hits, ScanCounters& counters, ProblemFn on_problem)
      : set_(std::move(set)), hits_(hits), counters_(counters), on_problem_(std::move(on_problem)) {}

  // The algorithms worth computing: those the set holds hashes (or allow-list entries) for.
  AlgorithmSet algorithms() const { return set_->algorithms(); }
  // The file was read to its end: match it and report.
  void complete(FileHashState& file);
  void problem(const std::string& path, ScanProblem p, const std::string& detail);

 private:
  std::shared_ptr<const HashSet> set_;
  HitSink& hits_;
  ScanCounters& counters_;
  ProblemFn on_problem_;
};

}  // namespace dijk
