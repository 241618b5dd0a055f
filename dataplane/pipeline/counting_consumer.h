#pragma once
// A consumer that only counts segments and payload bytes: the parse-only baseline, and what dijkd runs
// when built without the stream stage.
#include "dataplane/dpdk/segment_consumer.h"

namespace dijk {

class CountingConsumer : public dpdk::SegmentConsumer {
 public:
  void on_segment(const TcpSegment& s) override {
    ++segments_;
    payload_bytes_ += s.payload.size();
  }
  void append_counters(dpdk::CounterList& out) const override {
    out.emplace_back("segments_counted", segments_);
    out.emplace_back("payload_bytes", payload_bytes_);
  }

 private:
  std::uint64_t segments_ = 0;
  std::uint64_t payload_bytes_ = 0;
};

}  // namespace dijk
