#include "dataplane/pipeline/stream_consumer.h"

#include <string>

namespace dijk {

StreamConsumer::StreamConsumer(const StreamPipelineConfig& config, HitSink& hits, LiveSet& set,
                               match::ImageQueue* images)
    : pipeline_(config, hits, images), set_(set), set_generation_(set.generation()) {
  pipeline_.set_hash_set(set_.current());
}

void StreamConsumer::follow_set() {
  const std::uint64_t g = set_.generation();  // one acquire load per tick: nothing on the segment path
  if (g == set_generation_) return;
  set_generation_ = g;
  pipeline_.set_hash_set(set_.current());  // drops this lcore's reference to the previous set
  ++set_swaps_;
}

void StreamConsumer::on_tick(std::uint64_t now_ns) {
  follow_set();
  pipeline_.expire(now_ns);
}

void StreamConsumer::append_counters(dpdk::CounterList& out) const {
  pipeline_.counters().for_each([&](std::string_view name, std::uint64_t value) {
    out.emplace_back("stream_" + std::string(name), value);
  });
  out.emplace_back("stream_flows_open", pipeline_.flow_count());
  out.emplace_back("stream_out_of_order_peak_bytes", pipeline_.out_of_order_peak());
  out.emplace_back("set_swaps_seen", set_swaps_);
}

}  // namespace dijk
