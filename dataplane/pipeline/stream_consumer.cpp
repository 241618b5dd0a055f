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

// X(name, gauge, help, value): what the consumer adds to the stream stage's own counters.
#define DIJK_CONSUMER_COUNTERS(X)                                                   \
  X(stream_flows_open, true, "TCP flows being tracked now", pipeline_.flow_count()) \
  X(stream_out_of_order_peak_bytes, true, "most out-of-order bytes held at once",   \
    pipeline_.out_of_order_peak())                                                  \
  X(set_swaps_seen, false, "new hash sets this worker has taken up", set_swaps_)

void StreamConsumer::append_counters(dpdk::CounterList& out) const {
  pipeline_.counters().for_each([&](std::string_view name, std::uint64_t value) {
    out.emplace_back("stream_" + std::string(name), value);
  });
#define DIJK_APPEND(name, gauge, help, value) out.emplace_back(#name, value);
  DIJK_CONSUMER_COUNTERS(DIJK_APPEND)
#undef DIJK_APPEND
}

dpdk::CounterInfo StreamConsumer::counter_info(std::string_view name) {
#define DIJK_INFO(counter, gauge, help, value) \
  if (name == #counter) return {help, gauge};
  DIJK_CONSUMER_COUNTERS(DIJK_INFO)
#undef DIJK_INFO
  if (name.starts_with("stream_")) return {stream_counter_help(name.substr(7)), false};
  return {};
}

}  // namespace dijk
