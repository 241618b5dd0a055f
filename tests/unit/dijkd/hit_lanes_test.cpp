// HitLanes with a real journal: a producing thread (a forwarding lcore) hands hits over without ever
// waiting for the journal; a hit is reported only once committed; what the journal could not take is
// counted as unjournalled and alarmed.
#include "apps/dijkd/hit_lanes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "control/journal/journal_reader.h"
#include "tests/unit/journal/journal_test_dir.h"
#include "tests/unit/journal/test_hits.h"

namespace dijk {
namespace {

using journal::testing::hit_number;
using journal::testing::wire_hit;

// Reports into a list; while `hold` is set the first report blocks, which stalls the journal's writer
// thread (it reports on that thread) as a full or very slow disk would.
class HoldingSink : public HitSink {
 public:
  explicit HoldingSink(bool hold) : hold_(hold) {}
  void on_hit(const HitEvent& hit) override {
    std::unique_lock lock(mutex_);
    numbers_.push_back(hit_number(hit));
    entered_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !hold_; });
  }
  void wait_entered() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }
  std::vector<std::uint64_t> numbers() {
    std::lock_guard lock(mutex_);
    return numbers_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_;
  bool entered_ = false;
  std::vector<std::uint64_t> numbers_;
};

journal::JournalOptions options(const std::filesystem::path& dir) {
  journal::JournalOptions o;
  o.dir = dir;
  o.appliance_id = "lanes-test";
  o.ring_bytes = 0;  // the smallest ring: one largest record
  o.log = [](std::string_view) {};
  return o;
}

std::uint64_t counter(const dpdk::CounterList& list, const std::string& name) {
  for (const auto& [n, v] : list)
    if (n == name) return v;
  ADD_FAILURE() << name << " missing";
  return 0;
}

TEST(HitLanes, AProducerNeverWaitsForAStalledJournalAndCountsWhatItCouldNotQueue) {
  journal::testing::TempDir tmp;
  HoldingSink sink(true);
  HitLanes lanes(sink, options(tmp.path() / "journal"));
  HitSink& lane = lanes.new_lane();

  lane.on_hit(wire_hit(0));
  sink.wait_entered();  // the writer has committed hit 0 and is now stuck reporting it

  // Far more hits than the ring holds (a few hundred bytes each, a ring of ~256 KiB). With a lane that
  // waits for the journal this thread would never return; the bound only catches that hang.
  constexpr std::uint64_t kHits = 5000;
  auto producer = std::async(std::launch::async, [&] {
    for (std::uint64_t i = 1; i <= kHits; ++i) lane.on_hit(wire_hit(i));
  });
  const bool returned = producer.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  EXPECT_TRUE(returned) << "the producing thread waited for the journal";

  dpdk::CounterList during;
  lanes.append_counters(during);
  const std::uint64_t unjournalled = counter(during, "journal_hits_unjournalled");
  EXPECT_GT(unjournalled, 0u);
  EXPECT_LT(unjournalled, kHits);  // what fitted in the ring is kept
  EXPECT_EQ(lanes.unjournalled(), unjournalled);
  const auto alarms = lanes.alarms();
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_NE(alarms[0].find("not journalled"), std::string::npos) << alarms[0];

  sink.release();
  producer.wait();
  lanes.close();

  dpdk::CounterList after;
  lanes.append_counters(after);
  const std::uint64_t journalled = counter(after, "journal_hits_journalled");
  EXPECT_EQ(journalled + unjournalled, kHits + 1);
  EXPECT_EQ(counter(after, "journal_hits_pending"), 0u);
  EXPECT_EQ(counter(after, "journal_hits_unjournalled"), unjournalled);
  // Every counter is declared with what it counts; levels are gauges, the rest counts.
  for (const auto& [name, value] : after) EXPECT_FALSE(HitLanes::counter_info(name).help.empty()) << name;
  EXPECT_TRUE(HitLanes::counter_info("journal_hits_pending").gauge);
  EXPECT_TRUE(HitLanes::counter_info("journal_disk_full").gauge);
  EXPECT_FALSE(HitLanes::counter_info("journal_hits_journalled").gauge);

  // Reported exactly what the journal holds, in the order the lane queued it.
  const auto reported = sink.numbers();
  EXPECT_EQ(reported.size(), journalled);
  EXPECT_TRUE(std::is_sorted(reported.begin(), reported.end()));
  journal::JournalReader reader(tmp.path() / "journal");
  std::vector<std::uint64_t> in_journal;
  while (auto e = reader.next()) in_journal.push_back(hit_number(e->record.hit));
  EXPECT_EQ(in_journal, reported);
}

// Prevention enacts a block only for a hit the lane took (try_hit): with the journal stalled, the lane
// takes what its ring holds, then refuses without waiting and without counting the hit as lost (the
// caller fails open and hands the hit on with on_hit, which counts it if it is lost).
TEST(HitLanes, TryHitTakesWhatTheRingHoldsThenRefusesWithoutCounting) {
  journal::testing::TempDir tmp;
  HoldingSink sink(true);
  HitLanes lanes(sink, options(tmp.path() / "journal"));
  HitSink& lane = lanes.new_lane();
  lane.on_hit(wire_hit(0));
  sink.wait_entered();  // the writer is stuck reporting hit 0: nothing drains the ring

  std::uint64_t taken = 0, refused = 0;
  for (std::uint64_t i = 1; i <= 5000; ++i) (lane.try_hit(wire_hit(i)) ? taken : refused) += 1;
  EXPECT_GT(taken, 0u);
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(lanes.unjournalled(), 0u);

  sink.release();
  lanes.close();
  dpdk::CounterList after;
  lanes.append_counters(after);
  EXPECT_EQ(counter(after, "journal_hits_journalled"), taken + 1);  // every hit taken is made durable
  EXPECT_EQ(counter(after, "journal_hits_unjournalled"), 0u);
}

TEST(HitLanes, AHitIsReportedOnceCommittedAndTheLanesCloseWithNothingPending) {
  journal::testing::TempDir tmp;
  HoldingSink sink(false);
  {
    HitLanes lanes(sink, options(tmp.path() / "journal"));
    HitSink& a = lanes.new_lane();
    HitSink& b = lanes.new_lane();
    for (std::uint64_t i = 0; i < 50; ++i) (i % 2 == 0 ? a : b).on_hit(wire_hit(i));
    lanes.close();
    EXPECT_EQ(lanes.unjournalled(), 0u);
    EXPECT_TRUE(lanes.alarms().empty());
    dpdk::CounterList c;
    lanes.append_counters(c);
    EXPECT_EQ(counter(c, "journal_hits_journalled"), 50u);
    EXPECT_EQ(counter(c, "journal_hits_pending"), 0u);
  }
  auto numbers = sink.numbers();
  std::sort(numbers.begin(), numbers.end());
  ASSERT_EQ(numbers.size(), 50u);
  for (std::uint64_t i = 0; i < 50; ++i) EXPECT_EQ(numbers[i], i);
}

TEST(HitLanes, WithoutAJournalTheLaneIsTheReportingSink) {
  HoldingSink sink(false);
  HitLanes lanes(sink, std::nullopt);
  lanes.new_lane().on_hit(wire_hit(7));
  EXPECT_TRUE(lanes.new_lane().try_hit(wire_hit(8)));  // a sink without a queue takes every hit
  EXPECT_EQ(sink.numbers(), (std::vector<std::uint64_t>{7, 8}));
  dpdk::CounterList c;
  lanes.append_counters(c);
  EXPECT_TRUE(c.empty());
}

}  // namespace
}  // namespace dijk
