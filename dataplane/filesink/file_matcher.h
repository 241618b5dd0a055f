#pragma once
// The end of the wire path for one worker: each file's bytes stream through the digests (no whole-file
// buffer), complete files are looked up in the current set (allow-list first), and hits become HitEvents.
// Images (by magic) are also copied, up to a cap, for the PDQ stage. A truncated file is counted and
// dropped: it is never looked up, so it can never be reported.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/hit_event.h"
#include "dataplane/filesink/image_queue.h"
#include "dataplane/http/upload_sink.h"
#include "dataplane/stream/stream_counters.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/hash_set.h"
#include "hashcore/sniff/file_type.h"

namespace dijk::wire {

struct FileSinkConfig {
  bool digests = true;  // false: parse only, nothing hashed or matched
  AlgorithmSet algorithms = AlgorithmSet{}.add(Algorithm::md5).add(Algorithm::sha1).add(Algorithm::sha256);
  std::uint64_t max_image_copy = 32ull << 20;      // larger images skip PDQ
  std::uint64_t image_copy_memory = 256ull << 20;  // worker-wide cap on image copies in progress
};

class FileMatcher {
 public:
  FileMatcher(const FileSinkConfig& config, HitSink& hits, ImageQueue* images, StreamCounters& counters);
  ~FileMatcher();
  FileMatcher(const FileMatcher&) = delete;
  FileMatcher& operator=(const FileMatcher&) = delete;

  // The set that files finishing from now on are matched against (nullptr: no set, nothing hashed).
  void set_hash_set(std::shared_ptr<const HashSet> set) { set_ = std::move(set); }
  const std::shared_ptr<const HashSet>& hash_set() const { return set_; }

  // One file in progress. Obtained from open(), given back by finish().
  struct OpenFile;
  OpenFile* open(const FlowTuple& flow, const UploadInfo& info);
  void write(OpenFile* file, std::span<const std::uint8_t> bytes);
  void finish(OpenFile* file, bool complete, std::uint64_t time_ns);

  // Files being received right now (each holds its digest state, and an image copy if any).
  std::size_t open_files() const { return open_count_; }

 private:
  AlgorithmSet algorithms_for_new_file() const;
  // True when the digests settled the file: a hit was reported, or it is allow-listed.
  bool match(OpenFile& f, std::uint64_t time_ns);
  void queue_image(OpenFile& f, std::uint64_t time_ns);
  void stop_image_copy(OpenFile& f, DropReason why);

  FileSinkConfig config_;
  HitSink& hits_;
  ImageQueue* images_;
  StreamCounters& counters_;
  std::shared_ptr<const HashSet> set_;
  std::vector<std::unique_ptr<OpenFile>> pool_;  // finished files, reused with their digest contexts
  std::size_t open_count_ = 0;
  std::uint64_t image_copy_used_ = 0;
};

// Adapts a connection's UploadSink calls to the worker's FileMatcher, with the flow's tuple.
class FlowFiles final : public UploadSink {
 public:
  FlowFiles(FileMatcher& matcher, const FlowTuple& flow) : matcher_(matcher), flow_(flow) {}
  ~FlowFiles() override;
  FlowFiles(const FlowFiles&) = delete;
  FlowFiles& operator=(const FlowFiles&) = delete;
  void begin_file(const UploadInfo& info, std::uint64_t time_ns) override;
  void file_data(std::span<const std::uint8_t> bytes) override;
  void end_file(bool complete, std::uint64_t time_ns) override;

 private:
  FileMatcher& matcher_;
  FlowTuple flow_;
  FileMatcher::OpenFile* file_ = nullptr;
};

}  // namespace dijk::wire
