#include "dataplane/pipeline/ips_verdicts.h"

#include <algorithm>

namespace dijk {

IpsVerdicts::IpsVerdicts(VerdictPolicy policy, HitSink& lane, StreamCounters& counters)
    : policy_(std::move(policy)), lane_(lane), counters_(counters) {
  // A burst is 32 frames; a few files ending in one is already rare. Growing past this allocates once.
  blocks_.reserve(32);
  taken_.reserve(32);
}

bool IpsVerdicts::blocked_now(const FlowTuple& flow) const {
  return std::any_of(blocks_.begin(), blocks_.end(), [&](const ips::Block& b) { return b.flow == flow; });
}

void IpsVerdicts::on_hit(const HitEvent& hit) {
  if (!hit.flow || policy_.action_for(hit.list, hit.category) != Verdict::block) {
    lane_.on_hit(hit);
    return;
  }
  if (!held_) {
    ++counters_.ips_fail_open_unheld;
    lane_.on_hit(hit);
    return;
  }
  HitEvent blocked = hit;
  blocked.action = kActionBlocked;
  if (lane_.try_hit(blocked)) {
    ++counters_.ips_blocked;
    if (!blocked_now(*hit.flow)) blocks_.push_back(ips::Block{*hit.flow, segment_});
    return;
  }
  if (blocked_now(*hit.flow)) {
    // Another hit of the same file (another digest, another list) already stopped this connection: this
    // one says so too, and the lane counts it if it cannot take it either.
    lane_.on_hit(blocked);
    return;
  }
  // Fail open: the bridge forwards; the hit still goes to the lane to be reported when it can be.
  ++counters_.ips_fail_open_journal;
  lane_.on_hit(hit);
}

std::span<const ips::Block> IpsVerdicts::take_blocks() {
  taken_.swap(blocks_);
  blocks_.clear();
  return taken_;
}

}  // namespace dijk
