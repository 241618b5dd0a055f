// The swap holder under concurrent readers: no reader ever sees a released object, every reader sees
// each new version soon after its swap, and at most two versions are ever alive.
#include "hashcore/setswap/epoch_holder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace dijk {
namespace {

// Stands in for a mapped set: poisons itself on destruction so a use-after-release is seen (and ASan
// reports it in the sanitizer preset).
struct Version {
  explicit Version(std::uint64_t v, std::atomic<int>& alive) : value(v), live(alive) {
    const int n = ++live;
    int seen = peak.load();
    while (n > seen && !peak.compare_exchange_weak(seen, n)) {
    }
  }
  ~Version() {
    check = 0xdead;
    --live;
  }
  std::uint64_t value;
  std::uint64_t check = 0x600d;
  std::atomic<int>& live;
  static inline std::atomic<int> peak{0};
};

TEST(EpochHolder, ReadersNeverSeeAReleasedVersionAndAtMostTwoLive) {
  std::atomic<int> alive{0};
  Version::peak = 0;
  EpochHolder<const Version> holder(std::make_shared<const Version>(1, alive));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> lookups{0};
  std::atomic<std::uint64_t> bad{0};
  std::atomic<int> started{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      auto reader = holder.register_reader();
      std::uint64_t last = 0;
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto guard = reader.read();
        if (guard->check != 0x600d) ++bad;
        if (guard->value < last) ++bad;  // versions only move forward
        last = guard->value;
        if (++n == 1) ++started;
      }
      lookups += n;
    });
  }
  // Every reader is inside its loop before the first swap, so swaps really race lookups even on a loaded
  // machine.
  while (started.load() < 3) std::this_thread::yield();
  constexpr std::uint64_t kSwaps = 300;
  for (std::uint64_t v = 2; v <= kSwaps; ++v) holder.swap(std::make_shared<const Version>(v, alive));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(lookups.load(), 0u);
  EXPECT_LE(Version::peak.load(), 2);  // old + new, never more
  EXPECT_EQ(alive.load(), 1);
  EXPECT_EQ(holder.current()->value, kSwaps);
  EXPECT_EQ(holder.swaps(), kSwaps - 1);
}

TEST(EpochHolder, ALookupInFlightFinishesOnTheOldVersionAndSwapWaitsForIt) {
  std::atomic<int> alive{0};
  EpochHolder<const Version> holder(std::make_shared<const Version>(1, alive));
  auto reader = holder.register_reader();
  std::atomic<bool> swapped{false};
  std::thread writer;
  {
    auto guard = reader.read();
    writer = std::thread([&] {
      holder.swap(std::make_shared<const Version>(2, alive));
      swapped = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(swapped.load());  // the writer waits for this lookup...
    EXPECT_EQ(guard->value, 1u);   // ...which still reads the old version, intact
    EXPECT_EQ(guard->check, 0x600du);
    EXPECT_EQ(alive.load(), 2);
  }
  writer.join();
  EXPECT_TRUE(swapped.load());
  EXPECT_EQ(alive.load(), 1);
  EXPECT_EQ(reader.read()->value, 2u);  // new lookups use the new version
}

TEST(EpochHolder, SlotsAreReusedWhenReadersGo) {
  std::atomic<int> alive{0};
  EpochHolder<const Version> holder(std::make_shared<const Version>(1, alive));
  for (int i = 0; i < 1000; ++i) {
    auto r = holder.register_reader();
    EXPECT_EQ(r.read()->value, 1u);
  }
  std::vector<EpochHolder<const Version>::Reader> all;
  for (std::size_t i = 0; i < EpochHolder<const Version>::kMaxReaders; ++i)
    all.push_back(holder.register_reader());
  EXPECT_THROW(holder.register_reader(), std::runtime_error);
}

}  // namespace
}  // namespace dijk
