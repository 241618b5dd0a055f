#include "apps/dijkd/hit_lanes.h"

#include <algorithm>
#include <cstdio>

#include "control/journal/record.h"

namespace dijk {

// One thread's lane: queue the hit in the journal's ring and return at once. The writer thread commits it
// within the journal's max_commit_latency and reports it (report_committed).
class HitLanes::QueueingLane final : public HitSink {
 public:
  QueueingLane(journal::JournalWriter::Producer& lane, HitLanes& owner) : lane_(lane), owner_(owner) {}
  void on_hit(const HitEvent& hit) override {
    if (lane_.try_append(hit)) {
      owner_.queued_.fetch_add(1, std::memory_order_relaxed);
    } else {
      owner_.count_unjournalled();
    }
  }
  // Taken only while the journal can write (its disk is not known to be full) and the ring has room: a
  // block the bridge enacts must be on its way to disk. Refused, nothing is counted: the caller decides.
  bool try_hit(const HitEvent& hit) override {
    if (owner_.journal_->disk_full() || !lane_.try_append(hit)) return false;
    owner_.queued_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

 private:
  journal::JournalWriter::Producer& lane_;
  HitLanes& owner_;
};

HitLanes::HitLanes(HitSink& reported, std::optional<journal::JournalOptions> journal) : reported_(reported) {
  if (!journal) return;
  journal->on_commit = [this](std::span<const std::uint8_t> records) { report_committed(records); };
  journal_ = std::make_unique<journal::JournalWriter>(std::move(*journal));
}

HitLanes::~HitLanes() {
  close();
}

void HitLanes::close() {
  if (journal_) journal_->close();
}

HitSink& HitLanes::new_lane() {
  if (!journal_) return reported_;
  std::lock_guard lock(mutex_);
  lanes_.push_back(std::make_unique<QueueingLane>(journal_->register_producer(), *this));
  return *lanes_.back();
}

void HitLanes::count_unjournalled() {
  unjournalled_.fetch_add(1, std::memory_order_relaxed);
  // Once per run, from the producing thread: one short write to stderr, then only the counters speak.
  if (!warned_.exchange(true)) {
    std::fprintf(stderr,
                 "dijkd: ALARM: the journal cannot keep up (disk full or slow): hits are not journalled "
                 "(counted in journal_hits_unjournalled); forwarding goes on\n");
  }
}

void HitLanes::report_committed(std::span<const std::uint8_t> records) {
  while (!records.empty()) {
    const journal::FrameCheck frame = journal::check_frame(records);
    if (frame.status != journal::FrameStatus::ok) {  // the writer only commits whole frames
      undecodable_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const auto record =
        journal::decode_payload(records.subspan(journal::kFrameHeaderSize, frame.payload_size));
    records = records.subspan(journal::kFrameHeaderSize + frame.payload_size);
    if (!record) {
      undecodable_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    journalled_.fetch_add(1, std::memory_order_relaxed);
    reported_.on_hit(record->hit);
  }
}

std::uint64_t HitLanes::unjournalled() const {
  if (!journal_) return 0;
  return unjournalled_.load() + journal_->stats().records_lost;
}

std::uint64_t HitLanes::pending() const {
  const std::uint64_t queued = queued_.load();
  const std::uint64_t done = journalled_.load() + undecodable_.load() + journal_->stats().records_lost;
  return queued - std::min(queued, done);
}

std::vector<std::string> HitLanes::alarms() const {
  std::vector<std::string> out;
  if (!journal_) return out;
  const auto s = journal_->stats();
  if (s.disk_full) {
    out.push_back("journal disk full: " + std::to_string(pending()) +
                  " hits wait in memory for room; forwarding goes on");
  }
  if (const std::uint64_t n = unjournalled(); n > 0) {
    out.push_back(std::to_string(n) + " hits not journalled (the journal could not keep up); never reported");
  }
  return out;
}

// X(name, gauge, help, value): the journal's counters as the daemon reports them (s: the writer's stats).
#define DIJK_JOURNAL_COUNTERS(X)                                                                          \
  X(journal_hits_journalled, false, "hits made durable in the journal", journalled_.load())               \
  X(journal_hits_unjournalled, false, "hits the journal could not take (never reported)", unjournalled()) \
  X(journal_hits_pending, true, "hits handed to the journal, not yet durable", pending())                 \
  X(journal_hits_undecodable, false, "hits the journal could not encode", undecodable_.load())            \
  X(journal_records_committed, false, "journal records committed", s.records_committed)                   \
  X(journal_commits, false, "journal commits (fdatasync calls that succeeded)", s.commits)                \
  X(journal_disk_full_events, false, "journal writes refused for lack of space", s.disk_full_events)      \
  X(journal_io_errors, false, "journal writes or syncs that failed otherwise", s.io_errors)               \
  X(journal_recovered_cut_bytes, false, "torn journal tail bytes cut at open", s.recovered_cut_bytes)     \
  X(journal_disk_full, true, "1 while journal commits fail for lack of space", s.disk_full ? 1u : 0u)

void HitLanes::append_counters(dpdk::CounterList& out) const {
  if (!journal_) return;
  const auto s = journal_->stats();
#define DIJK_APPEND(name, gauge, help, value) out.emplace_back(#name, value);
  DIJK_JOURNAL_COUNTERS(DIJK_APPEND)
#undef DIJK_APPEND
}

dpdk::CounterInfo HitLanes::counter_info(std::string_view name) {
#define DIJK_INFO(counter, gauge, help, value) \
  if (name == #counter) return {help, gauge};
  DIJK_JOURNAL_COUNTERS(DIJK_INFO)
#undef DIJK_INFO
  return {};
}

}  // namespace dijk
