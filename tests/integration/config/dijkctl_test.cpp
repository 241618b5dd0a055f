// Every dijkctl daemon verb against a running daemon (the fake one, which embeds the real admin server,
// config service and metrics exporter), plus access control with real users, the refusal of a bad
// `config set` with the file byte-for-byte untouched, and the automatic revert of an unconfirmed change.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Polls `done` every 20 ms for up to `limit`; true once it holds.
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds limit = std::chrono::milliseconds(6000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv with stdout/stderr captured to files (no pipe deadlocks), waiting at most 30 s.
Result run(const std::vector<std::string>& argv, const fs::path& scratch) {
  const auto out_path = scratch / "cmd.out";
  const auto err_path = scratch / "cmd.err";
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return {-1, "", "timed out"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out_path), slurp(err_path)};
}

std::string current_group_name() {
  const group* g = getgrgid(getegid());
  return g != nullptr ? g->gr_name : "root";
}

std::string config_text(const fs::path& dir, const std::string& group) {
  return "# test appliance\nappliance_id = \"test-box\"\n\n[dataplane]\nlcores = [1, 2]\n\n[admin]\nsocket = "
         "\"" +
         (dir / "dijkd.sock").string() + "\"\ncontrol_socket = \"" + (dir / "dijkd.sock").string() +
         "\"\nwatch_socket = \"" + (dir / "watch.sock").string() + "\"\ngroup = \"" + group +
         "\"\n\n[metrics]\nlisten = \"127.0.0.1:0\"\n";
}

