#pragma once
// What TCP reassembly hands its in-order bytes to: one FlowApp per tracked flow (the HTTP parser in the
// pipeline, a recorder in tests). Reassembly knows nothing about what the bytes mean.
#include <cstdint>
#include <memory>
#include <span>

#include "dataplane/packet/packet_view.h"

namespace dijk {

enum class Direction : std::uint8_t { client_to_server = 0, server_to_client = 1 };

enum class FlowEnd : std::uint8_t {
  closed,    // both sides sent FIN and every byte up to it arrived
  reset,     // RST
  timeout,   // idle longer than the configured timeout
  evicted,   // the flow table was full and this was the oldest flow
  shutdown,  // the pipeline was flushed (end of a capture)
};

class FlowApp {
 public:
  virtual ~FlowApp() = default;
  // In-order bytes of one direction. The span is valid only during the call.
  virtual void on_data(Direction dir, std::span<const std::uint8_t> bytes, std::uint64_t time_ns) = 0;
  // `bytes` bytes of this direction were never seen and are skipped; data resumes after them.
  virtual void on_gap(Direction dir, std::uint64_t bytes, std::uint64_t time_ns) = 0;
  // The flow is over; nothing else is delivered. Anything still open is incomplete unless `how` says closed.
  virtual void on_close(FlowEnd how, std::uint64_t time_ns) = 0;

  // True once the app wants nothing more of this flow (its first bytes are not a protocol it reads).
  // Reassembly then bypasses the flow: it drops what it holds and the app, and keeps only the flow's
  // entry so that later segments are dropped unread until the flow ends. Not virtual: it is read after
  // every data segment.
  bool declined() const { return declined_; }

 protected:
  void decline() { declined_ = true; }

 private:
  bool declined_ = false;
};

// Decides which flows are tracked and creates their FlowApp. The app may still decline its flow once it
// has seen the first bytes (FlowApp::declined).
class FlowAppFactory {
 public:
  virtual ~FlowAppFactory() = default;
  // Whether a connection from `client` to the server in `client` (dst) is worth tracking.
  virtual bool wants(const FlowTuple& client_to_server) const = 0;
  virtual std::unique_ptr<FlowApp> create(const FlowTuple& client_to_server) = 0;
};

}  // namespace dijk
