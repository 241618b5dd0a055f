// The walker-to-readers queue: every task pushed is taken exactly once, by whichever reader, however small
// the queue (a full queue puts the walker to sleep until the readers have drained half of it, down to an
// empty queue at capacity 1), and close() ends the readers once it is drained.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/filescan/path_walker.h"

namespace dijk {
namespace {

void push_and_drain(std::size_t capacity, std::size_t tasks, unsigned readers) {
  FileTaskQueue queue(capacity);
  std::vector<std::atomic<int>> taken(tasks);
  std::vector<std::thread> threads;
  for (unsigned r = 0; r < readers; ++r) {
    threads.emplace_back([&, r] {
      // Half the readers use the non-blocking pop between blocking ones, as the io_uring reader does.
      for (;;) {
        auto t = (r % 2 == 1) ? queue.try_pop() : std::nullopt;
        if (!t) t = queue.pop();
        if (!t) return;
        taken[t->size].fetch_add(1);
      }
    });
  }
  for (std::size_t i = 0; i < tasks; ++i) queue.push({"file" + std::to_string(i), i});
  queue.close();
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < tasks; ++i) ASSERT_EQ(taken[i].load(), 1) << "task " << i;
  EXPECT_TRUE(queue.closed_and_empty());
}

TEST(FileTaskQueue, EveryTaskIsTakenExactlyOnceWhateverTheCapacity) {
  for (const std::size_t capacity : {1u, 2u, 3u, 8u, 4096u}) {
    for (const unsigned readers : {1u, 2u, 5u}) push_and_drain(capacity, 5000, readers);
  }
}

}  // namespace
}  // namespace dijk
