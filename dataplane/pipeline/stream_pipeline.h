#pragma once
// One worker's whole stream stage, from decoded TCP segments to hit events: TCP reassembly, HTTP request
// parsing, file extraction, digests and set lookups, and the hand-off of images to the PDQ stage.
// Single-threaded and shared-nothing: each worker lcore owns one StreamPipeline and calls it for every
// TCP segment it decodes. No DPDK inside.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/hit_event.h"
#include "core/verdict.h"
#include "dataplane/http/http_upload_parser.h"
#include "dataplane/http/upload_files.h"
#include "dataplane/ips/block.h"
#include "dataplane/match/image_queue.h"
#include "dataplane/packet/packet_view.h"
#include "dataplane/stream/stream_counters.h"
#include "dataplane/stream/tcp_reassembler.h"
#include "hashcore/set/hash_set.h"

namespace dijk {

class IpsVerdicts;

struct StreamPipelineConfig {
  ReassemblyConfig reassembly;
  // Server ports whose flows are followed; empty (the default) is every port. Either way a flow is parsed
  // only if the first side to send opens with an HTTP/1.x request line; other flows are bypassed.
  std::vector<std::uint16_t> http_ports;
  wire::UploadFilesConfig files;
  // Prevention on the inline bridge (dataplane.ips): the policy that says which hits block their
  // connection. Unset: hits are only reported, as in mirror mode.
  std::optional<VerdictPolicy> ips;
};

class StreamPipeline {
 public:
  // `hits` is called on this worker's thread. `images` may be null (no PDQ stage).
  StreamPipeline(const StreamPipelineConfig& config, HitSink& hits, match::ImageQueue* images = nullptr);
  ~StreamPipeline();
  StreamPipeline(const StreamPipeline&) = delete;
  StreamPipeline& operator=(const StreamPipeline&) = delete;

  // Files that finish from now on are matched against this set (a hot swap: call between segments).
  void set_hash_set(std::shared_ptr<const HashSet> set);
  void process(const TcpSegment& segment);
  // A burst (as rte_eth_rx_burst returns them): the next segments' payloads are prefetched while the
  // current one is processed, so hashing reads cached bytes. Same result as process() on each in order.
  void process_burst(std::span<const TcpSegment> segments);
  // Ends idle flows; process() does this as capture time advances, an idle worker calls it itself.
  void expire(std::uint64_t now_ns);
  // Ends every flow, e.g. when a capture is consumed: files still open are counted truncated.
  void flush(std::uint64_t now_ns);

  // Prevention (config.ips set; no-ops otherwise): whether the frames being processed are held until
  // their verdicts are known, and the connections blocked since the last call, each with the index of the
  // segment (in the last process_burst span; 0 for process) that ended the file (valid until the next).
  void hold_frames(bool held);
  std::span<const ips::Block> take_blocks();

  const StreamCounters& counters() const { return counters_; }
  // "MD5+SHA-1 in avx512 lanes", or empty: digests one upload at a time.
  std::string lanes() const;
  std::uint32_t flow_count() const;
  std::uint64_t out_of_order_bytes() const;  // held now, against the configured cap
  std::uint64_t out_of_order_peak() const;

 private:
  class HttpFlows;
  StreamCounters counters_;
  std::unique_ptr<IpsVerdicts> ips_;  // between the files' hits and `hits`, when prevention is on
  std::unique_ptr<HttpParserConfig> http_config_;
  std::unique_ptr<wire::UploadFiles> files_;
  std::unique_ptr<HttpFlows> factory_;
  std::unique_ptr<TcpReassembler> reassembler_;
};

}  // namespace dijk
