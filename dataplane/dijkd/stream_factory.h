#pragma once
// Makes one stream-stage consumer per worker lcore: TCP reassembly, HTTP, multipart, digests and set
// lookups, emitting hits to the sink. The set is opened once and shared read-only.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dpdk/segment_consumer.h"
#include "dataplane/events/hit_event.h"

namespace dijk {

class HashSet;

struct StreamFactoryOptions {
  std::string set_path;                   // empty: no set, nothing can match
  bool digests = true;                    // false: parse only
  std::uint32_t max_flows = 0;            // per worker; 0 = the stream stage's default
  std::vector<std::uint16_t> http_ports;  // empty = the stream stage's default (80, 8080, 8000)
};

class StreamFactory {
 public:
  StreamFactory(StreamFactoryOptions options, HitSink& sink);
  ~StreamFactory();
  std::unique_ptr<dpdk::SegmentConsumer> make(unsigned worker_index);

 private:
  StreamFactoryOptions options_;
  HitSink& sink_;
  std::shared_ptr<const HashSet> set_;
};

}  // namespace dijk
