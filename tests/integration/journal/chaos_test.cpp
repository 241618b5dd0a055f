// kill -9 of the journal writer process and of the reporter process at random moments during bursts of
// hits, many rounds, with the inbox failing in every way it can in between (500, hang, store-then-500,
// down). Afterwards the inbox holds every hit the journal promised to keep, exactly once.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "control/journal/ack_state.h"
#include "control/journal/journal_reader.h"
#include "tests/integration/journal/child_process.h"
#include "tests/integration/journal/inbox_fixture.h"

namespace dijk::journal {
namespace {

using testing::ChildProcess;

std::set<std::uint64_t> read_committed(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::set<std::uint64_t> out;
  std::size_t at = 0;
  for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) {
    out.insert(std::stoull(text.substr(at, nl - at)));
  }
  return out;
}

TEST(JournalChaos, KillNineOfWriterAndReporterAtRandomMomentsLosesAndDuplicatesNothing) {
  testing::TempDir tmp;
  const auto pki = testing::make_test_pki(tmp.path() / "pki");
  testing::TestInbox inbox(pki, tmp.path() / "inbox.db");
  const auto journal = tmp.path() / "journal";
  const auto state = tmp.path() / "reporter.state";
  const auto committed = tmp.path() / "committed.log";
  const std::string writer_bin =
      std::string(DIJK_BINARY_DIR) + "/tests/integration/journal/journal_burst_writer";
  const std::string reporter_bin = std::string(DIJK_BINARY_DIR) + "/apps/dijk-control/dijk-control";
  const auto start_reporter = [&] {
    return std::make_unique<ChildProcess>(std::vector<std::string>{reporter_bin,  "report",
                                                                   "--journal",   journal.string(),
                                                                   "--url",       inbox.url(),
                                                                   "--cert",      pki.client_cert.string(),
                                                                   "--key",       pki.client_key.string(),
                                                                   "--ca",        pki.ca.string(),
                                                                   "--state",     state.string(),
                                                                   "--client-ip",  // no HMAC key here
                                                                   "send",        "--batch",
                                                                   "200",         "--timeout-ms",
                                                                   "600",         "--connect-timeout-ms",
                                                                   "300",         "--backoff-initial-ms",
                                                                   "20",          "--backoff-max-ms",
                                                                   "200",         "--poll-ms",
                                                                   "10"},
                                          tmp.path() / "reporter.log");
  };

  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  constexpr int kRounds = 14;
  int reporter_kills = 0;
  std::unique_ptr<ChildProcess> reporter;
  for (int round = 1; round <= kRounds; ++round) {
    ChildProcess writer({writer_bin, journal.string(), "appliance-1", std::to_string(round), "1500", "3",
                         committed.string(), state.string()},
                        tmp.path() / "writer.log");
    if (!reporter || reporter->exited()) reporter = start_reporter();
    const auto event = rng() % 5;
    switch (event) {
      case 0:
        inbox.inject(inbox::Fault::answer_500, 3);
        break;
      case 1:
        inbox.inject(inbox::Fault::hang, 1);
        break;
      case 2:
        inbox.inject(inbox::Fault::store_then_500, 2);
        break;
      case 3:
        inbox.stop();
        break;
      default:
        break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 350));
    writer.kill(SIGKILL);
    if (rng() % 2 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
      reporter->kill(SIGKILL);
      reporter.reset();
      ++reporter_kills;
    }
    if (!inbox.up()) inbox.start();
  }
  inbox.inject(inbox::Fault::none, 0);
  if (!reporter || reporter->exited()) reporter = start_reporter();
  // Let the reporter catch up with everything durable in the journal.
  JournalReader reader(journal);
  const std::uint64_t durable = reader.durable_position();
  for (int i = 0; i < 3000; ++i) {
    std::optional<std::uint64_t> acked;
    try {
      acked = read_ack_position(state);
    } catch (...) {
    }
    if (acked && *acked >= durable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  reporter->kill(SIGTERM);
  ASSERT_EQ(read_ack_position(state), durable);

  const auto promised = read_committed(committed);
  std::map<std::uint64_t, int> held;
  inbox.server().store().list(0, [&](const inbox::StoredHit& h) {
    ++held[std::stoull(nlohmann::json::parse(h.report)["hash"].get<std::string>(), nullptr, 16)];
  });
  ASSERT_GT(promised.size(), 1000u);
  std::size_t missing = 0, duplicated = 0;
  for (const auto n : promised) missing += held.count(n) == 0;
  for (const auto& [n, count] : held) duplicated += count != 1;
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(duplicated, 0u);
  // Hits durable but not yet confirmed to the producer when it died are delivered too: held >= promised.
  EXPECT_GE(held.size(), promised.size());
  std::cerr << "chaos: " << kRounds << " rounds, " << reporter_kills << " reporter kills, " << promised.size()
            << " hits promised, " << held.size() << " held by the inbox, "
            << inbox.server().stats().duplicates.load() << " duplicate deliveries absorbed\n";
}

}  // namespace
}  // namespace dijk::journal
