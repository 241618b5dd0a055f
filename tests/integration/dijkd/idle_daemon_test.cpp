// A fresh appliance: `dijkd run --config` with no port configured must come up (admin socket, metrics,
// set watching, systemd readiness) and say it is idle, so that the firmware's health gate and an operator's
// `dijkctl status` get an answer before anyone has configured a NIC. Without a config there is nothing
// to idle for, and `run` without ports stays a usage error.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/dijkd/dijkd_harness.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

class IdleDijkd : public ::testing::Test {
 protected:
  void SetUp() override {
    metrics_port_ = 20000 + static_cast<int>(getpid() % 20000) + 7;
    write_text(dir_.file("dijk.toml"),
               "appliance_id = \"idle-test\"\n\n"
               "[paths]\nset = \"" +
                   set_path() + "\"\njournal = \"" + dir_.file("journal") + "\"\nstate = \"" +
                   dir_.file("state") + "\"\n\n[admin]\nsocket = \"" + socket() +
                   "\"\ngroup = \"root\"\n\n[metrics]\nlisten = \"127.0.0.1:" +
                   std::to_string(metrics_port_) + "\"\n");
  }
  void TearDown() override {
    if (dijkd_ > 0) stop_process(dijkd_, std::chrono::seconds(10));
  }

  std::string set_path() const { return dir_.file("current.set"); }
  std::string socket() const { return dir_.file("dijkd.sock"); }

  // dijkctl status --json for dijkd alone; a null json while it does not answer (exit 1 is an answer:
  // degraded).
  nlohmann::json status() const {
    const auto r = run_command({kDijkctl.string(), "status", "--json", "--socket", socket()});
    if (r.status != 0 && r.status != 1) return nullptr;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_array() && j.size() == 1 ? j[0] : nlohmann::json();
  }

  nlohmann::json status_within(std::chrono::seconds limit,
                               const std::function<bool(const nlohmann::json&)>& ok) const {
    const auto until = std::chrono::steady_clock::now() + limit;
    nlohmann::json s;
    do {
      s = status();
      if (!s.is_null() && ok(s)) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < until);
    return s;
  }

  TempDir dir_;
  int metrics_port_ = 0;
  pid_t dijkd_ = -1;
};

