#include "dataplane/pipeline/stream_pipeline.h"

#include <algorithm>

#include "dataplane/pipeline/http_flow_app.h"
#include "dataplane/pipeline/ips_verdicts.h"

namespace dijk {
class StreamPipeline::HttpFlows final : public FlowAppFactory {
 public:
  HttpFlows(const std::vector<std::uint16_t>& ports, const HttpParserConfig& http, wire::UploadFiles& matcher,
            StreamCounters& counters)
      : ports_(ports), shared_{http, matcher, counters, ports_} {}
  // Without a port filter every flow is taken; its app tells HTTP from the rest by the first bytes.
  bool wants(const FlowTuple& client_to_server) const override {
    return ports_.allows(client_to_server.dst_port);
  }
  std::unique_ptr<FlowApp> create(const FlowTuple& client_to_server) override {
    return std::make_unique<HttpFlowApp>(shared_, client_to_server);
  }

 private:
  HttpPortFilter ports_;
  HttpFlowShared shared_;
};

StreamPipeline::StreamPipeline(const StreamPipelineConfig& config, HitSink& hits, match::ImageQueue* images)
    : ips_(config.ips ? std::make_unique<IpsVerdicts>(*config.ips, hits, counters_) : nullptr),
      http_config_(std::make_unique<HttpParserConfig>()),
      files_(std::make_unique<wire::UploadFiles>(config.files, ips_ ? *ips_ : hits, images, counters_)),
      factory_(std::make_unique<HttpFlows>(config.http_ports, *http_config_, *files_, counters_)),
      reassembler_(std::make_unique<TcpReassembler>(config.reassembly, *factory_, counters_)) {}

StreamPipeline::~StreamPipeline() {
  reassembler_.reset();  // flows (and their open files) go before the matcher they use
}

void StreamPipeline::hold_frames(bool held) {
  if (ips_) ips_->hold(held);
}

std::span<const ips::Block> StreamPipeline::take_blocks() {
  return ips_ ? ips_->take_blocks() : std::span<const ips::Block>{};
}

std::string StreamPipeline::lanes() const {
  return files_->lanes();
}

void StreamPipeline::set_hash_set(std::shared_ptr<const HashSet> set) {
  files_->set_hash_set(std::move(set));
}
namespace {
void prefetch_payload(const TcpSegment& s) {
  const std::uint8_t* p = s.payload.data();
  for (std::size_t off = 0; off < s.payload.size(); off += 64) __builtin_prefetch(p + off);
}
}  // namespace

void StreamPipeline::process(const TcpSegment& segment) {
  if (ips_) ips_->at_segment(0);
  reassembler_->process(segment);
}

void StreamPipeline::process_burst(std::span<const TcpSegment> segments) {
  constexpr std::size_t kAhead = 2;
  for (std::size_t i = 0; i < std::min(kAhead, segments.size()); ++i) {
    prefetch_payload(segments[i]);
    reassembler_->prefetch(segments[i]);
  }
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i + kAhead < segments.size()) {
      prefetch_payload(segments[i + kAhead]);
      reassembler_->prefetch(segments[i + kAhead]);
    }
    if (ips_) ips_->at_segment(static_cast<std::uint32_t>(i));
    reassembler_->process(segments[i]);
  }
}
void StreamPipeline::expire(std::uint64_t now_ns) {
  reassembler_->expire(now_ns);
}
void StreamPipeline::flush(std::uint64_t now_ns) {
  reassembler_->close_all(now_ns);
}
std::uint32_t StreamPipeline::flow_count() const {
  return reassembler_->flow_count();
}
std::uint64_t StreamPipeline::out_of_order_bytes() const {
  return reassembler_->budget().used();
}
std::uint64_t StreamPipeline::out_of_order_peak() const {
  return reassembler_->budget().peak();
}

}  // namespace dijk
