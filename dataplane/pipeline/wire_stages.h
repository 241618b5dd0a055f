#pragma once
// The wire path's stages, put together in the order a packet meets them (as Suricata's flow worker does):
//
//   decode      dataplane/dpdk worker + dataplane/decode: frames -> TcpSegment (dataplane/packet)
//   stream      dataplane/stream TcpReassembler: flows, both directions, in order, caps
//   app layer   dataplane/http HttpUploadParser + MultipartSplitter: request bodies -> files
//   match       dataplane/http UploadFiles -> dataplane/match FileFingerprinter + Matcher (exact);
//               images no digest settled -> ImageQueue -> PdqStage (pdq_stage.h: PDQ, same matcher)
//   output      HitEvent (match::make_hit) -> this thread's lane from the HitLaneSource (the journal)
//
// The stream .. match part is one StreamPipeline (stream_pipeline.h, here: the one place TCP meets HTTP).
// StreamFactory makes it once per worker lcore (its own context, shared nothing);
// the decode part calls it per burst (dpdk::SegmentConsumer), the PDQ stage has threads of its own.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/verdict.h"
#include "dataplane/dpdk/segment_consumer.h"
#include "hashcore/digest/multibuffer/lane_isa.h"

namespace dijk {

class LiveSet;
namespace match {
class ImageQueue;
}
class HitLaneSource;

struct StreamFactoryOptions {
  bool digests = true;          // false: parse only
  std::uint32_t max_flows = 0;  // per worker; 0 = the stream stage's default
  // Server ports whose flows are followed; empty = every port (HTTP is told by a flow's first bytes).
  std::vector<std::uint16_t> http_ports;
  std::uint64_t reassembly_memory = 0;  // bytes per worker; 0 = the stream stage's default
  // Prevention on the inline bridge (dataplane.ips): which hits block their connection. Unset: report only.
  std::optional<VerdictPolicy> ips;
  // MD5 and SHA-1 in vector lanes. Unset: as DIJK_DIGEST_LANES says, else the widest the CPU has.
  std::optional<digest_lanes::LaneIsa> digest_lanes;
};

class StreamFactory {
 public:
  // `images` may be null: no PDQ stage.
  // Each worker gets its own hit lane (its journal producer, when there is a journal).
  StreamFactory(StreamFactoryOptions options, HitLaneSource& hits, LiveSet& set, match::ImageQueue* images);
  ~StreamFactory();
  std::unique_ptr<dpdk::SegmentConsumer> make(unsigned worker_index);

 private:
  StreamFactoryOptions options_;
  HitLaneSource& hits_;
  LiveSet& set_;
  match::ImageQueue* images_;
};

}  // namespace dijk
