#pragma once
// Where each producing thread (a worker lcore, a PDQ thread) sends its hits. With a journal, every thread
// gets its own journal lane (JournalWriter::Producer: a bounded lock-free ring to the journal's writer
// thread) and hands each hit over without ever waiting, so a forwarding lcore never waits on the disk. The
// writer thread reports a hit (prints, counts it) only once its commit has made it durable: evidence first.
// A hit that finds its lane full (the disk is full or too slow) is not journalled: it is counted and
// alarmed, and the bridge goes on. Without a journal, the lanes are the reporting sink itself. A lane's
// try_hit (prevention on the inline bridge) takes a hit only while the journal's disk is not known to be
// full and its ring has room, so a block is enacted only for a hit on its way to disk.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "control/journal/journal_writer.h"
#include "core/hit_event.h"
#include "core/hit_lane_source.h"
#include "dataplane/dpdk/segment_consumer.h"

namespace dijk {

class HitLanes final : public HitLaneSource {
 public:
  // Without `journal` hits go straight to `reported`. With it, HitLanes opens and owns the journal (throws
  // as JournalWriter does); `reported` is then called on the journal's writer thread.
  HitLanes(HitSink& reported, std::optional<journal::JournalOptions> journal);
  ~HitLanes();  // close()
  HitLanes(const HitLanes&) = delete;
  HitLanes& operator=(const HitLanes&) = delete;

  // A sink for one producing thread, owned by this object. Call once per thread, before it starts.
  HitSink& new_lane() override;
  // Once every producer has stopped: commits what the lanes queued and reports it; what the disk could not
  // take by then is counted as unjournalled. Idempotent.
  void close();

  // Hits found but not in the journal (their lane was full, or the journal closed before it could write
  // them). They are never reported: the counters and the alarm are their only trace.
  std::uint64_t unjournalled() const;
  // What an operator must act on, for `dijkctl status`: empty while the journal keeps up.
  std::vector<std::string> alarms() const;
  void append_counters(dpdk::CounterList& out) const;
  static dpdk::CounterInfo counter_info(std::string_view name);

 private:
  class QueueingLane;
  void report_committed(std::span<const std::uint8_t> records);
  void count_unjournalled();
  // Handed to a lane but neither committed nor lost yet (with a journal only).
  std::uint64_t pending() const;

  HitSink& reported_;
  std::unique_ptr<journal::JournalWriter> journal_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<QueueingLane>> lanes_;
  std::atomic<std::uint64_t> queued_{0};        // handed to a lane's ring
  std::atomic<std::uint64_t> journalled_{0};    // committed, then reported
  std::atomic<std::uint64_t> unjournalled_{0};  // the lane's ring was full
  std::atomic<std::uint64_t> undecodable_{0};   // committed but not readable back (a bug if ever > 0)
  std::atomic<bool> warned_{false};
};

}  // namespace dijk
