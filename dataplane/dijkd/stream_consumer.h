#pragma once
// The stream stage (dataplane/stream StreamPipeline: TCP reassembly, HTTP, multipart, digests, set
// lookups, hits) as a worker's SegmentConsumer.
#include <memory>

#include "dataplane/dpdk/segment_consumer.h"
#include "dataplane/stream/stream_pipeline.h"

namespace dijk {

class StreamConsumer : public dpdk::SegmentConsumer {
 public:
  StreamConsumer(const StreamPipelineConfig& config, HitSink& hits, std::shared_ptr<const HashSet> set);
  void on_segment(const TcpSegment& segment) override { pipeline_.process(segment); }
  void on_tick(std::uint64_t now_ns) override { pipeline_.expire(now_ns); }
  void on_end(std::uint64_t now_ns) override { pipeline_.flush(now_ns); }
  void append_counters(dpdk::CounterList& out) const override;

 private:
  StreamPipeline pipeline_;
};

}  // namespace dijk
