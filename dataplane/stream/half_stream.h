#pragma once
// Reassembly of one direction of a TCP connection. In-order bytes go straight to the FlowApp without a
// copy; only segments that arrive ahead of a hole are copied into a small sorted store, bounded per flow
// and by the worker's SegmentBudget. Where copies overlap, the first copy wins; differing bytes are counted.
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/stream/flow_app.h"
#include "dataplane/stream/segment_budget.h"
#include "dataplane/stream/stream_counters.h"

namespace dijk {

struct ReassemblyLimits {
  std::uint32_t max_segments_per_flow = 64;       // per direction
  std::uint32_t max_bytes_per_flow = 256 * 1024;  // per direction
  std::uint32_t max_distance = 16 * 1024 * 1024;  // how far ahead of the stream a segment may start
};

// What a half stream needs from its flow and worker while it works.
struct ReassemblyContext {
  FlowApp* app;
  Direction dir;
  std::uint64_t time_ns;
  StreamCounters& counters;
  SegmentBudget& budget;
  const ReassemblyLimits& limits;
  bool& overlap_conflict;  // set when an overlap carried different bytes
};

class TcpHalfStream {
 public:
  bool initialized() const { return initialized_; }
  // The next byte expected has sequence number `next_seq` (ISN + 1 after a SYN).
  void init(std::uint32_t next_seq) {
    initialized_ = true;
    next_ = next_seq;
  }
  std::uint32_t next_seq() const { return next_; }

  void receive(std::uint32_t seq, std::span<const std::uint8_t> payload, ReassemblyContext& ctx);
  // The FIN's sequence number: the stream ends there.
  void set_fin(std::uint32_t fin_seq) {
    fin_seen_ = true;
    fin_seq_ = fin_seq;
  }
  bool fin_seen() const { return fin_seen_; }
  // Every byte up to the FIN has been delivered.
  bool complete() const { return fin_seen_ && next_ == fin_seq_ && store_.empty(); }
  // End of the flow: delivers what is held, reporting each hole as a gap, and the missing tail before a FIN.
  void flush(ReassemblyContext& ctx);
  // Forgets what is held without delivering it.
  void discard(SegmentBudget& budget);

  std::size_t stored_segments() const { return store_.size(); }
  std::uint64_t stored_bytes() const { return stored_bytes_; }

 private:
  struct Held {
    std::uint32_t seq;
    std::vector<std::uint8_t> bytes;
  };
  // Copies the parts of [seq, seq+len) not already held; false (and nothing stored) when over a limit.
  bool hold(std::uint32_t seq, std::span<const std::uint8_t> payload, ReassemblyContext& ctx);
  // Delivers held segments that have become contiguous with next_.
  void drain(ReassemblyContext& ctx);
  // Gives up on the hole before the first held segment.
  void skip_hole(ReassemblyContext& ctx);
  void deliver(std::span<const std::uint8_t> bytes, ReassemblyContext& ctx);
  void release(const Held& h, SegmentBudget& budget);

  std::vector<Held> store_;  // sorted by sequence number, not overlapping, all ahead of next_
  std::uint64_t stored_bytes_ = 0;
  std::uint32_t next_ = 0;
  std::uint32_t fin_seq_ = 0;
  bool initialized_ = false;
  bool fin_seen_ = false;
};

}  // namespace dijk