TEST_F(IdleDijkd, WithoutPortsItServesStatusSaysIdleAndPicksUpASet) {
  dijkd_ =
      spawn_with_output({kDijkd.string(), "run", "--config", dir_.file("dijk.toml")}, dir_.file("dijkd.out"));
  auto s = status_within(std::chrono::seconds(20), [](const nlohmann::json&) { return true; });
  ASSERT_FALSE(s.is_null()) << read_text(dir_.file("dijkd.out.err"));
  EXPECT_EQ(s.value("daemon", ""), "dijkd");
  EXPECT_EQ(s.value("appliance_id", ""), "idle-test");
  EXPECT_NE(s.value("dataplane", "").find("idle: no ports configured"), std::string::npos) << s.dump();
  EXPECT_FALSE(s.contains("set")) << "no set installed yet, none may be reported";
  // No set: degraded, with the reason (`dijkctl status` used to exit 0 and print no set line).
  auto human = run_command({kDijkctl.string(), "status", "--socket", socket()});
  EXPECT_EQ(human.status, 1) << human.out;
  EXPECT_NE(human.out.find("  set       NONE: nothing matches"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("degraded: dijkd: no set"), std::string::npos) << human.out;

  // The feed installing a set while idle: status reports it without a restart.
  install_set(set_path(), {"0123456789abcdef0123456789abcdef"}, {}, 7);
  s = status_within(std::chrono::seconds(20), [](const nlohmann::json& j) { return j.contains("set"); });
  ASSERT_TRUE(s.contains("set")) << s.dump();
  EXPECT_EQ(s["set"]["version"].get<std::uint64_t>(), 7u);

  // The human form names the state, for the operator on the console; with a set it is healthy.
  human = run_command({kDijkctl.string(), "status", "--socket", socket()});
  EXPECT_EQ(human.status, 0) << human.out;
  EXPECT_NE(human.out.find("set       version 7, 1 entries"), std::string::npos) << human.out;
  // The swap is in the journal.
  EXPECT_NE(read_text(dir_.file("dijkd.out.err")).find("dijkd: set: swapped version 0 -> 7 (1 entries)"),
            std::string::npos)
      << read_text(dir_.file("dijkd.out.err"));
  // Both daemons' metrics carry the version.
  const auto metrics = run_command(
      {"/bin/sh", "-c", "curl -sS http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics"});
  EXPECT_NE(metrics.out.find("dijk_build_info{daemon=\"dijkd\",version=\"0.1.0"), std::string::npos)
      << metrics.out;
  EXPECT_NE(human.out.find("dataplane idle: no ports configured"), std::string::npos) << human.out;

  const int status = stop_process(dijkd_, std::chrono::seconds(10));
  ASSERT_TRUE(WIFEXITED(status)) << "SIGTERM must end it cleanly";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(fs::exists(socket())) << "the admin socket is removed on exit";
}

// After a software update that changed the set format (or with a corrupt file on disk), the installed set
// is refused: the daemon must still come up (the firmware's health gate waits for it), say why, and take
// the next set the sync installs.
TEST_F(IdleDijkd, ARefusedSetAtStartLeavesNoSetSaysWhyAndTheNextOneServes) {
  install_set(set_path(), {"0123456789abcdef0123456789abcdef"}, {}, 3);
  {
    std::fstream f(set_path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);  // format_version: what a file from the previous format says
    f.put(1);
  }
  dijkd_ =
      spawn_with_output({kDijkd.string(), "run", "--config", dir_.file("dijk.toml")}, dir_.file("dijkd.out"));
  auto s = status_within(std::chrono::seconds(20), [](const nlohmann::json&) { return true; });
  ASSERT_FALSE(s.is_null()) << read_text(dir_.file("dijkd.out.err"));
  EXPECT_FALSE(s.contains("set")) << s.dump();
  EXPECT_NE(s.value("set_error", "").find("unsupported set format version 1"), std::string::npos) << s.dump();
  const auto human = run_command({kDijkctl.string(), "status", "--socket", socket()});
  EXPECT_NE(human.out.find("set       NONE: "), std::string::npos) << human.out;
  EXPECT_NE(read_text(dir_.file("dijkd.out.err")).find("set refused"), std::string::npos);

  install_set(set_path(), {"0123456789abcdef0123456789abcdef"}, {}, 4);
  s = status_within(std::chrono::seconds(20), [](const nlohmann::json& j) { return j.contains("set"); });
  ASSERT_TRUE(s.contains("set")) << s.dump();
  EXPECT_EQ(s["set"]["version"].get<std::uint64_t>(), 4u);
  EXPECT_FALSE(s.contains("set_error")) << "the refusal was about a file no longer there: " << s.dump();
}

// Help asked for is an answer: exit 0 on stdout (`dijkd run --help` used to be "unknown option"); --version.
TEST_F(IdleDijkd, HelpAndVersionExitZero) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"-h"},
                                             {"help"},
                                             {"run", "--help"},
                                             {"replay", "--help"},
                                             {"run", "--config", "x", "-h"}}) {
    std::vector<std::string> argv{kDijkd.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_command(argv);
    EXPECT_EQ(r.status, 0) << args.front() << ": " << r.err;
    EXPECT_TRUE(r.out.starts_with("usage:")) << r.out;
  }
  const auto r = run_command({kDijkd.string(), "--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.out.starts_with("dijkd 0.1.0")) << r.out;
}

TEST_F(IdleDijkd, RunWithoutPortsOrConfigIsAUsageError) {
  const auto r = run_command({kDijkd.string(), "run"});
  EXPECT_EQ(r.status, 64);
  EXPECT_NE(r.err.find("run needs --pci or --vdev ports"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dijk::test
