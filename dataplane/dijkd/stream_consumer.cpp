#include "dataplane/dijkd/stream_consumer.h"

#include <string>

namespace dijk {

StreamConsumer::StreamConsumer(const StreamPipelineConfig& config, HitSink& hits,
                               std::shared_ptr<const HashSet> set)
    : pipeline_(config, hits) {
  pipeline_.set_hash_set(std::move(set));
}

void StreamConsumer::append_counters(dpdk::CounterList& out) const {
  pipeline_.counters().for_each([&](std::string_view name, std::uint64_t value) {
    out.emplace_back("stream_" + std::string(name), value);
  });
  out.emplace_back("stream_flows_open", pipeline_.flow_count());
  out.emplace_back("stream_out_of_order_peak_bytes", pipeline_.out_of_order_peak());
}

}  // namespace dijk