class FakeDaemon {
 public:
  FakeDaemon(const fs::path& config, const fs::path& dir, std::vector<std::string> extra = {}) {
    int pipe_fds[2];
    EXPECT_EQ(pipe(pipe_fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(pipe_fds[1], 1);
      const int err = open((dir / "daemon.err").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(err, 2);
      close(pipe_fds[0]);
      std::vector<std::string> argv = {FAKE_DAEMON_BIN, "--config", config.string()};
      argv.insert(argv.end(), extra.begin(), extra.end());
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(pipe_fds[1]);
    // Wait for "ready metrics_port=N\n".
    std::string line;
    pollfd p{pipe_fds[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && poll(&p, 1, 10'000) > 0) {
      char c[256];
      const auto n = read(pipe_fds[0], c, sizeof(c));
      if (n <= 0) break;
      line.append(c, static_cast<std::size_t>(n));
    }
    close(pipe_fds[0]);
    const auto at = line.find("ready metrics_port=");
    EXPECT_NE(at, std::string::npos) << "daemon did not start: " << line << slurp(dir / "daemon.err");
    if (at != std::string::npos) metrics_port_ = static_cast<std::uint16_t>(std::stoul(line.substr(at + 19)));
  }
  ~FakeDaemon() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  pid_t pid() const { return pid_; }
  std::uint16_t metrics_port() const { return metrics_port_; }
  bool alive() const { return kill(pid_, 0) == 0; }

 private:
  pid_t pid_ = -1;
  std::uint16_t metrics_port_ = 0;
};

// A stand-in for dijk-check on a unix socket: every connection gets the same canned HTTP answer to its
// request (dijkctl status asks GET /v1/health), then is closed.
class CannedHealth {
 public:
  CannedHealth(const fs::path& socket, const std::string& json_body) : path_(socket) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(chmod(socket.c_str(), 0660), 0);  // as dijk-check leaves it: its group may connect, no one else
    EXPECT_EQ(listen(fd_, 8), 0);
    const std::string answer = "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(json_body.size()) + "\r\n\r\n" + json_body;
    thread_ = std::thread([this, answer] {
      for (;;) {
        const int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;  // shut down
        std::string request;
        char buf[512];
        ssize_t n = 0;
        while (request.find("\r\n\r\n") == std::string::npos && (n = read(c, buf, sizeof buf)) > 0)
          request.append(buf, static_cast<std::size_t>(n));
        if (request.rfind("GET /v1/health ", 0) == 0) {
          EXPECT_EQ(write(c, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
        }
        close(c);
      }
    });
  }
  ~CannedHealth() {
    shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(fd_);
    unlink(path_.c_str());
  }

 private:
  fs::path path_;
  int fd_ = -1;
  std::thread thread_;
};

class DijkctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dijkctl-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_ = dir_ / "dijk.toml";
    spit(config_, config_text(dir_, current_group_name()));
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result ctl(std::vector<std::string> args) {
    args.insert(args.begin(), DIJKCTL_BIN);
    args.push_back("--config");
    args.push_back(config_.string());
    return run(args, dir_);
  }

  fs::path dir_;
  fs::path config_;
};

TEST_F(DijkctlTest, StatusHumanAndJson) {
  FakeDaemon daemon(config_, dir_);
  auto r = ctl({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dijkd 0.1.0 (pid " + std::to_string(daemon.pid()) + "), up "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("appliance test-box"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  set       version 7, 1000 entries, 2h 0m old"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  feed      healthy, version 7 (feed at 9, 2 behind), expires 2026-11-30T11:00:00Z, "
                       "last sync 4m 0s ago"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  reporter  backlog 1, delivered 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  rates     12000 pkt/s, 34 MB/s, 2.5 files/s, 0.0 hits/s"), std::string::npos)
      << r.out;
  // dijk-watch is optional: not running is said, and leaves the exit status alone.
  EXPECT_NE(r.out.find("dijk-watch: not running (" + (dir_ / "watch.sock").string() + ")"), std::string::npos)
      << r.out;
  r = ctl({"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = json::parse(r.out);
  ASSERT_EQ(j.size(), 3u);  // dijkd, then dijk-watch and dijk-check (optional, not running here)
  EXPECT_EQ(j[1]["daemon"], "dijk-watch");
  EXPECT_EQ(j[1]["running"], false);
  EXPECT_EQ(j[2]["daemon"], "dijk-check");
  EXPECT_EQ(j[0]["set"]["version"], 7);
  EXPECT_EQ(j[0]["pid"], daemon.pid());
  EXPECT_EQ(j[0]["feed"]["expires"], "2026-11-30T11:00:00Z");
  EXPECT_EQ(j[0]["feed"]["lag_versions"], 2);
  EXPECT_EQ(j[0]["problems"], json::array());
}

// `dijkctl status` exits like `systemctl is-active`: 0 healthy, 1 degraded with a line for each reason,
// 3 when the daemon is not running. It used to exit 0 with no set, an unhealthy feed or an alarm.
TEST_F(DijkctlTest, StatusExitCodeSaysDegradedWithTheReason) {
  {
    FakeDaemon daemon(config_, dir_);
    EXPECT_EQ(ctl({"status"}).exit_code, 0);
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"no-set", "degraded: dijkd: no set"},
      {"feed", "degraded: dijkd: feed unhealthy: transport: connection refused"},
      {"alarm", "degraded: dijkd: alarm: 1 hits undelivered for 7200 s"}};
  for (const auto& [what, line] : cases) {
    FakeDaemon daemon(config_, dir_, {"--degrade", what});
    auto r = ctl({"status"});
    EXPECT_EQ(r.exit_code, 1) << what << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find(line), std::string::npos) << r.out;
    r = ctl({"status", "--json"});
    EXPECT_EQ(r.exit_code, 1) << what;
    EXPECT_EQ(json::parse(r.out)[0]["problems"].size(), 1u) << r.out;
  }
  {
    FakeDaemon daemon(config_, dir_, {"--degrade", "no-set"});
    const auto r = ctl({"status"});
    EXPECT_NE(r.out.find("  set       NONE: nothing matches\n"), std::string::npos) << r.out;
  }
  EXPECT_EQ(ctl({"status"}).exit_code, 3);  // no daemon at all
  const auto help = ctl({"status", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("0 healthy; 1 degraded"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("3 a daemon is not running"), std::string::npos) << help.out;
}

// status names a change waiting for `config confirm`, a file edited since the last reload, and keys
// waiting for a restart.
TEST_F(DijkctlTest, StatusShowsPendingConfirmAndAFileThatDiffers) {
  FakeDaemon daemon(config_, dir_);
  ASSERT_EQ(ctl({"config", "set", "feed.interval_s", "90", "--confirm-within", "10m"}).exit_code, 0);
  auto r = ctl({"status"});
  EXPECT_NE(r.out.find("  config    change to feed.interval_s is reverted in "), std::string::npos) << r.out;
  EXPECT_EQ(json::parse(ctl({"status", "--json"}).out)[0]["config"]["pending_change"], "feed.interval_s");
  ASSERT_EQ(ctl({"config", "confirm"}).exit_code, 0);
  spit(config_, slurp(config_) + "\n[hashing]\nmax_file_size_mb = 64\n");
  r = ctl({"status"});
  EXPECT_EQ(r.out.find("is reverted in"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  config    the file differs from the running config: hashing.max_file_size_mb "
                       "(`dijkctl config reload` applies it)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out;  // a difference is news, not a fault
  spit(config_, slurp(config_) + "\nbogus = = 1\n");
  r = ctl({"status"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("degraded: dijkd: config file has errors (a restart would fail): " + config_.string()),
            std::string::npos)
      << r.out;
}

// dijk-check's section: its health over its unix socket, or a plain line saying it is not running; the exit
// status stays dijkd's and dijk-control's either way.
TEST_F(DijkctlTest, StatusShowsDijkCheckAndKeepsTheExitStatus) {
  const fs::path check = dir_ / "check.sock";
  spit(config_, slurp(config_) + "\n[check_api]\nsocket = \"" + check.string() + "\"\nsocket_group = \"\"\n");
  FakeDaemon daemon(config_, dir_);
  auto r = ctl({"status"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("dijk-check: not running (" + check.string() + ": No such file or directory)"),
            std::string::npos)
      << r.out;
  auto j = json::parse(ctl({"status", "--json"}).out);
  ASSERT_EQ(j.size(), 3u) << j.dump();
  EXPECT_EQ(j[2]["daemon"], "dijk-check");
  EXPECT_EQ(j[2]["running"], false);

  const CannedHealth health(
      check, R"({"status":"ok","set":{"version":12,"age_s":7200},"requests":{"total":340,"rejected":2},)"
             R"("verdicts":{"allow":300,"report":3,"block":1}})");
  r = ctl({"status"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(
      r.out.find("dijk-check up, set version 12, 2h 0m old\n"
                 "  requests  340 answered (2 refused) since start; verdicts 300 allow, 3 report, 1 block\n"),
      std::string::npos)
      << r.out;
  j = json::parse(ctl({"status", "--json"}).out);
  ASSERT_EQ(j.size(), 3u) << j.dump();
  EXPECT_EQ(j[2]["running"], true);
  EXPECT_EQ(j[2]["health"]["verdicts"]["block"], 1);
  // --socket asks one daemon: dijk-check only when named too.
  r = ctl({"status", "--socket", (dir_ / "dijkd.sock").string()});
  EXPECT_EQ(r.out.find("dijk-check"), std::string::npos) << r.out;
  r = ctl({"status", "--socket", (dir_ / "dijkd.sock").string(), "--check-socket", check.string()});
  EXPECT_NE(r.out.find("dijk-check up, set version 12"), std::string::npos) << r.out;
}

TEST_F(DijkctlTest, StatusSaysPlainlyWhenTheDaemonIsDown) {
  const auto r = ctl({"status"});
  EXPECT_EQ(r.exit_code, 3);  // as `systemctl is-active` says of a unit that is not running
  EXPECT_NE(r.out.find("not reachable"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(is the daemon running?)"), std::string::npos) << r.out;
}

TEST_F(DijkctlTest, StatsPerLcoreHumanAndJson) {
  FakeDaemon daemon(config_, dir_);
  auto r = ctl({"stats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dijk_packets_received_total"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 2003  (total)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    lcore=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    lcore=2"), std::string::npos) << r.out;
  r = ctl({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = json::parse(r.out);
  bool found = false;
  for (const auto& c : j["dijkd"]["counters"]) {
    if (c["name"] == "dijk_packets_received_total" && c["labels"]["lcore"] == "2") {
      EXPECT_EQ(c["value"], 1002);
      found = true;
    }
  }
  EXPECT_TRUE(found) << r.out;
}

TEST_F(DijkctlTest, HitsSinceAndJson) {
  FakeDaemon daemon(config_, dir_);
  auto r = ctl({"hits"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 hits\n"), std::string::npos) << r.out;
  r = ctl({"hits", "--since", "2h"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sha256:bb22  wire  uploads.example/upload/b  \"test.jpg\"  set 7  reported"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("2 hits\n"), std::string::npos) << r.out;
  r = ctl({"hits", "--since", "5m", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = json::parse(r.out);
  ASSERT_EQ(j["hits"].size(), 1u);
  EXPECT_EQ(j["hits"][0]["hash"], "cc33");
  r = ctl({"hits", "--since", "yesterday"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("--since wants 15m, 2h, 3d"), std::string::npos) << r.err;
}

TEST_F(DijkctlTest, SyncNowSetShowAndRollback) {
  FakeDaemon daemon(config_, dir_);
  auto r = ctl({"sync", "now", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "feed synced: 1 update applied\nset version now 8\n");
  r = ctl({"set", "show"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("active set   version 8, 1000 entries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rollback to  5 6 7"), std::string::npos) << r.out;
  r = ctl({"set", "rollback"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "rolled back from set version 8 to 7\n");
  r = ctl({"set", "show", "--json"});
  EXPECT_EQ(json::parse(r.out)["version"], 7);
  // Without --wait, the request is answered at once.
  r = ctl({"sync", "now"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "sync requested\n");
}

TEST_F(DijkctlTest, ConfigValidateGoodAndBad) {
  auto r = ctl({"config", "validate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, config_.string() + ": OK\n");
  const auto bad = dir_ / "bad.toml";
  spit(bad, "[dataplane]\nlcore = [1]\nflow_table_cap = 5\n");
  r = ctl({"config", "validate", bad.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, bad.string() +
                       ":2:1: error: unknown key 'dataplane.lcore', did you mean 'dataplane.lcores'?\n" +
                       bad.string() +
                       ":3:18: error: 'dataplane.flow_table_cap' must be between 1024 and 268435456, got 5\n"
                       "2 errors in " +
                       bad.string() + "\n");
  r = ctl({"config", "validate", "--json", bad.string()});
  const auto j = json::parse(r.out);
  EXPECT_FALSE(j["ok"]);
  EXPECT_EQ(j["errors"].size(), 2u);
  EXPECT_EQ(j["errors"][1]["line"], 3);
}

TEST_F(DijkctlTest, ConfigShowAndSetAppliesAtOnce) {
  FakeDaemon daemon(config_, dir_);
  auto r = ctl({"config", "show"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("appliance_id = \"test-box\""), std::string::npos) << r.out;
  r = ctl({"config", "set", "hashing.pdq", "false"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "changed hashing.pdq\n");
  EXPECT_NE(slurp(config_).find("\n[hashing]\npdq = false\n"), std::string::npos) << slurp(config_);
  EXPECT_TRUE(slurp(config_).starts_with("# test appliance\n"));  // comments survive
  r = ctl({"config", "show", "--json"});
  EXPECT_NE(json::parse(r.out)["toml"].get<std::string>().find("pdq = false"), std::string::npos);
  r = ctl({"config", "set", "dataplane.eal.memory_mb", "2048"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("restart needed for: dataplane.eal.memory_mb"), std::string::npos) << r.out;
  // The daemon keeps running on the old value and says the file differs until a restart.
  r = ctl({"config", "show"});
  EXPECT_NE(r.out.find("memory_mb = 1024"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# the file also changes, from the next restart: dataplane.eal.memory_mb\n"),
            std::string::npos)
      << r.out;
  r = ctl({"config", "set", "feed.interval_s", "60", "--json"});
  const auto j = json::parse(r.out);
  EXPECT_EQ(j["changed"], json::array({"feed.interval_s"}));
  EXPECT_EQ(j["restart_required"], json::array());
}

// Keys that go together (a client certificate and its key) cannot be set one at a time: each alone makes
// the file invalid. `config set K1 V1 K2 V2` changes them in one edit, validated and written once.
TEST_F(DijkctlTest, ConfigSetSeveralKeysAtOnce) {
  FakeDaemon daemon(config_, dir_);
  const std::string before = slurp(config_);
  auto r = ctl({"config", "set", "feed.client_cert", "/etc/dijk/feed.pem"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("they go together"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(config_), before);
  r = ctl(
      {"config", "set", "feed.client_cert", "/etc/dijk/feed.pem", "feed.client_key", "/etc/dijk/feed.key"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "changed feed.client_cert\nchanged feed.client_key\n");
  const std::string text = slurp(config_);
  EXPECT_NE(text.find("client_cert = \"/etc/dijk/feed.pem\""), std::string::npos) << text;
  EXPECT_NE(text.find("client_key = \"/etc/dijk/feed.key\""), std::string::npos) << text;
  // One bad value refuses the whole change.
  r = ctl({"config", "set", "hashing.pdq", "false", "dataplane.flow_table_cap", "12"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(slurp(config_), text);
  r = ctl({"config", "set", "hashing.pdq", "false", "hashing.pdq", "true"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'hashing.pdq' is given twice"), std::string::npos) << r.err;
  r = ctl({"config", "set", "hashing.pdq", "false", "hashing.max_pixels"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("wants KEY VALUE [KEY VALUE...]"), std::string::npos) << r.err;
  // The audit trail: each key with its old and new value, and who asked.
  const auto log = slurp(dir_ / "daemon.err");
  EXPECT_NE(log.find("dijkd: config: set feed.client_cert \"\" -> \"/etc/dijk/feed.pem\" (by dijkctl, uid " +
                     std::to_string(getuid()) + ")"),
            std::string::npos)
      << log;
}

// `config reload` after a hand edit, like birdc's `configure`; `config undo` puts the file back as it was
// before the last change, like birdc's `configure undo`.
TEST_F(DijkctlTest, ConfigReloadAndUndo) {
  FakeDaemon daemon(config_, dir_);
  const std::string original = slurp(config_);
  spit(config_, original + "\n[hashing]\nmax_file_size_mb = 64\n");
  auto r = ctl({"config", "reload"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "dijkd: changed hashing.max_file_size_mb\n");
  EXPECT_NE(ctl({"config", "show"}).out.find("max_file_size_mb = 64"), std::string::npos);
  const std::string edited = slurp(config_);
  r = ctl({"config", "set", "feed.interval_s", "600"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ctl({"config", "undo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "undone: the file is back as it was before the last change\nchanged feed.interval_s\n");
  EXPECT_EQ(slurp(config_), edited);
  EXPECT_NE(ctl({"config", "show"}).out.find("interval_s = 300"), std::string::npos);
  r = ctl({"config", "undo"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nothing to undo"), std::string::npos) << r.err;
  // A file with errors is refused by reload, and the running config stays.
  spit(config_, edited + "\nbogus = = 1\n");
  r = ctl({"config", "reload"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the config file has errors"), std::string::npos) << r.err;
  // An undo drops a change waiting for confirmation with it.
  spit(config_, edited);
  ASSERT_EQ(ctl({"config", "set", "feed.interval_s", "700", "--confirm-within", "10m"}).exit_code, 0);
  ASSERT_EQ(ctl({"config", "undo"}).exit_code, 0);
  EXPECT_EQ(slurp(config_), edited);
  r = ctl({"config", "confirm"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no config change is waiting for confirmation"), std::string::npos) << r.err;
  const auto log = slurp(dir_ / "daemon.err");
  EXPECT_NE(log.find("dijkd: config: reload: hashing.max_file_size_mb 256 -> 64 (by dijkctl, uid "),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("dijkd: config: undo: feed.interval_s 600 -> 300 (by dijkctl, uid "), std::string::npos)
      << log;
}

TEST_F(DijkctlTest, ConfigSetBadValueRefusedFileUntouched) {
  FakeDaemon daemon(config_, dir_);
  const std::string before = slurp(config_);
  auto r = ctl({"config", "set", "dataplane.flow_table_cap", "12"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refused, " + config_.string() + " is unchanged"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'dataplane.flow_table_cap' must be between 1024 and 268435456, got 12"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(slurp(config_), before);
  r = ctl({"config", "set", "dataplane.mode", "bridge"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(slurp(config_), before);
  r = ctl({"config", "set", "hashing.pqd", "false"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown key 'hashing.pqd', did you mean 'hashing.pdq'?"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(config_), before);
  r = ctl({"config", "show"});
  EXPECT_NE(r.out.find("flow_table_cap = 1048576"), std::string::npos) << r.out;
}

TEST_F(DijkctlTest, UnconfirmedChangeIsRevertedAfterItsWindow) {
  FakeDaemon daemon(config_, dir_);
  const std::string before = slurp(config_);
  auto r = ctl({"config", "set", "feed.interval_s", "90", "--confirm-within", "1s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("keep it with `dijkctl config confirm` within 1s"), std::string::npos) << r.out;
  EXPECT_NE(slurp(config_), before);
  // A second change while one waits for confirmation is refused.
  r = ctl({"config", "set", "feed.interval_s", "100"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is waiting for `dijkctl config confirm`"), std::string::npos) << r.err;
  // Reverted by the daemon, on its own, once the window closes (polled so a loaded machine cannot flake it).
  EXPECT_TRUE(eventually([&] { return slurp(config_) == before; }));
  EXPECT_TRUE(eventually([&] {
    return ctl({"config", "show"}).out.find("interval_s = 300") != std::string::npos;
  }));
  // The log names the key, not "reload", and the window.
  EXPECT_TRUE(eventually([&] {
    return slurp(dir_ / "daemon.err")
               .find("dijkd: config: auto-revert of feed.interval_s (not confirmed within 1 s)") !=
           std::string::npos;
  })) << slurp(dir_ / "daemon.err");
  r = ctl({"config", "confirm"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no config change is waiting for confirmation"), std::string::npos) << r.err;
}

TEST_F(DijkctlTest, ConfirmedChangeStays) {
  FakeDaemon daemon(config_, dir_);
  auto r = ctl({"config", "set", "feed.interval_s", "90", "--confirm-within", "3s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string changed = slurp(config_);
  r = ctl({"config", "confirm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "confirmed: the change stays\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_EQ(slurp(config_), changed);
  EXPECT_NE(ctl({"config", "show"}).out.find("interval_s = 90"), std::string::npos);
}

TEST_F(DijkctlTest, SighupReloadsAndKeepsRunningOnABadFile) {
  FakeDaemon daemon(config_, dir_);
  spit(config_, slurp(config_) + "\n[hashing]\nmax_file_size_mb = 64\n");
  kill(daemon.pid(), SIGHUP);
  std::string shown;
  for (int i = 0; i < 100 && shown.find("max_file_size_mb = 64") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    shown = ctl({"config", "show"}).out;
  }
  EXPECT_NE(shown.find("max_file_size_mb = 64"), std::string::npos) << shown;
  spit(config_, slurp(config_) + "\nbogus = = 1\n");
  kill(daemon.pid(), SIGHUP);
  for (int i = 0; i < 100 && slurp(dir_ / "daemon.err").find("reload refused") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(slurp(dir_ / "daemon.err").find("reload refused, keeping the running config"), std::string::npos);
  EXPECT_TRUE(daemon.alive());
  EXPECT_NE(ctl({"config", "show"}).out.find("max_file_size_mb = 64"), std::string::npos);
}

TEST_F(DijkctlTest, MetricsEndpointServesTheSameCounters) {
  FakeDaemon daemon(config_, dir_);
  ASSERT_NE(daemon.metrics_port(), 0);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(daemon.metrics_port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string body;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) body.append(buf, static_cast<std::size_t>(n));
  close(fd);
  EXPECT_NE(body.find("dijk_packets_received_total{lcore=\"2\"} 1002\n"), std::string::npos) << body;
  EXPECT_NE(body.find("# TYPE dijk_hits_total counter\ndijk_hits_total 3\n"), std::string::npos) << body;
  // The status verb's set, feed and reporter state, as gauges.
  EXPECT_NE(body.find("dijk_set_version{daemon=\"dijkd\"} 7\n"), std::string::npos) << body;
  EXPECT_NE(body.find("dijk_feed_healthy{daemon=\"dijkd\"} 1\n"), std::string::npos) << body;
  EXPECT_NE(body.find("dijk_reporter_backlog{daemon=\"dijkd\"} 1\n"), std::string::npos) << body;
}

TEST_F(DijkctlTest, HelpOnEveryVerb) {
  for (const auto& verb : std::vector<std::vector<std::string>>{{"status"},
                                                                {"stats"},
                                                                {"hits"},
                                                                {"sync", "now"},
                                                                {"set", "show"},
                                                                {"set", "rollback"},
                                                                {"config", "validate"},
                                                                {"config", "show"},
                                                                {"config", "set"},
                                                                {"config", "confirm"},
                                                                {"config", "reload"},
                                                                {"config", "undo"}}) {
    auto args = verb;
    args.insert(args.begin(), DIJKCTL_BIN);
    args.push_back("--help");
    const auto r = run(args, dir_);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(r.out.starts_with("Usage: dijkctl " + verb[0])) << r.out;
    EXPECT_NE(r.out.find("--json"), std::string::npos) << r.out;
  }
}

// `dijkctl config` lists the config verbs (it used to say "unknown verb"); help and --version answer with
// exit 0.
TEST_F(DijkctlTest, VerbGroupsListTheirVerbsAndVersionAnswers) {
  auto r = run({DIJKCTL_BIN, "config"}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Usage: dijkctl config VERB [OPTIONS]\n")) << r.out;
  for (const auto* verb :
       {"config validate", "config show", "config set", "config confirm", "config reload", "config undo"}) {
    EXPECT_NE(r.out.find("  " + std::string(verb) + " "), std::string::npos) << verb << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("unknown verb"), std::string::npos);
  EXPECT_EQ(run({DIJKCTL_BIN, "help", "config"}, dir_).out, r.out);
  EXPECT_EQ(ctl({"config"}).out, r.out);  // with --config FILE after it, as scripts call it
  r = run({DIJKCTL_BIN, "config", "frobnicate"}, dir_);
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("unknown verb 'config frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  config set "), std::string::npos) << r.err;
  for (const auto* ask : {"--help", "-h", "help"}) {
    r = run({DIJKCTL_BIN, ask}, dir_);
    EXPECT_EQ(r.exit_code, 0) << ask;
    EXPECT_NE(r.out.find("Verbs:"), std::string::npos) << r.out;
  }
  r = run({DIJKCTL_BIN, "--version"}, dir_);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.out.starts_with("dijkctl 0.1.0")) << r.out;
}

// The real layout: dijkd and dijk-control on two sockets reading one file. `config set` goes to dijkd,
// dijk-control follows with a reload, and both revert together when the window closes unconfirmed.
TEST_F(DijkctlTest, TwoDaemonsFollowOneChangeAndRevertTogether) {
  std::string text = slurp(config_);
  const std::string shared = "control_socket = \"" + (dir_ / "dijkd.sock").string() + "\"";
  text.replace(text.find(shared), shared.size(),
               "control_socket = \"" + (dir_ / "control.sock").string() + "\"");
  spit(config_, text);
  FakeDaemon dijkd(config_, dir_);
  FakeDaemon control(config_, dir_, {"--name", "dijk-control"});
  auto r = ctl({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("dijkd 0.1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dijk-control 0.1.0"), std::string::npos) << r.out;
  const auto show_control = [&] {
    return run({DIJKCTL_BIN, "config", "show", "--socket", (dir_ / "control.sock").string()}, dir_).out;
  };
  r = ctl({"config", "set", "hashing.max_pixels", "1000", "--confirm-within", "1s", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["followers"]["dijk-control"]["changed"], json::array({"hashing.max_pixels"}));
  EXPECT_NE(show_control().find("max_pixels = 1000"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return show_control().find("max_pixels = 50000000") != std::string::npos; }));
  EXPECT_TRUE(eventually([&] {
    return ctl({"config", "show"}).out.find("max_pixels = 50000000") != std::string::npos;
  }));
  // The follower (which reloaded rather than set) names the key it reverts too, not "reload".
  EXPECT_TRUE(eventually([&] {
    return slurp(dir_ / "daemon.err")
               .find("dijk-control: config: auto-revert of hashing.max_pixels (not confirmed within 1 s)") !=
           std::string::npos;
  })) << slurp(dir_ / "daemon.err");
  // Confirmed, both keep it.
  r = ctl({"config", "set", "hashing.max_pixels", "2000", "--confirm-within", "3s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(ctl({"config", "confirm"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_NE(show_control().find("max_pixels = 2000"), std::string::npos) << show_control();
  EXPECT_NE(ctl({"config", "show"}).out.find("max_pixels = 2000"), std::string::npos);
}

// dijk-watch, when it runs, follows a change too and says which keys wait for its restart; a confirm
// reaches it, so it does not revert. When it does not run, `config set` goes on without it.
TEST_F(DijkctlTest, ConfigSetNamesTheDaemonsThatWaitForARestart) {
  FakeDaemon dijkd(config_, dir_);
  auto r = ctl({"config", "set", "hashing.max_pixels", "1000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "changed hashing.max_pixels\n");  // no dijk-watch running: nobody waits
  EXPECT_EQ(r.err, "");
  FakeDaemon watch(config_, dir_, {"--name", "dijk-watch"});
  r = ctl({"config", "set", "hashing.max_pixels", "2000", "--confirm-within", "3s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(
      r.out.find("changed hashing.max_pixels\nrestart needed for: hashing.max_pixels (dijk-watch)\n"
                 "  (saved in the file, but until `systemctl restart dijk-watch` they keep the old value)"),
      std::string::npos)
      << r.out;
  const auto show_watch = [&] {
    return run({DIJKCTL_BIN, "config", "show", "--socket", (dir_ / "watch.sock").string()}, dir_).out;
  };
  EXPECT_NE(show_watch().find("# the file also changes, from the next restart: hashing.max_pixels"),
            std::string::npos)
      << show_watch();
  ASSERT_EQ(ctl({"config", "confirm"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_EQ(slurp(dir_ / "daemon.err").find("dijk-watch: config: auto-revert"), std::string::npos)
      << slurp(dir_ / "daemon.err");
  EXPECT_NE(slurp(config_).find("max_pixels = 2000"), std::string::npos);
}

// Access control with real accounts: needs root to create them.
class DijkctlAccessTest : public DijkctlTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "creating throwaway users needs root";
    if (run({"sh", "-c", "command -v useradd && command -v setpriv"}, "/tmp").exit_code != 0) {
      GTEST_SKIP() << "useradd/setpriv not available";
    }
    DijkctlTest::SetUp();
    const auto tag = std::to_string(getpid() % 100000);
    group_ = "dijkt" + tag;
    member_ = "dijkm" + tag;
    outsider_ = "dijko" + tag;
    remove_accounts();  // left over from a run that crashed
    ASSERT_TRUE(account_command({"groupadd", group_}));
    ASSERT_TRUE(account_command({"useradd", "-M", "-N", "-G", group_, member_}));
    ASSERT_TRUE(account_command({"useradd", "-M", "-N", outsider_}));
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    spit(config_, config_text(dir_, group_));
    fs::permissions(config_, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                 fs::perms::others_read);
  }
  void TearDown() override {
    if (geteuid() != 0 || group_.empty()) return;
    remove_accounts();
    DijkctlTest::TearDown();
  }

  // useradd and friends lock /etc/passwd; tests running in parallel may hold it for a moment.
  bool account_command(const std::vector<std::string>& argv) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      if (run(argv, dir_).exit_code == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  void remove_accounts() {
    for (const auto& user : {member_, outsider_}) {
      if (getpwnam(user.c_str()) != nullptr) account_command({"userdel", user});
    }
    if (getgrnam(group_.c_str()) != nullptr) account_command({"groupdel", group_});
  }

  Result ctl_as(const std::string& user, std::vector<std::string> args) {
    // dijkctl as that user, with exactly that user's groups; output goes to files the user can write.
    const auto scratch = dir_ / user;
    fs::create_directories(scratch);
    const passwd* pw = getpwnam(user.c_str());
    EXPECT_EQ(chown(scratch.c_str(), pw->pw_uid, pw->pw_gid), 0);
    std::vector<std::string> argv = {"setpriv",
                                     "--reuid=" + std::to_string(pw->pw_uid),
                                     "--regid=" + std::to_string(pw->pw_gid),
                                     "--init-groups",
                                     "--",
                                     DIJKCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--config");
    argv.push_back(config_.string());
    return run(argv, scratch);
  }

  std::string group_, member_, outsider_;
};

TEST_F(DijkctlAccessTest, SocketIsGroupOwnedAndMode0660) {
  FakeDaemon daemon(config_, dir_);
  struct stat st {};
  ASSERT_EQ(stat((dir_ / "dijkd.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, getgrnam(group_.c_str())->gr_gid);
}

TEST_F(DijkctlAccessTest, GroupMemberAllowedOutsiderRefused) {
  FakeDaemon daemon(config_, dir_);
  auto r = ctl_as(member_, {"status"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("set       version 7"), std::string::npos) << r.out;
  r = ctl_as(outsider_, {"status"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("Permission denied (only root and members of the admin group may use it)"),
            std::string::npos)
      << r.out << r.err;
}

TEST_F(DijkctlAccessTest, CredentialCheckHoldsEvenIfTheSocketModeIsLoosened) {
  FakeDaemon daemon(config_, dir_, {"--socket-mode", "0666"});
  auto r = ctl_as(outsider_, {"config", "set", "hashing.pdq", "false"});
  EXPECT_EQ(r.exit_code, 2);
  const auto uid = std::to_string(getpwnam(outsider_.c_str())->pw_uid);
  EXPECT_NE(
      r.err.find("access denied: uid " + uid + " is neither root nor a member of group '" + group_ + "'"),
      std::string::npos)
      << r.err;
  EXPECT_EQ(slurp(config_).find("pdq = false"), std::string::npos);
  r = ctl_as(member_, {"stats", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  bool counted = false;
  const auto stats = json::parse(r.out);
  for (const auto& c : stats["dijkd"]["counters"]) {
    if (c["name"] == "dijk_admin_denied_total") counted = c["value"].get<double>() == 1.0;
  }
  EXPECT_TRUE(counted) << r.out;
}

// Someone outside dijk-check's group is told which group to join, and status still exits as before.
TEST_F(DijkctlAccessTest, StatusTellsWhoCannotReachDijkCheckWhichGroupToJoin) {
  const fs::path check = dir_ / "check.sock";
  spit(config_, slurp(config_) + "\n[check_api]\nsocket = \"" + check.string() + "\"\nsocket_group = \"" +
                    group_ + "\"\n");
  FakeDaemon daemon(config_, dir_);
  const CannedHealth health(check, R"({"status":"ok","set":{"version":3}})");
  ASSERT_EQ(chown(check.c_str(), 0, getgrnam(group_.c_str())->gr_gid), 0);
  auto r = ctl_as(member_, {"status"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("dijk-check up, set version 3"), std::string::npos) << r.out;
  r = ctl_as(outsider_, {"status"});
  EXPECT_EQ(r.exit_code, 2) << r.out;  // dijkd refuses the outsider: that, not dijk-check, decides
  EXPECT_NE(r.out.find("dijk-check: not readable: add yourself to group " + group_ + " (" + check.string() +
                       ": Permission denied)"),
            std::string::npos)
      << r.out;
}

}  // namespace
