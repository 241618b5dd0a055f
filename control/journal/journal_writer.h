#pragma once
// The durable hit journal's writer. Producers (worker lcores, scan threads) hand framed records to one
// writer thread through bounded lock-free single-producer rings, one ring per registered producer; the
// writer drains all rings into one batch, writes it with one io_uring write+fdatasync (group commit) and
// then publishes how far each producer is durable. See docs/journal.md.
#include <array>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "control/journal/commit_marker.h"
#include "control/journal/io_backend.h"
#include "core/hit_event.h"

namespace dijk::journal {

struct JournalOptions {
  std::filesystem::path dir;
  std::string appliance_id;
  // The longest a hit waits in a ring before the writer starts the commit that covers it. Hits arriving
  // together within this window share one fdatasync. A producer that waits for durability cuts it short.
  std::chrono::microseconds max_commit_latency{10'000};
  std::uint64_t segment_bytes = 16ull << 20;  // roll to a new segment file past this size
  // Retention: acknowledged segments are deleted, oldest first, only while the journal exceeds this.
  std::uint64_t retention_bytes = 1ull << 30;
  std::filesystem::path ack_state;    // the reporter's state file; empty: nothing is ever acknowledged
  std::size_t ring_bytes = 1u << 20;  // capacity of each producer's ring
  std::size_t max_batch_bytes = 4u << 20;
  std::chrono::milliseconds retry_interval{100};  // after ENOSPC or an I/O error
  bool force_plain_io = false;                    // skip io_uring (benchmarks compare both)
  std::function<void(std::string_view)> log;      // default: stderr
  // Called on the writer thread after each successful commit with the framed records it made durable
  // (whole records; each producer's in the order it appended them). This is where a caller reports hits
  // only once they are durable, without any producer waiting for the disk. Must not call the writer.
  std::function<void(std::span<const std::uint8_t>)> on_commit;
};

struct JournalStats {
  std::uint64_t records_committed = 0;
  std::uint64_t bytes_committed = 0;
  std::uint64_t commits = 0;              // fdatasync calls that succeeded
  std::uint64_t durable_position = 0;     // logical end of durable data
  std::uint64_t recovered_cut_bytes = 0;  // torn/corrupt tail cut at open
  std::uint64_t ring_full_waits = 0;      // producer pushes that had to wait for room (never drops)
  std::uint64_t disk_full_events = 0;     // ENOSPC/EDQUOT write attempts
  std::uint64_t io_errors = 0;            // other failed write/fdatasync attempts
  std::uint64_t segments_deleted = 0;
  std::uint64_t records_lost = 0;  // queued, but the writer closed while the disk was full: never written
  bool disk_full = false;          // the alarm: set while commits fail for lack of space
  std::string backend;
};

class JournalWriter : public HitSink {
 public:
  // One producing thread's lane. append()/on_hit() may only be called from one thread at a time.
  class Producer : public HitSink {
   public:
    void on_hit(const HitEvent& hit) override { append(hit); }
    // Queues the hit and returns its ticket: this producer's count of appended hits. Never drops: when
    // the ring is full it waits for the writer (counted in ring_full_waits). Throws if the writer was
    // closed while it waited.
    std::uint64_t append(const HitEvent& hit);
    // Queues the hit without ever waiting (for a forwarding lcore): false when the ring has no room for it
    // (the writer is behind: a full or slow disk) or the writer is closed. The caller counts what it could
    // not queue. A queued hit counts toward the tickets as append()'s do.
    bool try_append(const HitEvent& hit);
    // Blocks until every hit up to ticket is durable (asks the writer to commit now).
    // Returns false only when the writer stopped first (close() while the disk was full).
    bool wait_durable(std::uint64_t ticket);
    std::uint64_t durable_ticket() const { return durable_.load(std::memory_order_acquire); }

   private:
    friend class JournalWriter;
    Producer(JournalWriter& writer, std::size_t ring_bytes);
    JournalWriter& writer_;
    boost::lockfree::spsc_queue<std::uint8_t> ring_;
    std::vector<std::uint8_t> scratch_;
    std::uint64_t appended_ = 0;
    std::uint64_t drained_ = 0;  // writer thread only
    std::atomic<std::uint64_t> durable_{0};
  };

  // Opens (creating if needed) the journal, cuts a torn tail, and starts the writer thread. Throws on
  // errors that leave no journal to write to (directory, lock held by another writer).
  explicit JournalWriter(JournalOptions options);
  ~JournalWriter() override;
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Registers a producing thread; the returned lane lives as long as the writer. Thread-safe.
  Producer& register_producer();

  // For callers that did not register: a shared lane behind a mutex (fine for low rates, e.g. scans).
  void on_hit(const HitEvent& hit) override;
  std::uint64_t append_shared(const HitEvent& hit);
  bool wait_durable_shared(std::uint64_t ticket);

  // Total records made durable since open, and a wait on it.
  std::uint64_t commit_sequence() const { return committed_records_.load(std::memory_order_acquire); }
  std::uint64_t durable_position() const { return durable_position_.load(std::memory_order_acquire); }
  bool disk_full() const { return disk_full_.load(std::memory_order_acquire); }
  JournalStats stats() const;

  // Drains every ring, commits, stops the thread. Called by the destructor. If the disk is full at that
  // point, the hits that could not be written are counted in the log (there is nowhere else to keep them).
  void close();

 private:
  static constexpr std::size_t kMaxProducers = 256;
  void recover();
  void run();
  std::size_t drain(std::vector<std::uint8_t>& batch,
                    std::vector<std::pair<Producer*, std::uint64_t>>& counts, std::uint64_t& records);
  bool commit(const std::vector<std::uint8_t>& batch, bool stopping);
  void report_commit(const std::vector<std::uint8_t>& batch);
  void open_segment(std::uint64_t start, bool create);
  void maybe_roll();
  void apply_retention();
  void poke();
  void log(const std::string& message) const;

  JournalOptions options_;
  std::unique_ptr<IoBackend> io_;
  std::unique_ptr<CommitMarker> marker_;
  int lock_fd_ = -1;
  int segment_fd_ = -1;
  std::uint64_t segment_start_ = 0;
  std::uint64_t segment_offset_ = 0;  // bytes durable in the active segment

  std::mutex register_mutex_;
  std::array<std::unique_ptr<Producer>, kMaxProducers> producers_;  // slots [0, producer_count_) are set
  std::atomic<std::size_t> producer_count_{0};
  std::mutex shared_mutex_;
  Producer* shared_ = nullptr;

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<bool> poked_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> stopped_{false};
  std::mutex durable_mutex_;
  std::condition_variable durable_cv_;

  std::atomic<std::uint64_t> committed_records_{0};
  std::atomic<std::uint64_t> durable_position_{0};
  std::atomic<bool> disk_full_{false};
  mutable std::mutex stats_mutex_;
  JournalStats stats_;
  std::atomic<std::uint64_t> ring_full_waits_{0};
  std::chrono::steady_clock::time_point last_retention_{};
  std::thread thread_;
  bool closed_ = false;
};

}  // namespace dijk::journal
