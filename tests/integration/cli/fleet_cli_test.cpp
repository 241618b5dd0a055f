// dijk-hotline fleet as a hotline engineer reads it: each appliance's last heartbeat, silent and lagging
// ones flagged (exit status 1 for monitoring), text the appliance sent escaped for the terminal; and the
// same fleet as Prometheus metrics from a running inbox.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "apps/dijk-hotline/inbox/sqlite_inbox_store.h"
#include "core/unix_time.h"
#include "tests/integration/cli/cli_paths.h"
#include "tests/support/client_cert_pki.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

class FleetCli : public ::testing::Test {
 protected:
  void SetUp() override {
    inbox::SqliteInboxStore store(db);
    const std::int64_t now = unix_now();
    const auto beat = [&](const std::string& appliance, std::int64_t age, std::uint64_t set,
                          nlohmann::json extra) {
      nlohmann::json j{{"appliance", appliance},
                       {"sent_unix", now - age},
                       {"software", "0.1.0"},
                       {"set_version", set},
                       {"feed_state", "ok"},
                       {"last_sync_unix", now - age - 30},
                       {"backlog", 0}};
      j.update(extra);
      store.store_heartbeat({appliance, now - age, j.dump()});
    };
    beat("a1", 60, 42, {{"files_hashed", 1000}, {"hits", 7}, {"drops", 0}});  // healthy
    beat("a2", 3 * 3600, 42, nlohmann::json::object());                       // silent for 3h
    beat("a3", 30, 39, {{"feed_state", "failing"}, {"feed_error", "fetch: \x1b[2J\nforged line"}});  // behind
  }
  CommandResult fleet(std::vector<std::string> args) {
    args.insert(args.begin(), {hotline(), "fleet", "--db", db});
    return run_command(args);
  }
  std::map<std::string, nlohmann::json> by_appliance(const std::string& out) {
    std::map<std::string, nlohmann::json> m;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line);
      m[j["appliance"].get<std::string>()] = j;
    }
    return m;
  }
  TempDir tmp;
  std::string db = tmp.file("inbox.db");
};

TEST_F(FleetCli, FlagsSilentAndLaggingAppliancesAndExitsOneForThem) {
  const auto r = fleet({"--json"});
  EXPECT_EQ(r.status, 1) << r.err;
  auto m = by_appliance(r.out);
  ASSERT_EQ(m.size(), 3u) << r.out;
  EXPECT_TRUE(m["a1"]["healthy"].get<bool>()) << m["a1"];
  EXPECT_EQ(m["a1"]["files_hashed"], 1000);
  EXPECT_TRUE(m["a2"]["silent"].get<bool>());
  EXPECT_FALSE(m["a2"]["lagging"].get<bool>());
  EXPECT_EQ(m["a3"]["set_lag"], 3) << "against the newest version in the fleet";
  EXPECT_TRUE(m["a3"]["lagging"].get<bool>());
  EXPECT_FALSE(m["a2"].contains("files_hashed")) << "counters it did not send stay absent";

  // Looser limits: a2 is no longer silent, a3 no longer lagging, but its feed still fails.
  const auto loose = fleet({"--json", "--silent-after", "4h", "--max-lag", "3"});
  m = by_appliance(loose.out);
  EXPECT_TRUE(m["a2"]["healthy"].get<bool>()) << m["a2"];
  EXPECT_FALSE(m["a3"]["lagging"].get<bool>());
  EXPECT_FALSE(m["a3"]["healthy"].get<bool>());
  EXPECT_EQ(loose.status, 1);
}

TEST_F(FleetCli, TheTableEscapesWhatAnApplianceSent) {
  const auto r = fleet({});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(lines_with(r.out, "forged line").size(), 1u) << "the newline stays inside its cell: " << r.out;
  EXPECT_EQ(lines_with(r.out, "silent for 3h").size(), 1u) << r.out;
  EXPECT_EQ(lines_with(r.out, "set 3 versions behind; feed failing").size(), 1u) << r.out;
  EXPECT_NE(r.out.find("3 appliances, 2 unhealthy (1 silent, 1 lagging)"), std::string::npos) << r.out;
  const auto healthy = lines_with(r.out, "a1 ");
  ASSERT_EQ(healthy.size(), 1u);
  EXPECT_NE(healthy[0].find("  ok"), std::string::npos) << healthy[0];
}

// Lag is measured against what the feed publishes when it is named, not the newest in the fleet.
TEST_F(FleetCli, LagIsMeasuredAgainstThePublishedVersionWithFeed) {
  const std::string keys = tmp.file("keys"), feed = tmp.file("feed");
  ASSERT_EQ(run_command({hotline(), "keygen", "--keys", keys, "--feed-name", "demo"}).status, 0);
  write_text(tmp.file("list.txt"), "0123456789abcdef0123456789abcdef\n");
  ASSERT_EQ(
      run_command({hotline(), "import", "--name", "A", "--out", tmp.file("a.set"), tmp.file("list.txt")})
          .status,
      0);
  const auto published = run_command(
      {hotline(), "publish", "--feed", feed, "--keys", keys, "--set", tmp.file("a.set"), "--by", "ann"});
  ASSERT_EQ(published.status, 0) << published.err;
  const auto r = fleet({"--feed", feed, "--silent-after", "4h"});
  EXPECT_NE(r.out.find("set lag against version 1 (published)"), std::string::npos) << r.out;
  // Every appliance is ahead of version 1: none lags, and only a3's failing feed is left.
  EXPECT_NE(r.out.find("3 appliances, 1 unhealthy (0 silent, 0 lagging)"), std::string::npos) << r.out;
  EXPECT_NE(fleet({"--feed", tmp.file("nowhere")}).status, 0);
}

TEST_F(FleetCli, TheInboxServesTheFleetToPrometheus) {
  const auto pki = make_client_cert_pki(tmp.path() / "pki", "a1");
  const std::uint16_t metrics_port = free_port();
  pid_t inbox = spawn_with_output(
      {hotline(), "inbox", "--listen", "127.0.0.1:0", "--cert", pki.server_cert, "--key", pki.server_key,
       "--client-ca", pki.ca, "--db", db, "--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port)},
      tmp.file("inbox.log"));
  const std::string url = "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics";
  CommandResult scrape;
  for (int i = 0; i < 200; ++i) {
    scrape = run_command({"/usr/bin/curl", "-sf", url});
    if (scrape.status == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop_process(inbox, std::chrono::seconds(5));
  ASSERT_EQ(scrape.status, 0) << read_text(tmp.file("inbox.log.err"));
  for (const char* line :
       {"dijk_fleet_appliances 3", "dijk_fleet_silent_appliances 1", "dijk_fleet_lagging_appliances 1",
        "dijk_fleet_unhealthy_appliances 2", "dijk_fleet_set_lag_versions{appliance=\"a3\"} 3",
        "dijk_fleet_healthy{appliance=\"a1\"} 1", "dijk_fleet_files_hashed{appliance=\"a1\"} 1000",
        "dijk_inbox_hits_stored_total 0"}) {
    EXPECT_EQ(lines_with(scrape.out, line).size(), 1u) << line << "\n" << scrape.out;
  }
}

}  // namespace
}  // namespace dijk::test
