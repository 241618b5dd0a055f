#pragma once
// One worker lcore: owns its RX queues, its reassembly table, its stream consumer and its counters.
// The loop is run to completion, as in DPDK's l3fwd: receive a burst, forward it first (inline mode),
// then decode it and hand its TCP segments to the consumer in one call (on_burst: the stream stage's
// process_burst, which the stream benchmark measures), then housekeeping. With prevention (inline mode,
// dataplane.ips) the burst is decoded and handed over first and forwarded after, less the frames of
// connections the consumer blocked, which are dropped and answered with a TCP reset to each end. Nothing is
// shared with other workers. While it runs, the worker publishes a copy of its counters about once a second
// (snapshot(), for `dijkctl stats` and the metrics endpoint); the live counters are read only after
// the worker has returned.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "dataplane/decode/decode_counters.h"
#include "dataplane/dpdk/ip_reassembly.h"
#include "dataplane/dpdk/segment_consumer.h"
#include "dataplane/ips/blocked_flows.h"

struct rte_mbuf;
struct rte_mempool;

namespace dijk::dpdk {

// An RX queue this worker polls and, in inline mode, the TX queue every frame is forwarded to.
struct QueueBinding {
  std::uint16_t rx_port = 0;
  std::uint16_t rx_queue = 0;
  bool forward = false;
  std::uint16_t tx_port = 0;
  std::uint16_t tx_queue = 0;
  // Prevention (inline mode with dataplane.ips): frames are inspected before they are forwarded, so a
  // block verdict can drop them; the reset towards the sender leaves by `return_port`/`return_queue` (the
  // TX queue of the port the frame came in on).
  bool ips = false;
  std::uint16_t return_port = 0;
  std::uint16_t return_queue = 0;
  bool rx_timestamps = false;  // the port stamps mbufs with capture time
  // Replay of a capture on a port that does not stamp mbufs: the n-th frame's capture time is
  // (*capture_times)[n] (one queue per port, frames delivered in file order).
  const std::vector<std::uint64_t>* capture_times = nullptr;
  std::size_t next_time = 0;
};

// X(name, help): the worker lcore's own counters, each declared once; the fields, the walk the summary and
// the metrics use, and the metrics' help text are generated from this list.
#define DIJK_WORKER_COUNTERS(X)                                                                        \
  X(rx_packets, "frames received")                                                                     \
  X(rx_bytes, "bytes received")                                                                        \
  X(rx_bursts, "receive bursts that held at least one frame")                                          \
  X(forwarded, "frames forwarded to the other port (inline bridge)")                                   \
  X(forward_dropped, "frames lost on the bridge: the TX queue was full")                               \
  X(chained_frames, "frames in several mbufs, linearised before decoding")                             \
  X(reassembly_copy_failed, "forwarded fragments that could not be copied for reassembly (no mbuf)")   \
  X(ips_held_bursts, "bursts inspected before they were forwarded (dataplane.ips)")                    \
  X(ips_unheld_bursts, "bursts forwarded first because the worker was behind (prevention fails open)") \
  X(ips_frames_dropped, "frames of blocked connections not forwarded")                                 \
  X(ips_rsts_sent, "TCP resets sent to the ends of blocked connections")                               \
  X(ips_rsts_failed, "TCP resets not sent: no mbuf, or the TX queue was full")

struct WorkerCounters {
#define DIJK_FIELD(name, help) std::uint64_t name = 0;
  DIJK_WORKER_COUNTERS(DIJK_FIELD)
#undef DIJK_FIELD
  // This lcore's thread CPU time from the start of run() to its frame budget (or to the end): on a shared
  // machine the benchmark divides by this as well as by wall time.
  std::uint64_t cpu_ns = 0;
  wire::DecodeCounters decode;
};

struct WorkerSetup {
  unsigned index = 0;  // 0..workers-1
  unsigned socket = 0;
  std::vector<QueueBinding> queues;
  rte_mempool* pool = nullptr;  // for copies of forwarded fragments
  std::uint32_t frag_max_datagrams = 4096;
  std::uint32_t frag_timeout_ms = 2000;
  int timestamp_offset = -1;         // mbuf dynfield with the RX timestamp, if registered
  std::uint64_t timestamp_flag = 0;  // ol_flags bit saying the field is set
  std::uint64_t frame_budget = 0;    // stop receiving after this many frames (0 = never)
};

// The help text of a worker counter by the name counter_list() gives it (its own, decoding's, and
// "fragments_expired"); empty for any other name, e.g. the consumer's.
std::string_view worker_counter_help(std::string_view name);

class Worker {
 public:
  Worker(WorkerSetup setup, std::unique_ptr<SegmentConsumer> consumer);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The lcore's loop; returns once `stop` is set, after flushing the consumer.
  void run(const std::atomic<bool>& stop);

