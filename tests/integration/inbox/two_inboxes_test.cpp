// Two real `dijk-hotline inbox` processes on one PostgreSQL database, as a hotline runs them behind a load
// balancer. Six clients deliver a burst of reports over mutual TLS, each batch to one inbox and, when that
// fails, to the other. One inbox is killed with SIGKILL mid-burst (its in-flight batches may be committed
// but never answered) and restarted. Once every client has its answer, every hit is in the database
// exactly once, as it was sent.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "control/reporter/https_client.h"
#include "tests/integration/inbox/postgres_fixture.h"
#include "tests/integration/journal/test_pki.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

constexpr int kClients = 6;
constexpr std::uint64_t kBatches = 40;  // per client
constexpr std::uint64_t kBatchSize = 50;
constexpr std::uint64_t kHits = kClients * kBatches * kBatchSize;
const std::string kAppliance = "appliance-1";

std::string hash_of(std::uint64_t position) {
  char hex[33];
  std::snprintf(hex, sizeof hex, "%032llx", static_cast<unsigned long long>(position * 7919 + 1));
  return hex;
}

std::string report(std::uint64_t first, std::uint64_t n) {
  nlohmann::json hits = nlohmann::json::array();
  for (std::uint64_t p = first; p < first + n; ++p) {
    hits.push_back({{"key", kAppliance + ":" + std::to_string(p)},
                    {"appliance", kAppliance},
                    {"position", p},
                    {"time_ns", 1'764'892'800'000'000'000ull + p},
                    {"source", "wire"},
                    {"kind", "exact"},
                    {"algorithm", "md5"},
                    {"hash", hash_of(p)},
                    {"list", "A"}});
  }
  return nlohmann::json{{"format", "dijk-hits/1"}, {"hits", hits}}.dump();
}

class TwoInboxes : public WithPostgres {
 protected:
  void TearDown() override {
    for (auto& pid : pids_)
      if (pid > 0) stop_process(pid, std::chrono::seconds(5));
  }
  // Starts inbox i on its port and returns once it listens.
  void start_inbox(int i) {
    const std::string log = tmp_.file("inbox" + std::to_string(i) + ".log");
    pids_[i] =
        spawn_with_output({DIJK_HOTLINE_BIN, "inbox", "--listen", "127.0.0.1:" + std::to_string(ports_[i]),
                           "--cert", pki_.server_cert.string(), "--key", pki_.server_key.string(),
                           "--client-ca", pki_.ca.string(), "--db", url_, "--max-per-appliance", "32"},
                          log);
    for (int tries = 0; tries < 400 && read_text(log + ".err").find("listening") == std::string::npos;
         ++tries)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ASSERT_NE(read_text(log + ".err").find("listening"), std::string::npos) << read_text(log + ".err");
  }
  reporter::TlsClientOptions client(int i) const {
    reporter::TlsClientOptions o;
    o.url = "https://127.0.0.1:" + std::to_string(ports_[i]) + "/v1/hits";
    o.cert = pki_.client_cert;
    o.key = pki_.client_key;
    o.ca = pki_.ca;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.request_timeout = std::chrono::milliseconds(10000);
    return o;
  }

  TempDir tmp_;
  journal::testing::TestPki pki_ = journal::testing::make_test_pki(tmp_.path() / "pki", kAppliance);
  std::uint16_t ports_[2] = {free_port(), free_port()};
  pid_t pids_[2] = {-1, -1};
};

TEST_F(TwoInboxes, AKill9DuringABurstLosesNoHitAndStoresNoneTwice) {
  start_inbox(0);
  start_inbox(1);
  // The kill must land while the burst is under way: clients pause three quarters in until it has.
  std::mutex m;
  std::condition_variable killed_cv;
  bool killed = false;
  std::atomic<std::uint64_t> answered_ok[2] = {0, 0}, failures{0}, accepted{0}, duplicates{0};
  std::atomic<int> gave_up{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      reporter::HttpsClient to[2] = {reporter::HttpsClient(client(0)), reporter::HttpsClient(client(1))};
      int inbox = c % 2;
      for (std::uint64_t b = 0; b < kBatches; ++b) {
        if (b == kBatches * 3 / 4) {
          std::unique_lock lock(m);
          killed_cv.wait(lock, [&] { return killed; });
        }
        const std::uint64_t first = (static_cast<std::uint64_t>(c) * kBatches + b) * kBatchSize;
        const std::string body = report(first, kBatchSize);
        for (int attempt = 0;; ++attempt) {
          if (attempt == 2000) {
            ++gave_up;
            return;
          }
          const auto r = to[inbox].post_json(body);
          if (r.status == 200) {
            const auto answer = nlohmann::json::parse(r.body);
            const std::uint64_t a = answer["accepted"], d = answer["duplicates"];
            if (a + d == kBatchSize) {
              accepted += a;
              duplicates += d;
              ++answered_ok[inbox];
              break;
            }
          }
          ++failures;
          inbox = 1 - inbox;  // what a load balancer does for a failed backend
          if (r.status == 503) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  // Kill inbox 0 once a quarter of the hits are stored and it has answered some of them.
  std::uint64_t stored_at_kill = 0;
  for (int i = 0; i < 6000; ++i) {
    stored_at_kill = std::stoull(query("SELECT count(*) FROM hits")[0]);
    if (stored_at_kill >= kHits / 4 && answered_ok[0] > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::uint64_t answered_by_victim = answered_ok[0];
  ::kill(pids_[0], SIGKILL);
  ::waitpid(pids_[0], nullptr, 0);
  pids_[0] = -1;
  {
    std::lock_guard lock(m);
    killed = true;
  }
  killed_cv.notify_all();
  start_inbox(0);  // back on its port, on the same database
  for (auto& t : clients) t.join();

  RecordProperty("failed_deliveries_retried", static_cast<int>(failures.load()));
  RecordProperty("duplicates_answered", static_cast<int>(duplicates.load()));
  EXPECT_EQ(gave_up.load(), 0);
  EXPECT_GT(answered_by_victim, 0u) << "the killed inbox took part in the burst";
  EXPECT_LT(stored_at_kill, kHits) << "the kill came during the burst";
  // Every hit is there once, as it was sent.
  const auto rows = query("SELECT idempotency_key, position, hash FROM hits ORDER BY position");
  ASSERT_EQ(rows.size(), kHits);
  for (std::uint64_t p = 0; p < kHits; ++p) {
    ASSERT_EQ(rows[p], kAppliance + ":" + std::to_string(p) + "\t" + std::to_string(p) + "\t" + hash_of(p));
  }
  // A batch committed by the killed inbox but never answered comes back as duplicates; nothing is
  // accepted twice.
  EXPECT_LE(accepted.load(), kHits);
  EXPECT_GE(accepted.load() + duplicates.load(), kHits);
  // The surviving inbox counted what it stored; its log says so when it stops.
  ASSERT_EQ(WEXITSTATUS(stop_process(pids_[1], std::chrono::seconds(10))), 0);
  EXPECT_NE(read_text(tmp_.file("inbox1.log.err")).find("hits stored"), std::string::npos);
}

}  // namespace
}  // namespace dijk::test
