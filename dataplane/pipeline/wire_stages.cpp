#include "dataplane/pipeline/wire_stages.h"

#include "core/hit_lane_source.h"
#include "dataplane/pipeline/live_set.h"
#include "dataplane/pipeline/stream_consumer.h"

namespace dijk {

StreamFactory::StreamFactory(StreamFactoryOptions options, HitLaneSource& hits, LiveSet& set,
                             match::ImageQueue* images)
    : options_(std::move(options)), hits_(hits), set_(set), images_(images) {}

StreamFactory::~StreamFactory() = default;

std::unique_ptr<dpdk::SegmentConsumer> StreamFactory::make(unsigned /*worker_index*/) {
  StreamPipelineConfig config;
  if (options_.max_flows != 0) config.reassembly.max_flows = options_.max_flows;
  if (options_.reassembly_memory != 0) config.reassembly.out_of_order_memory = options_.reassembly_memory;
  config.files.digests = options_.digests;
  config.files.digest_lanes = options_.digest_lanes;
  config.http_ports = options_.http_ports;
  config.ips = options_.ips;
  return std::make_unique<StreamConsumer>(config, hits_.new_lane(), set_, images_);
}

}  // namespace dijk
