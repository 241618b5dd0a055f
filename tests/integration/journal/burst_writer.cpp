// Test helper: a process that writes a burst of hits to the journal from several producer threads, and
// after each group becomes durable appends "<round> <number>" lines to a committed-log file with write(2).
// The test harness kills it with SIGKILL at random moments; every line in the log is a hit that the
// journal promised to keep.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "control/journal/journal_writer.h"
#include "tests/unit/journal/test_hits.h"

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s DIR APPLIANCE ROUND COUNT PRODUCERS COMMITTED_LOG ACK_STATE\n", argv[0]);
    return 2;
  }
  dijk::journal::JournalOptions o;
  o.dir = argv[1];
  o.appliance_id = argv[2];
  const std::uint64_t round = std::stoull(argv[3]);
  const std::uint64_t count = std::stoull(argv[4]);
  const int producers = std::stoi(argv[5]);
  o.ack_state = argv[7];
  o.segment_bytes = 32 * 1024;  // many segments, so retention and segment switches are exercised
  o.retention_bytes = 128 * 1024;
  o.max_commit_latency = std::chrono::milliseconds(5);
  const int log_fd = ::open(argv[6], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log_fd < 0) return 1;
  dijk::journal::JournalWriter writer(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < producers; ++t) {
    threads.emplace_back([&, t] {
      auto& p = writer.register_producer();
      constexpr std::uint64_t kGroup = 16;
      for (std::uint64_t i = static_cast<std::uint64_t>(t); i < count;) {
        std::string lines;
        std::uint64_t ticket = 0;
        for (std::uint64_t g = 0; g < kGroup && i < count; ++g, i += static_cast<std::uint64_t>(producers)) {
          const std::uint64_t n = round * 1'000'000 + i;
          ticket =
              p.append(i % 2 ? dijk::journal::testing::wire_hit(n) : dijk::journal::testing::file_hit(n));
          lines += std::to_string(n) + "\n";
        }
        if (!p.wait_durable(ticket)) return;
        if (::write(log_fd, lines.data(), lines.size()) < 0) std::abort();
      }
    });
  }
  for (auto& th : threads) th.join();
  writer.close();
  return 0;
}
