#pragma once
// The PDQ stage of the wire path: threads of their own that drain the stream stage's image queue, decode
// and hash each image with a per-thread PdqHasher, search the live set's PDQ section (radius from config,
// default 31; queries of quality < 50 are never searched) and emit HitEvents of kind pdq to the same hit
// sink as the exact matches. The workers never wait for it: a full queue is a PDQ skip, counted by the
// stream stage (stream_pdq_skipped, drop_image_queue_full).
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "core/hit_event.h"
#include "core/hit_lane_source.h"
#include "dataplane/dpdk/segment_consumer.h"
#include "dataplane/match/image_queue.h"
#include "dataplane/pipeline/live_set.h"

namespace dijk {

struct PdqStageOptions {
  unsigned threads = 1;
  std::uint16_t queue_capacity = 256;  // images waiting; Boost.Lockfree caps fixed-size queues at 65535
  int radius = 31;
  std::uint64_t max_pixels = 64'000'000;  // larger images are not decoded (counted undecodable)
  std::uint64_t max_file_bytes = 256ull << 20;
};

// X(name, help): what the PDQ stage counts, declared once; the fields, the summary and metric names
// ("pdq_<name>") and the help text are generated from it, as the stream stage's lists are.
#define DIJK_PDQ_STAGE_COUNTERS(X)                                               \
  X(images, "images taken off the PDQ queue")                                    \
  X(hashed, "images decoded and PDQ-hashed")                                     \
  X(undecodable, "images corrupt, truncated, too large or of an unknown format") \
  X(low_quality, "PDQ hashes too flat to search (quality below 50)")             \
  X(no_pdq_section, "images not searched: the live set holds no PDQ hashes")     \
  X(hits, "PDQ hits reported")

struct PdqStageCounters {
#define DIJK_FIELD(name, help) std::atomic<std::uint64_t> name{0};
  DIJK_PDQ_STAGE_COUNTERS(DIJK_FIELD)
#undef DIJK_FIELD
};

// The help text of a PDQ stage counter by its listed name ("pdq_images"); empty for any other name.
std::string_view pdq_stage_counter_help(std::string_view name);

class PdqStage {
 public:
  PdqStage(PdqStageOptions options, LiveSet& set, HitLaneSource& hits);
  ~PdqStage();  // stops the threads (what is still queued is dropped with the queue)
  PdqStage(const PdqStage&) = delete;
  PdqStage& operator=(const PdqStage&) = delete;

  match::ImageQueue* queue() { return &queue_; }
  void start();
  // Processes everything still queued, then stops the threads (replay: the capture is consumed).
  void drain_and_stop();
  void append_counters(dpdk::CounterList& out) const;
  // hashing.pdq_max_distance changed on reload: searches from the next image on use it.
  void set_radius(int radius) { radius_.store(radius, std::memory_order_relaxed); }

 private:
  class Thread;
  void run(HitSink& hits);

  PdqStageOptions options_;
  LiveSet& set_;
  HitLaneSource& hits_;
  match::LockfreeImageQueue queue_;
  PdqStageCounters counters_;
  std::atomic<int> radius_;
  std::atomic<bool> draining_{false};
  std::vector<std::thread> threads_;
};

}  // namespace dijk
