#pragma once
// What reassembly drives for each tracked flow: HTTP detection on the first bytes, then the HTTP parser,
// whose files go to the matcher. The side that sends a request line first is the client, whichever side
// reassembly took for it (a flow picked up midstream, or whose SYN was not seen); a flow whose first
// bytes are not HTTP is declined, and reassembly bypasses it.
#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dataplane/http/http_flow_detection.h"
#include "dataplane/http/http_upload_parser.h"
#include "dataplane/http/upload_files.h"
#include "dataplane/stream/flow_app.h"
#include "dataplane/stream/stream_counters.h"

namespace dijk {

// dataplane.http_ports: the server ports whose flows are followed; an empty list is every port.
class HttpPortFilter {
 public:
  explicit HttpPortFilter(const std::vector<std::uint16_t>& ports);
  bool allows(std::uint16_t server_port) const { return any_ || ports_.test(server_port); }

 private:
  std::bitset<65536> ports_;
  bool any_ = true;
};

// What every HTTP flow of one worker shares.
struct HttpFlowShared {
  const HttpParserConfig& http;
  wire::UploadFiles& files;
  StreamCounters& counters;
  const HttpPortFilter& ports;
};

class HttpFlowApp final : public FlowApp {
 public:
  // `flow` as reassembly oriented it (the SYN's sender, or its guess, first).
  HttpFlowApp(const HttpFlowShared& shared, const FlowTuple& flow);

  void on_data(Direction dir, std::span<const std::uint8_t> bytes, std::uint64_t time_ns) override;
  void on_gap(Direction dir, std::uint64_t bytes, std::uint64_t time_ns) override;
  void on_close(FlowEnd how, std::uint64_t time_ns) override;

 private:
  // The parser of a flow found to be HTTP, with its client first.
  struct Http {
    Http(const HttpFlowShared& shared, const FlowTuple& client_to_server)
        : files(shared.files, client_to_server),
          embedded(shared.files, client_to_server),
          parser(shared.http, files, shared.counters, &embedded) {}
    // Declared before the parser: it ends its files through them. Two slots, because a file decoded
    // from a base64 value in a body is open while the body's own file is.
    wire::FlowFiles files;
    wire::FlowFiles embedded;
    HttpUploadParser parser;
  };

  void detected(Direction dir, std::span<const std::uint8_t> bytes, std::uint64_t time_ns);
  bool from_client(Direction dir) const { return dir == detection_.client(); }

  const HttpFlowShared& shared_;
  FlowTuple flow_;
  HttpFlowDetection detection_;
  std::optional<Http> http_;
};

}  // namespace dijk
