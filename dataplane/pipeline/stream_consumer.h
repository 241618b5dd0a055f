#pragma once
// A worker lcore's stream context: the stream stage (dataplane/stream StreamPipeline: TCP reassembly,
// HTTP, multipart, digests, set lookups, hits) as the worker's SegmentConsumer, and the set generation it
// matches against. Between bursts (on_tick) it picks up a set swapped in by the LiveSet.
#include <memory>

#include "dataplane/dpdk/segment_consumer.h"
#include "dataplane/pipeline/live_set.h"
#include "dataplane/pipeline/stream_pipeline.h"

namespace dijk {

class StreamConsumer : public dpdk::SegmentConsumer {
 public:
  // `images` may be null (PDQ off).
  StreamConsumer(const StreamPipelineConfig& config, HitSink& hits, LiveSet& set, match::ImageQueue* images);
  void on_segment(const TcpSegment& segment) override { pipeline_.process(segment); }
  void on_burst(std::span<const TcpSegment> segments) override { pipeline_.process_burst(segments); }
  void on_tick(std::uint64_t now_ns) override;
  void on_end(std::uint64_t now_ns) override { pipeline_.flush(now_ns); }
  void hold_frames(bool held) override { pipeline_.hold_frames(held); }
  std::span<const ips::Block> take_blocks() override { return pipeline_.take_blocks(); }
  void append_counters(dpdk::CounterList& out) const override;
  // What each name append_counters gives is (declared there, or in stream_counters.h).
  static dpdk::CounterInfo counter_info(std::string_view name);

 private:
  void follow_set();

  StreamPipeline pipeline_;
  LiveSet& set_;
  std::uint64_t set_generation_ = 0;
  std::uint64_t set_swaps_ = 0;
};

}  // namespace dijk