  unsigned index() const { return setup_.index; }
  const WorkerCounters& counters() const { return counters_; }
  CounterList counter_list() const;
  // The counters as last published by the running worker (or final, once it has returned). Any thread.
  CounterList snapshot() const;

 private:
  static constexpr std::uint16_t kBurst = 32;
  // Prevention fails open when the worker falls behind: after this many full bursts in a row (its RX
  // queue is backing up) it forwards first, as without prevention, until a burst is not full.
  static constexpr unsigned kFullBurstsBeforeUnheld = 8;
  void poll(QueueBinding& q);
  void forward(const QueueBinding& q, rte_mbuf** frames, std::uint16_t n);
  void transmit(const QueueBinding& q, rte_mbuf** frames, std::uint16_t n);
  void inspect_then_forward(QueueBinding& q, rte_mbuf** frames, std::uint16_t n);
  void reset_both_ends(const QueueBinding& q, rte_mbuf* frame);
  bool send_rst(std::uint16_t port, std::uint16_t queue, std::span<const std::uint8_t> bytes);
  // Hands segments to the consumer; while a burst is held, collects the blocks found, each with the index
  // (in the held burst) of the frame whose segment ended the file: `frame_of[i]` is segment i's frame, or
  // null for a single segment from the frame being handled now.
  void deliver(std::span<const TcpSegment> segments, const std::uint16_t* frame_of);
  bool drop_held(std::uint16_t i) const;
  // Returns the TCP connection the frame carried (or, for a fragment, completed), if any.
  std::optional<FlowTuple> handle(rte_mbuf* frame, bool shared_with_tx, std::uint64_t time_ns);
  void hand_over_burst();
  std::optional<FlowTuple> handle_fragment(rte_mbuf* frame, bool ipv6, bool shared_with_tx,
                                           std::uint64_t time_ns);
  std::uint64_t frame_time(QueueBinding& q, const rte_mbuf* frame) const;

  WorkerSetup setup_;
  std::unique_ptr<SegmentConsumer> consumer_;
  IpReassembly reassembly_;
  WorkerCounters counters_;
  std::uint64_t now_ns_ = 0;
  std::uint64_t last_tick_ns_ = 0;
  void publish_snapshot(bool force);
  std::vector<std::uint8_t> scratch_;
  // The burst's TCP segments not yet handed to the consumer, and the frames their payloads point into
  // (freed once the consumer has them). A segment in scratch_ is handed over at once, after these.
  std::array<TcpSegment, kBurst> burst_segments_{};
  std::array<rte_mbuf*, kBurst> burst_frames_{};
  std::size_t burst_size_ = 0;
  mutable std::mutex snapshot_mutex_;  // the worker only try_locks it: the packet path never waits
  CounterList snapshot_;
  std::uint64_t last_snapshot_ns_ = 0;  // linearised chains and rebuilt datagrams (<= 64 KiB + headers)
  // Prevention: connections blocked (their frames dropped and reset while the entry lasts), each held
  // frame's connection, and how many full bursts came in a row.
  ips::BlockedFlows blocked_;
  std::array<std::optional<FlowTuple>, kBurst> held_flows_{};
  unsigned full_bursts_ = 0;
  bool holding_ = false;
  std::uint16_t held_frame_ = 0;                       // the held burst's frame being handled
  std::array<std::uint16_t, kBurst> segment_frame_{};  // burst_segments_[i] came from frame segment_frame_[i]
  struct NewBlock {
    FlowTuple flow;
    std::uint16_t from_frame;
  };
  std::array<NewBlock, kBurst> new_blocks_{};  // blocked in this burst (at most one a segment)
  std::size_t new_block_count_ = 0;
};

}  // namespace dijk::dpdk
