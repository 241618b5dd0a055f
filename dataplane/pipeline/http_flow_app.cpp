#include "dataplane/pipeline/http_flow_app.h"

namespace dijk {

HttpPortFilter::HttpPortFilter(const std::vector<std::uint16_t>& ports) : any_(ports.empty()) {
  for (std::uint16_t p : ports) ports_.set(p);
}

HttpFlowApp::HttpFlowApp(const HttpFlowShared& shared, const FlowTuple& flow)
    : shared_(shared), flow_(flow) {}

void HttpFlowApp::on_data(Direction dir, std::span<const std::uint8_t> bytes, std::uint64_t time_ns) {
  if (http_) [[likely]] {
    if (from_client(dir))
      http_->parser.request_data(bytes, time_ns);
    else
      http_->parser.response_data(bytes, time_ns);
    return;
  }
  if (declined()) return;  // reassembly may still hand over the rest of a segment
  switch (detection_.data(dir, bytes)) {
    case HttpFlowDetection::Outcome::undecided:
      break;
    case HttpFlowDetection::Outcome::http:
      detected(dir, bytes, time_ns);
      break;
    case HttpFlowDetection::Outcome::not_http:
      decline();
      break;
  }
}

void HttpFlowApp::detected(Direction dir, std::span<const std::uint8_t> bytes, std::uint64_t time_ns) {
  const FlowTuple client = dir == Direction::client_to_server
                               ? flow_
                               : FlowTuple{flow_.dst, flow_.src, flow_.dst_port, flow_.src_port};
  // With a port filter, the server the request went to decides (it may not be the side reassembly chose).
  if (!shared_.ports.allows(client.dst_port)) {
    decline();
    return;
  }
  ++shared_.counters.http_flows;
  http_.emplace(shared_, client);
  // The other side's bytes before the request line are not HTTP the parser could place: its response
  // side is given up (responses only help libhtp retire transactions).
  if (detection_.other_side_bytes() > 0) http_->parser.response_gap(detection_.other_side_bytes(), time_ns);
  http_->parser.request_data(detection_.held(), time_ns);
  detection_.release();
  http_->parser.request_data(bytes, time_ns);
}

void HttpFlowApp::on_gap(Direction dir, std::uint64_t bytes, std::uint64_t time_ns) {
  if (http_) {
    if (from_client(dir))
      http_->parser.request_gap(bytes, time_ns);
    else
      http_->parser.response_gap(bytes, time_ns);
    return;
  }
  if (!declined() && detection_.gap(dir, bytes) == HttpFlowDetection::Outcome::not_http) decline();
}

void HttpFlowApp::on_close(FlowEnd how, std::uint64_t time_ns) {
  (void)how;
  if (http_) http_->parser.close(time_ns);
}

}  // namespace dijk
