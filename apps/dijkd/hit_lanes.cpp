#include "apps/dijkd/hit_lanes.h"

#include <cstdio>

#include "control/journal/journal_writer.h"

namespace dijk {

// One thread's lane: append to the journal, wait until the journal has committed it (the writer commits at
// once for a waiting producer: one fdatasync, ~1 ms, paid by the lcore that found the hit; hits are rare),
// then report it.
class HitLanes::DurableLane final : public HitSink {
 public:
  DurableLane(journal::JournalWriter::Producer& lane, HitLanes& owner) : lane_(lane), owner_(owner) {}
  void on_hit(const HitEvent& hit) override {
    bool durable = false;
    try {
      durable = lane_.wait_durable(lane_.append(hit));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dijkd: journal: %s\n", e.what());
    }
    if (durable) {
      ++owner_.durable_;
    } else {
      // The journal was closed (or its disk is full at shutdown): the hit is still reported, and counted,
      // so the operator sees evidence that did not reach the journal.
      ++owner_.not_durable_;
      std::fprintf(stderr, "dijkd: journal: a hit could not be made durable (see journal_not_durable)\n");
    }
    owner_.reported_.on_hit(hit);
  }

 private:
  journal::JournalWriter::Producer& lane_;
  HitLanes& owner_;
};

HitLanes::HitLanes(HitSink& reported, journal::JournalWriter* journal)
    : reported_(reported), journal_(journal) {}

HitLanes::~HitLanes() = default;

HitSink& HitLanes::new_lane() {
  if (journal_ == nullptr) return reported_;
  std::lock_guard lock(mutex_);
  lanes_.push_back(std::make_unique<DurableLane>(journal_->register_producer(), *this));
  return *lanes_.back();
}

void HitLanes::append_counters(dpdk::CounterList& out) const {
  if (journal_ == nullptr) return;
  out.emplace_back("journal_durable_hits", durable_.load());
  out.emplace_back("journal_not_durable", not_durable_.load());
  const auto s = journal_->stats();
  out.emplace_back("journal_records_committed", s.records_committed);
  out.emplace_back("journal_commits", s.commits);
  out.emplace_back("journal_disk_full_events", s.disk_full_events);
  out.emplace_back("journal_io_errors", s.io_errors);
  out.emplace_back("journal_ring_full_waits", s.ring_full_waits);
  out.emplace_back("journal_recovered_cut_bytes", s.recovered_cut_bytes);
  out.emplace_back("journal_disk_full", s.disk_full ? 1 : 0);
}

}  // namespace dijk
