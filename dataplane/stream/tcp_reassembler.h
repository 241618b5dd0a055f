#pragma once
// Per-worker TCP reassembly: tracks flows (handshake, FIN/RST, idle timeouts, eviction of the oldest when
// the table is full), reassembles both directions and hands in-order bytes, gaps and the end of each flow
// to the flow's FlowApp; a flow its app declines is bypassed (only its end is followed). Single-threaded: one
// instance per worker, owning all its flows.
#include <cstdint>

#include "dataplane/packet/packet_view.h"
#include "dataplane/stream/flow_app.h"
#include "dataplane/stream/flow_table.h"
#include "dataplane/stream/half_stream.h"
#include "dataplane/stream/segment_budget.h"
#include "dataplane/stream/stream_counters.h"

namespace dijk {

struct ReassemblyConfig {
  std::uint32_t max_flows = 65536;
  std::uint64_t out_of_order_memory = 64ull << 20;  // worker-wide cap on held segments
  ReassemblyLimits limits;
  std::uint64_t embryonic_timeout_ns = 10'000'000'000ull;  // handshake without data
  std::uint64_t idle_timeout_ns = 120'000'000'000ull;      // flows that carried data
  bool midstream = false;                                  // pick up flows whose SYN was not seen
};

class TcpReassembler {
 public:
  TcpReassembler(const ReassemblyConfig& config, FlowAppFactory& factory, StreamCounters& counters);
  ~TcpReassembler();
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;

  void process(const TcpSegment& segment);
  // Warms the cache for a segment that process() will see shortly (its flow's index entry).
  void prefetch(const TcpSegment& segment) const { table_.prefetch(FlowKey::of(segment.tuple)); }
  // Ends flows idle for longer than their timeout. Called by process() as time passes; callers with no
  // traffic call it from their idle loop.
  void expire(std::uint64_t now_ns);
  // Ends every flow (end of a capture, shutdown).
  void close_all(std::uint64_t now_ns);

  std::uint32_t flow_count() const { return table_.size(); }
  const SegmentBudget& budget() const { return budget_; }

 private:
  Flow* create(const FlowTuple& client, std::uint64_t now_ns);
  void end(Flow& flow, FlowEnd how, std::uint64_t now_ns);
  // The flow's app declined it: what is held is dropped, the app goes, the entry stays (FlowStage).
  void bypass(Flow& flow);
  ReassemblyContext context(Flow& flow, Direction dir, std::uint64_t now_ns);

  ReassemblyConfig config_;
  FlowAppFactory& factory_;
  StreamCounters& counters_;
  SegmentBudget budget_;
  FlowTable table_;
  std::uint64_t last_expiry_ns_ = 0;
};

}  // namespace dijk
