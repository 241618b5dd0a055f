#pragma once
// Where each producing thread (a worker lcore, a PDQ thread) sends its hits. With a journal, every thread
// gets its own journal lane (JournalWriter::Producer: a lock-free ring to the writer thread) and a hit is
// reported (printed, counted) only once the journal says it is durable: evidence first. Without one, the
// lanes are the reporting sink itself.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/hit_event.h"
#include "dataplane/dpdk/segment_consumer.h"

namespace dijk {

namespace journal {
class JournalWriter;
}

class HitLanes {
 public:
  // `journal` may be null.
  HitLanes(HitSink& reported, journal::JournalWriter* journal);
  ~HitLanes();
  HitLanes(const HitLanes&) = delete;
  HitLanes& operator=(const HitLanes&) = delete;

  // A sink for one producing thread, owned by this object. Call once per thread, before it starts.
  HitSink& new_lane();
  void append_counters(dpdk::CounterList& out) const;

 private:
  class DurableLane;
  HitSink& reported_;
  journal::JournalWriter* journal_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<DurableLane>> lanes_;
  std::atomic<std::uint64_t> durable_{0};
  std::atomic<std::uint64_t> not_durable_{0};
};

}  // namespace dijk
