#include "dataplane/dpdk/worker.h"

#include <cstring>
#include <ctime>

#include "dataplane/decode/frame_decoder.h"
#include "dataplane/dpdk/dpdk_compat.h"
#include "dataplane/ips/rst_frame.h"

namespace dijk::dpdk {
namespace {

constexpr std::size_t kScratchBytes = 65536 + 256;
constexpr std::uint64_t kTickInterval_ns = 1'000'000;

std::uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t wall_clock_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

Worker::Worker(WorkerSetup setup, std::unique_ptr<SegmentConsumer> consumer)
    : setup_(std::move(setup)),
      consumer_(std::move(consumer)),
      reassembly_(setup_.socket, setup_.frag_max_datagrams, setup_.frag_timeout_ms),
      scratch_(kScratchBytes) {}

Worker::~Worker() = default;

void Worker::run(const std::atomic<bool>& stop) {
  const std::uint64_t cpu_start = thread_cpu_ns();
  bool budget_spent = false;
  while (!stop.load(std::memory_order_relaxed)) {
    for (auto& q : setup_.queues) poll(q);
    if (!budget_spent && setup_.frame_budget != 0 && counters_.rx_packets >= setup_.frame_budget) {
      budget_spent = true;
      consumer_->on_end(now_ns_);  // the pass is over: finish its flows inside the measured time
      counters_.cpu_ns = thread_cpu_ns() - cpu_start;
    }
    reassembly_.collect();
    if (now_ns_ >= last_tick_ns_ + kTickInterval_ns) {
      consumer_->on_tick(now_ns_);
      blocked_.expire(now_ns_);
      last_tick_ns_ = now_ns_;
      publish_snapshot(false);
    }
  }
  if (!budget_spent) {
    consumer_->on_end(now_ns_);
    counters_.cpu_ns = thread_cpu_ns() - cpu_start;
  }
  publish_snapshot(true);
}

void Worker::publish_snapshot(bool force) {
  constexpr std::uint64_t kSnapshotInterval_ns = 1'000'000'000;
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  const auto now =
      static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
  if (!force && now < last_snapshot_ns_ + kSnapshotInterval_ns) return;
  CounterList copy = counter_list();
  if (force) {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(copy);
  } else {
    std::unique_lock lock(snapshot_mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;  // a reader holds it: publish at the next tick
    snapshot_ = std::move(copy);
  }
  last_snapshot_ns_ = now;
}

CounterList Worker::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_.empty() ? CounterList{} : snapshot_;
}

void Worker::poll(QueueBinding& q) {
  std::array<rte_mbuf*, kBurst> frames{};
  std::uint16_t want = kBurst;
  if (setup_.frame_budget != 0) {
    const std::uint64_t left = setup_.frame_budget - std::min(setup_.frame_budget, counters_.rx_packets);
    want = static_cast<std::uint16_t>(std::min<std::uint64_t>(kBurst, left));
    if (want == 0) return;
  }
  const std::uint16_t n = rte_eth_rx_burst(q.rx_port, q.rx_queue, frames.data(), want);
  if (n == 0) {
    // Without capture timestamps, idle time still moves the clock so flows time out.
    if (!q.rx_timestamps && q.capture_times == nullptr) now_ns_ = wall_clock_ns();
    return;
  }
  ++counters_.rx_bursts;
  counters_.rx_packets += n;
  if (q.ips) {
    full_bursts_ = n == kBurst ? full_bursts_ + 1 : 0;
    if (full_bursts_ < kFullBurstsBeforeUnheld) {
      inspect_then_forward(q, frames.data(), n);
      return;
    }
    ++counters_.ips_unheld_bursts;  // behind: forward first, as without prevention (fail open)
  }
  // Forward first: fingerprinting never delays the bridge. The extra reference keeps each frame
  // readable here after the TX queue has taken it.
  if (q.forward) forward(q, frames.data(), n);
  if (!q.rx_timestamps && q.capture_times == nullptr) now_ns_ = wall_clock_ns();
  for (std::uint16_t i = 0; i < n; ++i) {
    counters_.rx_bytes += frames[i]->pkt_len;
    handle(frames[i], q.forward, frame_time(q, frames[i]));
  }
  hand_over_burst();
}

void Worker::hand_over_burst() {
  if (burst_size_ == 0) return;
  deliver({burst_segments_.data(), burst_size_}, segment_frame_.data());
  for (std::size_t i = 0; i < burst_size_; ++i) rte_pktmbuf_free(burst_frames_[i]);
  burst_size_ = 0;
}

void Worker::deliver(std::span<const TcpSegment> segments, const std::uint16_t* frame_of) {
  consumer_->on_burst(segments);
  if (!holding_) return;
  for (const ips::Block& b : consumer_->take_blocks()) {
    if (new_block_count_ == new_blocks_.size() || b.segment >= segments.size()) continue;  // cannot happen
    new_blocks_[new_block_count_++] = {b.flow, frame_of != nullptr ? frame_of[b.segment] : held_frame_};
  }
}

// A held frame is dropped if its connection was blocked in an earlier burst, or in this one at this frame
// or before it (the frames before the one that ended the file were sent before it was complete).
bool Worker::drop_held(std::uint16_t i) const {
  if (!held_flows_[i]) return false;
  const FlowTuple& flow = *held_flows_[i];
  if (blocked_.contains(flow, now_ns_)) return true;
  for (std::size_t k = 0; k < new_block_count_; ++k) {
    if (new_blocks_[k].from_frame <= i && ips::BlockedFlows::same_connection(new_blocks_[k].flow, flow))
      return true;
  }
  return false;
}

void Worker::forward(const QueueBinding& q, rte_mbuf** frames, std::uint16_t n) {
  for (std::uint16_t i = 0; i < n; ++i) rte_mbuf_refcnt_update(frames[i], 1);
  transmit(q, frames, n);
}

void Worker::transmit(const QueueBinding& q, rte_mbuf** frames, std::uint16_t n) {
  if (n == 0) return;
  const std::uint16_t sent = rte_eth_tx_burst(q.tx_port, q.tx_queue, frames, n);
  counters_.forwarded += sent;
  for (std::uint16_t i = sent; i < n; ++i) {
    ++counters_.forward_dropped;
    rte_pktmbuf_free(frames[i]);  // drops only the reference the TX queue did not take
  }
}

// Prevention: the burst is decoded and handed to the stream stage first, so a file whose body ends in
// it is matched before its last segment leaves; then every frame goes on except those of connections
// blocked now or before, which are dropped and answered with a reset to each end.
void Worker::inspect_then_forward(QueueBinding& q, rte_mbuf** frames, std::uint16_t n) {
  ++counters_.ips_held_bursts;
  // The extra reference is the one transmitted (or dropped) below; handle() releases the other.
  for (std::uint16_t i = 0; i < n; ++i) rte_mbuf_refcnt_update(frames[i], 1);
  if (!q.rx_timestamps && q.capture_times == nullptr) now_ns_ = wall_clock_ns();
  consumer_->hold_frames(true);
  holding_ = true;
  new_block_count_ = 0;
  for (std::uint16_t i = 0; i < n; ++i) {
    counters_.rx_bytes += frames[i]->pkt_len;
    held_frame_ = i;
    held_flows_[i] = handle(frames[i], /*shared_with_tx=*/true, frame_time(q, frames[i]));
  }
  hand_over_burst();
  holding_ = false;
  consumer_->hold_frames(false);
  std::uint16_t kept = n;
  std::array<rte_mbuf*, kBurst> dropped{};
  std::uint16_t n_dropped = 0;
  if (!blocked_.empty() || new_block_count_ != 0) [[unlikely]] {
    kept = 0;
    for (std::uint16_t i = 0; i < n; ++i) {
      if (drop_held(i))
        dropped[n_dropped++] = frames[i];
      else
        frames[kept++] = frames[i];
    }
    for (std::size_t k = 0; k < new_block_count_; ++k) blocked_.add(new_blocks_[k].flow, now_ns_);
  }
  transmit(q, frames, kept);
  // The resets go after the frames kept: a reset that overtook the segments before the dropped one would
  // not carry the sequence number the receiver then expects, and would be ignored.
  for (std::uint16_t i = 0; i < n_dropped; ++i) {
    reset_both_ends(q, dropped[i]);
    ++counters_.ips_frames_dropped;
    rte_pktmbuf_free(dropped[i]);
  }
}

void Worker::reset_both_ends(const QueueBinding& q, rte_mbuf* frame) {
  const std::uint32_t len = std::min<std::uint32_t>(frame->pkt_len, kScratchBytes);
  const auto* p = static_cast<const std::uint8_t*>(rte_pktmbuf_read(frame, 0, len, scratch_.data()));
  if (p == nullptr) return;
  wire::DecodeCounters uncounted;  // the frame was counted when it arrived
  const wire::DecodedFrame d = wire::decode_frame({p, len}, now_ns_, uncounted);
  // A fragment carries no TCP header to answer: dropping it is enough (the datagram never completes).
  // An end's own reset is dropped unanswered (a reset is never answered with one).
  if (d.status != wire::DecodeStatus::tcp || (d.segment.flags & tcp_flags::rst) != 0) return;
  std::array<std::uint8_t, ips::kMaxRstFrame> rst{};
  if (const std::size_t n = ips::build_rst({p, len}, d, ips::RstTo::receiver, rst); n != 0)
    send_rst(q.tx_port, q.tx_queue, {rst.data(), n});
  if (const std::size_t n = ips::build_rst({p, len}, d, ips::RstTo::sender, rst); n != 0)
    send_rst(q.return_port, q.return_queue, {rst.data(), n});
}

bool Worker::send_rst(std::uint16_t port, std::uint16_t queue, std::span<const std::uint8_t> bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(setup_.pool);
  char* room = m != nullptr ? rte_pktmbuf_append(m, static_cast<std::uint16_t>(bytes.size())) : nullptr;
  if (room == nullptr) {
    if (m != nullptr) rte_pktmbuf_free(m);
    ++counters_.ips_rsts_failed;
    return false;
  }
  std::memcpy(room, bytes.data(), bytes.size());
  if (rte_eth_tx_burst(port, queue, &m, 1) != 1) {
    rte_pktmbuf_free(m);
    ++counters_.ips_rsts_failed;
    return false;
  }
  ++counters_.ips_rsts_sent;
  return true;
}

std::uint64_t Worker::frame_time(QueueBinding& q, const rte_mbuf* frame) const {
  if (q.capture_times != nullptr && q.next_time < q.capture_times->size())
    return (*q.capture_times)[q.next_time++];
  if (q.rx_timestamps && setup_.timestamp_offset >= 0 && (frame->ol_flags & setup_.timestamp_flag) != 0)
    return mbuf_u64_field(frame, setup_.timestamp_offset);
  return now_ns_;
}

std::optional<FlowTuple> Worker::handle(rte_mbuf* frame, bool shared_with_tx, std::uint64_t time_ns) {
  if (time_ns > now_ns_) now_ns_ = time_ns;
  std::span<const std::uint8_t> bytes;
  const bool in_scratch = frame->nb_segs > 1;
  if (in_scratch) {
    ++counters_.chained_frames;
    const std::uint32_t len = std::min<std::uint32_t>(frame->pkt_len, kScratchBytes);
    const auto* p = static_cast<const std::uint8_t*>(rte_pktmbuf_read(frame, 0, len, scratch_.data()));
    bytes = {p, len};
  } else {
    bytes = {mbuf_bytes(frame), frame->data_len};
  }
  const wire::DecodedFrame d = wire::decode_frame(bytes, time_ns, counters_.decode);
  switch (d.status) {
    case wire::DecodeStatus::tcp:
      if (!in_scratch) {
        // The payload points into the frame: keep both until the burst is handed over.
        burst_segments_[burst_size_] = d.segment;
        segment_frame_[burst_size_] = held_frame_;
        burst_frames_[burst_size_++] = frame;
        return d.segment.tuple;
      }
      // The payload is in scratch_, which the next chained frame overwrites: hand it over now, after the
      // segments received before it.
      hand_over_burst();
      deliver({&d.segment, 1}, nullptr);
      rte_pktmbuf_free(frame);
      return d.segment.tuple;
    case wire::DecodeStatus::ipv4_fragment:
    case wire::DecodeStatus::ipv6_fragment:
      hand_over_burst();  // a datagram it completes must come after the segments received before it
      set_header_lengths(frame, d.l2_len, d.l3_len);
      // the reassembly table owns the frame now
      return handle_fragment(frame, d.status == wire::DecodeStatus::ipv6_fragment, shared_with_tx, time_ns);
    case wire::DecodeStatus::dropped:
      break;
  }
  rte_pktmbuf_free(frame);
  return std::nullopt;
}

std::optional<FlowTuple> Worker::handle_fragment(rte_mbuf* frame, bool ipv6, bool shared_with_tx,
                                                 std::uint64_t time_ns) {
  // Reassembly rewrites mbuf headers and chains them; a frame still queued for TX must not change, so
  // the table gets a private copy. Chained fragments are linearised the same way (rte_ip_frag wants
  // one segment per fragment).
  if (shared_with_tx || frame->nb_segs > 1) {
    const auto l2_len = static_cast<std::uint16_t>(frame->l2_len);
    const auto l3_len = static_cast<std::uint16_t>(frame->l3_len);
    rte_mbuf* copy = rte_pktmbuf_copy(frame, setup_.pool, 0, UINT32_MAX);
    rte_pktmbuf_free(frame);
    if (copy == nullptr || copy->nb_segs > 1) {
      if (copy != nullptr) rte_pktmbuf_free(copy);
      ++counters_.reassembly_copy_failed;
      counters_.decode.drop(wire::DecodeDrop::reassembly_failed);
      return std::nullopt;
    }
    set_header_lengths(copy, l2_len, l3_len);
    frame = copy;
  }
  rte_mbuf* whole = reassembly_.add(frame, rte_rdtsc(), ipv6);
  if (whole == nullptr) return std::nullopt;
  ++(ipv6 ? counters_.decode.ipv6_reassembled : counters_.decode.ipv4_reassembled);
  const std::uint32_t len = std::min<std::uint32_t>(whole->pkt_len, kScratchBytes);
  const auto* p = static_cast<const std::uint8_t*>(rte_pktmbuf_read(whole, 0, len, scratch_.data()));
  const wire::DecodedFrame d = wire::decode_frame({p, len}, time_ns, counters_.decode, /*reassembled=*/true);
  std::optional<FlowTuple> flow;
  if (d.status == wire::DecodeStatus::tcp) {
    deliver({&d.segment, 1}, nullptr);
    flow = d.segment.tuple;
  }
  rte_pktmbuf_free(whole);
  return flow;
}

std::string_view worker_counter_help(std::string_view name) {
#define DIJK_HELP(counter, help) \
  if (name == #counter) return help;
  DIJK_WORKER_COUNTERS(DIJK_HELP)
#undef DIJK_HELP
  if (name == "fragments_expired") return "fragment chains the reassembly table expired unfinished";
  return wire::decode_counter_help(name);
}

CounterList Worker::counter_list() const {
  CounterList out;
  const auto& c = counters_;
#define DIJK_APPEND(name, help) out.emplace_back(#name, c.name);
  DIJK_WORKER_COUNTERS(DIJK_APPEND)
#undef DIJK_APPEND
  out.emplace_back("cpu_ns", c.cpu_ns);
#define DIJK_APPEND(name, help) out.emplace_back(#name, c.decode.name);
  DIJK_DECODE_COUNTERS(DIJK_APPEND)
#undef DIJK_APPEND
  out.emplace_back("fragments_expired", reassembly_.counters().freed);
  for (std::size_t r = 0; r < wire::kDecodeDropCount; ++r)
    out.emplace_back("drop_" + std::string(wire::decode_drop_name(static_cast<wire::DecodeDrop>(r))),
                     c.decode.drops[r]);
  consumer_->append_counters(out);
  return out;
}

}  // namespace dijk::dpdk
