#include "dataplane/dijkd/stream_factory.h"

#include "dataplane/dijkd/counting_consumer.h"
#include "hashcore/set/hash_set.h"
#ifdef DIJK_HAVE_STREAM
#include "dataplane/dijkd/stream_consumer.h"
#endif

namespace dijk {

StreamFactory::StreamFactory(StreamFactoryOptions options, HitSink& sink)
    : options_(std::move(options)), sink_(sink) {
  if (!options_.set_path.empty()) set_ = HashSet::open(options_.set_path);
}

StreamFactory::~StreamFactory() = default;

std::unique_ptr<dpdk::SegmentConsumer> StreamFactory::make(unsigned /*worker_index*/) {
#ifdef DIJK_HAVE_STREAM
  StreamPipelineConfig config;
  if (options_.max_flows != 0) config.reassembly.max_flows = options_.max_flows;
  config.files.digests = options_.digests;
  if (!options_.http_ports.empty()) config.http_ports = options_.http_ports;
  return std::make_unique<StreamConsumer>(config, sink_, set_);
#else
  // Built without the stream stage: count segments only.
  return std::make_unique<CountingConsumer>();
#endif
}

}  // namespace dijk
