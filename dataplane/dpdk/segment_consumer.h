#pragma once
// What a worker lcore hands decoded TCP segments to: the stream stage (reassembly, HTTP, files,
// digests, hits). One instance per worker lcore, owned by it, never shared.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/ips/block.h"
#include "dataplane/packet/packet_view.h"

namespace dijk::dpdk {

using CounterList = std::vector<std::pair<std::string, std::uint64_t>>;

// What a counter in a CounterList is, from where it is declared: a count (Prometheus: a counter, `_total`)
// or a level (a gauge: open flows, a peak, a backlog), and what it counts.
struct CounterInfo {
  std::string_view help;  // empty: not declared here
  bool gauge = false;
};

class SegmentConsumer {
 public:
  virtual ~SegmentConsumer() = default;
  virtual void on_segment(const TcpSegment& segment) = 0;
  // The TCP segments of one received burst, in arrival order; the same as on_segment on each in turn.
  // A consumer that can overlap them (prefetching the next payloads) overrides it.
  virtual void on_burst(std::span<const TcpSegment> segments) {
    for (const TcpSegment& s : segments) on_segment(s);
  }
  // Between bursts, with the current time (capture time in replay): idle timeouts and housekeeping.
  virtual void on_tick(std::uint64_t /*now_ns*/) {}
  // The capture is consumed or the daemon stops: finish what can be finished (flows still open are
  // the consumer's call: a file without its end is truncated, never reported).
  virtual void on_end(std::uint64_t /*now_ns*/) {}
  // Prevention on the inline bridge: the worker holds a burst's frames until on_burst has seen them, and
  // says so around that call (hold_frames(true), then false); a block verdict is possible only then. After
  // each on_burst, take_blocks() names the connections (client to server) blocked in it, each with the
  // index of the segment that ended the listed file: that segment's frame and the connection's later
  // frames are dropped and reset. The span is valid until the next call. A consumer without prevention holds
  // nothing and blocks nothing.
  virtual void hold_frames(bool /*held*/) {}
  virtual std::span<const ips::Block> take_blocks() { return {}; }
  // Name/value pairs for the summary, appended in a stable order.
  virtual void append_counters(CounterList& /*out*/) const {}
};

}  // namespace dijk::dpdk
