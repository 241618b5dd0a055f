#pragma once
// Makes one stream-stage consumer per worker lcore (its per-lcore context): TCP reassembly, HTTP,
// multipart, digests and lookups in the live set, emitting hits to the sink and images to the PDQ queue.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dpdk/segment_consumer.h"

namespace dijk {

class LiveSet;
namespace match {
class ImageQueue;
}
class HitLanes;

struct StreamFactoryOptions {
  bool digests = true;                    // false: parse only
  std::uint32_t max_flows = 0;            // per worker; 0 = the stream stage's default
  std::vector<std::uint16_t> http_ports;  // empty = the stream stage's default (80, 8080, 8000)
  std::uint64_t reassembly_memory = 0;    // bytes per worker; 0 = the stream stage's default
};

class StreamFactory {
 public:
  // `images` may be null: no PDQ stage.
  // Each worker gets its own hit lane (its journal producer, when there is a journal).
  StreamFactory(StreamFactoryOptions options, HitLanes& hits, LiveSet& set, match::ImageQueue* images);
  ~StreamFactory();
  std::unique_ptr<dpdk::SegmentConsumer> make(unsigned worker_index);

 private:
  StreamFactoryOptions options_;
  HitLanes& hits_;
  LiveSet& set_;
  match::ImageQueue* images_;
};

}  // namespace dijk
