#pragma once
// The PDQ stage of the wire path: threads of their own that drain the stream stage's image queue, decode
// and hash each image with a per-thread PdqHasher, search the live set's PDQ section (radius from config,
// default 31; queries of quality < 50 are never searched) and emit HitEvents of kind pdq to the same hit
// sink as the exact matches. The workers never wait for it: a full queue is a PDQ skip, counted by the
// stream stage (stream_pdq_skipped, drop_image_queue_full).
#include <atomic>
#include <cstdint>
#include <memory>
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

struct PdqStageCounters {
  std::atomic<std::uint64_t> images{0};          // taken off the queue
  std::atomic<std::uint64_t> hashed{0};          // decoded and hashed
  std::atomic<std::uint64_t> undecodable{0};     // corrupt, truncated, too large, unknown format
  std::atomic<std::uint64_t> low_quality{0};     // quality < 50: not searched
  std::atomic<std::uint64_t> no_pdq_section{0};  // the live set holds no PDQ hashes
  std::atomic<std::uint64_t> hits{0};
};

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
