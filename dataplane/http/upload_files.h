#pragma once
// The wire path's match stage for one worker: each uploaded file's bytes stream through a
// FileFingerprinter (no whole-file buffer), complete files are matched against the current set, and hits
// go to the worker's hit sink. Images no digest settled are handed, copied, to the PDQ stage. A truncated
// file is counted and dropped: it is never looked up, so it can never be reported.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/hit_event.h"
#include "dataplane/http/upload_sink.h"
#include "dataplane/match/image_copy_budget.h"
#include "dataplane/match/image_queue.h"
#include "dataplane/match/lane_digests.h"
#include "dataplane/match/matcher.h"
#include "dataplane/stream/stream_counters.h"

namespace dijk::wire {

struct UploadFilesConfig {
  bool digests = true;  // false: parse only, nothing hashed or matched
  AlgorithmSet algorithms = AlgorithmSet{}.add(Algorithm::md5).add(Algorithm::sha1).add(Algorithm::sha256);
  std::uint64_t max_image_copy = 32ull << 20;      // larger images skip PDQ
  std::uint64_t image_copy_memory = 256ull << 20;  // worker-wide cap on image copies in progress
  // MD5 and SHA-1 of the uploads in progress in vector lanes. Unset: as DIJK_DIGEST_LANES says, else
  // the widest the CPU has.
  std::optional<digest_lanes::LaneIsa> digest_lanes;
};

class UploadFiles {
 public:
  // `images` may be null: no PDQ stage, no image copies.
  UploadFiles(const UploadFilesConfig& config, HitSink& hits, match::ImageQueue* images,
              StreamCounters& counters);
  ~UploadFiles();
  UploadFiles(const UploadFiles&) = delete;
  UploadFiles& operator=(const UploadFiles&) = delete;

  // The set that files finishing from now on are matched against (nullptr: no set, nothing hashed).
  void set_hash_set(std::shared_ptr<const HashSet> set);

  // One file in progress. Obtained from open(), given back by finish().
  struct OpenFile;
  OpenFile* open(const FlowTuple& flow, const UploadInfo& info);
  void write(OpenFile* file, std::span<const std::uint8_t> bytes);
  void finish(OpenFile* file, bool complete, std::uint64_t time_ns);

  // Files being received right now (each holds its digest state, and an image copy if any).
  std::size_t open_files() const { return open_count_; }
  // "MD5+SHA-1 in avx512 lanes", or empty: every digest one file at a time.
  std::string lanes() const { return lanes_.describe(); }

 private:
  AlgorithmSet algorithms_for_new_file() const;
  void count_image_copy(match::ImageCopy copy);
  void queue_image(OpenFile& f, const match::FileFingerprint& fingerprint);
  void submit_to_lanes(OpenFile& f, std::span<const std::uint8_t> bytes);
  void drain_lanes();

  UploadFilesConfig config_;
  HitSink& hits_;
  match::ImageQueue* images_;
  StreamCounters& counters_;
  match::ImageCopyBudget budget_;
  std::optional<match::Matcher> matcher_;
  // The bytes a segment or decoder buffer gave live only for the call, and the lanes hash later: they
  // are copied here and hashed when it is full or a file ends (drain_lanes), whichever comes first.
  match::LaneDigests lanes_;
  std::vector<std::uint8_t> lane_arena_;
  std::size_t lane_arena_used_ = 0;
  std::vector<std::unique_ptr<OpenFile>> pool_;  // finished files, reused with their digest contexts
  std::size_t open_count_ = 0;
};

// Adapts a connection's UploadSink calls to the worker's UploadFiles, with the flow's tuple.
class FlowFiles final : public UploadSink {
 public:
  FlowFiles(UploadFiles& files, const FlowTuple& flow) : files_(files), flow_(flow) {}
  ~FlowFiles() override;
  FlowFiles(const FlowFiles&) = delete;
  FlowFiles& operator=(const FlowFiles&) = delete;
  void begin_file(const UploadInfo& info, std::uint64_t time_ns) override;
  void file_data(std::span<const std::uint8_t> bytes) override;
  void end_file(bool complete, std::uint64_t time_ns) override;

 private:
  UploadFiles& files_;
  FlowTuple flow_;
  UploadFiles::OpenFile* file_ = nullptr;
};

}  // namespace dijk::wire
