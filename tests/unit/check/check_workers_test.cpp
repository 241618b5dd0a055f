#include "apps/dijk-check/check_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace dijk::check {
namespace {

// A job is taken by whichever worker is free: two jobs that each wait for the other both finish, which they
// could not if jobs were bound to one thread (as connections are to libmicrohttpd's polling threads).
TEST(CheckWorkers, AFreeWorkerTakesTheNextJob) {
  CheckWorkers workers(2);
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0, finished = 0;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(workers.post([&] {
      std::unique_lock lock(m);
      ++arrived;
      cv.notify_all();
      // Bounded only so that a broken pool fails the test instead of hanging it.
      if (cv.wait_for(lock, std::chrono::seconds(30), [&] { return arrived == 2; })) ++finished;
      cv.notify_all();
    }));
  }
  std::unique_lock lock(m);
  cv.wait_for(lock, std::chrono::seconds(60), [&] { return finished == 2; });
  EXPECT_EQ(finished, 2);
}

TEST(CheckWorkers, StopRunsEveryQueuedJobFirst) {
  std::atomic<int> done{0};
  CheckWorkers workers(1);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(workers.post([&] { done.fetch_add(1); }));
  workers.stop();
  EXPECT_EQ(done.load(), 100);  // every parked request gets its answer before the server stops
}

TEST(CheckWorkers, RefusesJobsOnceStoppingSoTheCallerRunsThem) {
  CheckWorkers workers(2);
  workers.stop();
  bool ran = false;
  EXPECT_FALSE(workers.post([&] { ran = true; }));
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace dijk::check
