#include "dataplane/stream/tcp_reassembler.h"

#include <algorithm>

#include "dataplane/stream/seq.h"

namespace dijk {
namespace {
constexpr std::uint64_t kExpiryInterval = 1'000'000'000ull;  // look for idle flows once a second

// In the order flows are evicted when the table is full: what costs nothing to lose first.
constexpr FlowStage kAllStages[] = {FlowStage::bypassed, FlowStage::embryonic, FlowStage::active};

FlowTuple reversed(const FlowTuple& t) {
  return {t.dst, t.src, t.dst_port, t.src_port};
}
}  // namespace

TcpReassembler::TcpReassembler(const ReassemblyConfig& config, FlowAppFactory& factory,
                               StreamCounters& counters)
    : config_(config),
      factory_(factory),
      counters_(counters),
      budget_(config.out_of_order_memory),
      table_(config.max_flows) {}

TcpReassembler::~TcpReassembler() {
  // Release held segments without delivering: the apps are destroyed with the table.
  for (FlowStage stage : kAllStages) {
    while (Flow* f = table_.oldest(stage)) {
      for (auto& h : f->half) h.discard(budget_);
      table_.erase(*f);
    }
  }
}

ReassemblyContext TcpReassembler::context(Flow& flow, Direction dir, std::uint64_t now_ns) {
  return ReassemblyContext{flow.app.get(),       dir, now_ns, counters_, budget_, config_.limits,
                           flow.overlap_conflict};
}

Flow* TcpReassembler::create(const FlowTuple& client, std::uint64_t now_ns) {
  if (table_.full()) {
    Flow* victim = nullptr;
    for (FlowStage stage : kAllStages) {
      victim = table_.oldest(stage);
      if (victim != nullptr) break;
    }
    // A bypassed flow loses nothing; any other may lose an upload, and that is what `evictions` tells.
    if (victim->stage == FlowStage::bypassed)
      ++counters_.bypassed_evictions;
    else
      ++counters_.evictions;
    end(*victim, FlowEnd::evicted, now_ns);
  }
  Flow& f = table_.insert(FlowKey::of(client), now_ns);
  f.client = client;
  f.app = factory_.create(client);
  ++counters_.flows;
  return &f;
}

void TcpReassembler::end(Flow& flow, FlowEnd how, std::uint64_t now_ns) {
  if (how != FlowEnd::reset && flow.stage != FlowStage::bypassed) {
    // Whatever is held goes to the app after its holes, so the app sees every byte it can.
    for (int d = 0; d < 2; ++d) {
      auto ctx = context(flow, static_cast<Direction>(d), now_ns);
      flow.half[d].flush(ctx);
    }
  }
  for (auto& h : flow.half) h.discard(budget_);
  if (flow.app) flow.app->on_close(how, now_ns);
  if (how == FlowEnd::closed || how == FlowEnd::reset) ++counters_.flows_closed;
  if (how == FlowEnd::timeout) ++counters_.flow_timeouts;
  table_.erase(flow);
}

void TcpReassembler::bypass(Flow& flow) {
  for (auto& h : flow.half) h.discard(budget_);
  flow.app.reset();
  table_.set_stage(flow, FlowStage::bypassed);
  ++counters_.flows_bypassed;
}

void TcpReassembler::process(const TcpSegment& seg) {
  ++counters_.packets;
  counters_.bytes += seg.payload.size();
  const std::uint64_t now = seg.time_ns;
  if (now >= last_expiry_ns_ + kExpiryInterval) expire(now);

  const bool syn = (seg.flags & tcp_flags::syn) != 0;
  const bool ack = (seg.flags & tcp_flags::ack) != 0;
  const bool rst = (seg.flags & tcp_flags::rst) != 0;
  const bool fin = (seg.flags & tcp_flags::fin) != 0;

  Flow* flow = table_.find(FlowKey::of(seg.tuple));
  if (flow != nullptr && syn && !ack && seg.tuple == flow->client && flow->half[0].initialized() &&
      flow->half[0].next_seq() != seg.seq + 1) {
    // A new connection reusing the 4-tuple of one we still track.
    end(*flow, FlowEnd::closed, now);
    flow = nullptr;
  }
  if (flow == nullptr) {
    if (rst) return;
    if (syn && !ack) {
      if (!factory_.wants(seg.tuple)) {
        counters_.drop(DropReason::not_http_port);
        return;
      }
      flow = create(seg.tuple, now);
      flow->half[0].init(seg.seq + 1);
      return;
    }
    if (!config_.midstream) {
      if (!seg.payload.empty()) counters_.drop(DropReason::no_flow);
      return;
    }
    // Midstream pickup: the side talking to an HTTP port is the client (any side when every port is; the
    // app turns the flow round if the request line comes from the other side).
    FlowTuple client = seg.tuple;
    if (syn || !factory_.wants(client)) client = reversed(seg.tuple);
    if (!factory_.wants(client)) {
      counters_.drop(DropReason::not_http_port);
      return;
    }
    if (seg.payload.empty() && !syn) return;  // a bare ACK does not open a flow
    flow = create(client, now);
  }

  const Direction dir = seg.tuple == flow->client ? Direction::client_to_server : Direction::server_to_client;
  TcpHalfStream& half = flow->half[static_cast<int>(dir)];
  table_.touch(*flow, now);

  if (rst) {
    end(*flow, FlowEnd::reset, now);
    return;
  }
  if (flow->stage == FlowStage::bypassed) {
    // Only the end of the flow is followed, so that its entry goes with it.
    if (!seg.payload.empty()) counters_.drop(DropReason::bypassed);
    if (fin) half.set_fin(seg.seq + static_cast<std::uint32_t>(seg.payload.size()));
    if (flow->half[0].fin_seen() && flow->half[1].fin_seen()) end(*flow, FlowEnd::closed, now);
    return;
  }
  if (syn) {
    if (!half.initialized()) half.init(seg.seq + 1);
    // A SYN's payload (TCP Fast Open) is rare for HTTP uploads and not followed.
    return;
  }
  if (!half.initialized()) {
    // The SYN of this direction was missed (e.g. a lost SYN-ACK): the stream starts here.
    half.init(seg.seq);
  }
  if (!seg.payload.empty()) {
    if (half.complete() && !seq::lt(seg.seq, half.next_seq())) {
      counters_.drop(DropReason::after_close);
    } else {
      table_.set_stage(*flow, FlowStage::active);
      auto ctx = context(*flow, dir, now);
      half.receive(seg.seq, seg.payload, ctx);
      if (flow->app != nullptr && flow->app->declined()) bypass(*flow);
    }
  }
  if (fin && !half.fin_seen()) {
    half.set_fin(seg.seq + static_cast<std::uint32_t>(seg.payload.size()));
  }
  if (flow->stage == FlowStage::bypassed) {
    if (flow->half[0].fin_seen() && flow->half[1].fin_seen()) end(*flow, FlowEnd::closed, now);
    return;
  }
  if (flow->half[0].complete() && flow->half[1].complete()) {
    end(*flow, FlowEnd::closed, now);
  }
}

void TcpReassembler::expire(std::uint64_t now_ns) {
  last_expiry_ns_ = now_ns;
  // A bypassed flow waits as long as a followed one: were it forgotten while still alive, its next
  // segments would be picked up again (midstream) or counted as flows nobody knows.
  const std::uint64_t timeouts[kFlowStages] = {config_.embryonic_timeout_ns, config_.idle_timeout_ns,
                                               config_.idle_timeout_ns};
  for (FlowStage stage : kAllStages) {
    const std::uint64_t timeout = timeouts[static_cast<int>(stage)];
    while (Flow* f = table_.oldest(stage)) {
      if (f->last_seen_ns + timeout > now_ns) break;
      // Flows where both sides said FIN but bytes were missing end as closed, with their gaps.
      end(*f, f->half[0].fin_seen() && f->half[1].fin_seen() ? FlowEnd::closed : FlowEnd::timeout, now_ns);
    }
  }
}

void TcpReassembler::close_all(std::uint64_t now_ns) {
  for (FlowStage stage : kAllStages) {
    while (Flow* f = table_.oldest(stage)) end(*f, FlowEnd::shutdown, now_ns);
  }
}

}  // namespace dijk
