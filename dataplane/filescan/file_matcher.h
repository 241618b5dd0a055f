#pragma once
// The part of a scan that is the same whichever way the bytes were read: digest them as they come,
// sniff the type from the first bytes, match the digests against the set and report hits. One per worker
// thread; the hash state of a file in flight is reused for the next file (no allocation per file).
#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/hit_event.h"
#include "dataplane/filescan/scan_types.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/pdq/pdq_hasher.h"
#include "hashcore/pdq_index/pdq_index.h"
#include "hashcore/set/hash_set.h"
#include "hashcore/sniff/file_type.h"

namespace dijk::scan {

class FileHashState {
 public:
  // keep_image_bytes > 0: images up to that size are also kept whole, for PDQ (the buffer is reused).
  explicit FileHashState(AlgorithmSet algorithms, std::uint64_t keep_image_bytes = 0)
      : digests_(algorithms), keep_image_bytes_(keep_image_bytes) {}
  void start(FileTask task);
  void consume(std::span<const std::uint8_t> bytes);
  const FileTask& task() const { return task_; }
  std::uint64_t bytes_seen() const { return digests_.bytes_seen(); }
  FileType type() const { return sniff_file_type({head_.data(), head_size_}); }
  DigestResults finish() { return digests_.finish(); }
  // The whole file if it is an image that was kept; empty otherwise.
  std::span<const std::uint8_t> image() const { return image_overflow_ ? std::span<const std::uint8_t>{} : image_; }
  bool image_too_large() const { return image_overflow_; }

 private:
  FileTask task_;
  StreamingDigests digests_;
  std::array<std::uint8_t, kSniffBytes> head_{};
  std::size_t head_size_ = 0;
  std::uint64_t keep_image_bytes_ = 0;
  std::vector<std::uint8_t> image_;
  bool image_overflow_ = false;
};

using ProblemFn =
    std::function<void(const std::string& path, ScanProblem problem, const std::string& detail)>;

class FileMatcher {
 public:
  FileMatcher(std::shared_ptr<const HashSet> set, HitSink& hits, ScanCounters& counters, ProblemFn on_problem);

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
  // PDQ, when the set has PDQ hashes: this thread's hasher (buffers reused) and the set's index.
  void match_pdq(FileHashState& file, std::uint64_t size, FileType type);
  std::optional<PdqIndex> pdq_index_;
  std::unique_ptr<PdqHasher> pdq_;
};

}  // namespace dijk::scan
