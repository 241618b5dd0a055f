#include "dataplane/dijkd/stream_factory.h"

#include "dataplane/dijkd/counting_consumer.h"
#include "hashcore/set/hash_set.h"

namespace dijk {

StreamFactory::StreamFactory(StreamFactoryOptions options, HitSink& sink) : options_(std::move(options)), sink_(sink) {
  if (!options_.set_path.empty()) set_ = HashSet::open(options_.set_path);
}

StreamFactory::~StreamFactory() = default;

std::unique_ptr<dpdk::SegmentConsumer> StreamFactory::make(unsigned /*worker_index*/) {
  // Until the stream stage lands: count segments only.
  return std::make_unique<CountingConsumer>();
}

}  // namespace dijk
