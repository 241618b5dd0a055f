// The commands as a user runs them: `dijk-hotline inbox`, `dijk-control report`, `dijk-hotline hits`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "control/journal/ack_state.h"
#include "control/journal/journal_writer.h"
#include "tests/integration/journal/child_process.h"
#include "tests/integration/journal/test_pki.h"
#include "tests/support/test_support.h"
#include "tests/unit/journal/journal_test_dir.h"
#include "tests/unit/journal/test_hits.h"

namespace dijk::journal {
namespace {

using test::free_port;

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  return out;
}

TEST(JournalCli, InboxReporterAndHitsWorkAsCommands) {
  testing::TempDir tmp;
  const auto pki = testing::make_test_pki(tmp.path() / "pki");
  const auto journal = tmp.path() / "journal";
  const auto state = tmp.path() / "state";
  const auto db = tmp.path() / "inbox.db";
  std::uint64_t durable = 0;
  {
    JournalOptions o;
    o.dir = journal;
    o.appliance_id = "appliance-1";
    JournalWriter w(o);
    auto& p = w.register_producer();
    p.append(testing::wire_hit(1));
    p.append(testing::file_hit(2));
    ASSERT_TRUE(p.wait_durable(p.append(testing::wire_hit(3))));
    durable = w.durable_position();
  }
  const std::string hotline = std::string(DIJK_BINARY_DIR) + "/apps/dijk-hotline/dijk-hotline";
  const std::string reporter = std::string(DIJK_BINARY_DIR) + "/apps/dijk-control/dijk-control";
  const std::string port = std::to_string(free_port());
  testing::ChildProcess inbox(
      {hotline, "inbox", "--listen", "127.0.0.1:" + port, "--cert", pki.server_cert.string(), "--key",
       pki.server_key.string(), "--client-ca", pki.ca.string(), "--db", db.string()},
      tmp.path() / "inbox.log");
  testing::ChildProcess rep({reporter,
                             "report",
                             "--journal",
                             journal.string(),
                             "--url",
                             "https://127.0.0.1:" + port + "/v1/hits",
                             "--cert",
                             pki.client_cert.string(),
                             "--key",
                             pki.client_key.string(),
                             "--ca",
                             pki.ca.string(),
                             "--state",
                             state.string(),
                             "--client-ip",
                             "omit",
                             "--backoff-initial-ms",
                             "50",
                             "--poll-ms",
                             "10"},
                            tmp.path() / "reporter.log");
  for (int i = 0; i < 1000 && read_ack_position(state) != durable; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(read_ack_position(state), durable);
  const int rep_status = rep.kill(SIGTERM);
  const int inbox_status = inbox.kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(rep_status) && WEXITSTATUS(rep_status) == 0);
  EXPECT_TRUE(WIFEXITED(inbox_status) && WEXITSTATUS(inbox_status) == 0);

  std::istringstream json(run(hotline + " hits --json --db " + db.string()));
  int lines = 0;
  for (std::string line; std::getline(json, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["appliance"], "appliance-1");
    EXPECT_FALSE(j.contains("client_ip"));
    EXPECT_TRUE(j.contains("received_at"));
  }
  EXPECT_EQ(lines, 3);
  const std::string csv = run(hotline + " hits --csv --db " + db.string());
  EXPECT_EQ(csv.rfind("received_at,key,appliance,", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  EXPECT_NE(csv.find("http://uploads.example/upload?id=1"), std::string::npos);
  const std::string none = run(hotline + " hits --since 2999-01-01 --db " + db.string());
  EXPECT_EQ(std::count(none.begin(), none.end(), '\n'), 1);
  EXPECT_NE(run(hotline + " hits --since yesterday --db " + db.string() + " 2>&1").find("--since wants"),
            std::string::npos);
}

}  // namespace
}  // namespace dijk::journal
