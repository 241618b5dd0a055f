// Enrollment end to end, with the real binaries: `dijkctl enroll request` on the appliance, `dijk-hotline
// enroll` at the hotline, `dijkctl enroll install` back on the appliance; then dijk-control, run on nothing
// but the installed config, syncs the feed the bundle names (nginx over TLS, the bundle's root key and CA)
// and reports a hit to the reference inbox over mutual TLS. Revoked with `dijk-hotline enroll revoke`, the
// appliance's next report is refused by the inbox, logged and counted, while another appliance's is not.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "config/schema/loader.h"
#include "control/feed/crypto.h"
#include "control/feed/publisher.h"
#include "control/journal/journal_writer.h"
#include "hashcore/set/set_builder.h"
#include "tests/integration/feed/tls_feed_server.h"
#include "tests/integration/journal/child_process.h"
#include "tests/integration/journal/test_pki.h"
#include "tests/support/test_support.h"
#include "tests/unit/journal/test_hits.h"

namespace dijk {
namespace {
namespace fs = std::filesystem;
using journal::testing::ChildProcess;
using nlohmann::json;

struct Result {
  int code = -1;
  std::string out;
};

// Runs a command, stdout and stderr together.
Result run(const std::string& command) {
  Result r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

template <typename F>
bool eventually(F condition, std::chrono::milliseconds within = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class Enrollment : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { nginx_ = new test::TlsFeedServer(); }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }

  void SetUp() override {
    work_ = nginx_->work_dir() + "/enroll";
    fs::remove_all(work_);
    fs::create_directories(work_);
    fs::remove_all(nginx_->root() + "/enroll");
    // The hotline: a signed feed with one set, an inbox server certificate, the appliance CA.
    feed::keygen({work_ + "/keys", "nl-test", 86400});
    SetBuilder b;
    const auto list = b.add_list("hotline-nl", "A1");
    for (int i = 0; i < 10; ++i) b.add(hash_of("filler-" + std::to_string(i)), list);
    b.write(work_ + "/v1.set", 1);
    feed::publish_set({nginx_->root() + "/enroll", work_ + "/keys", 8, 86400, 0}, work_ + "/v1.set");
    server_pki_ = journal::testing::make_test_pki(work_ + "/tls");
    const auto ca = hotline("ca init --ca-dir " + work_ + "/ca");
    ASSERT_EQ(ca.code, 0) << ca.out;
    inbox_port_ = test::free_port();
  }

  void TearDown() override {
    if (daemon_) daemon_->kill(SIGTERM);
    if (inbox_) inbox_->kill(SIGTERM);
  }

  static Digest hash_of(const std::string& name) {
    Digest d;
    d.algorithm = Algorithm::sha256;
    const auto s = feed::sha256(name);
    std::copy(s.begin(), s.end(), d.bytes.begin());
    return d;
  }

  // An appliance's config before enrollment: its id and local paths, no feed, no inbox.
  std::string appliance_config(const std::string& id) {
    const std::string dir = work_ + "/" + id;
    fs::create_directories(dir + "/state");
    const group* g = ::getgrgid(::getgid());
    std::ofstream(dir + "/dijk.toml")
        << "appliance_id = \"" << id << "\"\n"
        << "[paths]\nset = \"" << dir << "/sets/current.set\"\njournal = \"" << dir
        << "/journal\"\nstate = \"" << dir << "/state\"\n"
        << "[reporting.privacy]\nclient_ip = \"omit\"\n"
        << "[admin]\nsocket = \"" << dir << "/dijkd.sock\"\ncontrol_socket = \"" << dir
        << "/control.sock\"\ngroup = \"" << (g ? g->gr_name : "root") << "\"\n[metrics]\nenabled = false\n";
    return dir + "/dijk.toml";
  }

  Result hotline(const std::string& args) { return run(std::string(DIJK_HOTLINE_BIN) + " " + args); }
  Result ctl(const std::string& args) { return run(std::string(DIJKCTL_BIN) + " " + args); }

  // `dijk-hotline enroll` for the request `dijkctl enroll request` left in the appliance's state.
  Result sign(const std::string& id, const std::string& bundle) {
    return hotline("enroll --ca-dir " + work_ + "/ca --csr " + work_ + "/" + id +
                   "/state/enroll/request.csr --inbox-url https://127.0.0.1:" + std::to_string(inbox_port_) +
                   "/v1/hits --inbox-ca " + server_pki_.ca.string() + " --feed-url " +
                   nginx_->url("enroll/") + " --feed-name nl-test --root-pub " + work_ +
                   "/keys/root.pub --feed-ca " + nginx_->ca_file() + " --out " + bundle);
  }

  void start_inbox() {
    inbox_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{
            DIJK_HOTLINE_BIN, "inbox", "--listen", "127.0.0.1:" + std::to_string(inbox_port_), "--cert",
            server_pki_.server_cert, "--key", server_pki_.server_key, "--client-ca", work_ + "/ca/ca.crt",
            "--crl", work_ + "/ca/crl.pem", "--db", work_ + "/inbox.db"},
        work_ + "/inbox.log");
  }

  static void journal_hit(const std::string& config, std::uint64_t n) {
    const auto c = load_config_file(config).config;
    journal::JournalWriter writer({.dir = c.paths.journal, .appliance_id = c.appliance_id});
    writer.wait_durable_shared(writer.append_shared(journal::testing::wire_hit(n)));
  }

  json inbox_hits() {
    const auto r = hotline("hits --json --db " + work_ + "/inbox.db");
    json hits = json::array();
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object()) hits.push_back(std::move(j));
    }
    return hits;
  }
  std::size_t hits_of(const std::string& appliance) {
    std::size_t n = 0;
    for (const auto& h : inbox_hits()) n += h.value("appliance", "") == appliance ? 1u : 0u;
    return n;
  }
  std::string logs() const {
    return "\n--- inbox:\n" + read_file(work_ + "/inbox.log") + "\n--- dijk-control:\n" +
           read_file(work_ + "/control.log");
  }

  static test::TlsFeedServer* nginx_;
  std::string work_;
  journal::testing::TestPki server_pki_;
  std::uint16_t inbox_port_ = 0;
  std::unique_ptr<ChildProcess> inbox_, daemon_;
};
test::TlsFeedServer* Enrollment::nginx_ = nullptr;

TEST_F(Enrollment, RequestSignInstallReportThenRevoke) {
  const std::string config = appliance_config("appliance-1");
  const std::string state = work_ + "/appliance-1/state";

  // The appliance makes its key (never sent anywhere) and a request naming it.
  auto r = ctl("enroll request --config " + config);
  ASSERT_EQ(r.code, 0) << r.out;
  struct stat st {};
  ASSERT_EQ(::stat((state + "/enroll/pending.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(r.out.find("-----BEGIN CERTIFICATE REQUEST-----"), std::string::npos) << r.out;

  // The hotline signs it into a bundle.
  r = sign("appliance-1", work_ + "/appliance-1.bundle");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("for appliance appliance-1"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(work_ + "/appliance-1.bundle").find("PRIVATE KEY"), std::string::npos);
  // A second certificate for a live appliance only with --replace.
  r = sign("appliance-1", work_ + "/again.bundle");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("already holds certificate"), std::string::npos) << r.out;

  // Another appliance cannot install it: the certificate is not for its key; its config stays as it was.
  const std::string other = appliance_config("appliance-2");
  ASSERT_EQ(ctl("enroll request --config " + other).code, 0);
  const std::string other_before = read_file(other);
  r = ctl("enroll install " + work_ + "/appliance-1.bundle --config " + other);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("not for this appliance's key"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(other), other_before);

  // Installed where the request was made: the config now names the certificate, the inbox and the feed.
  r = ctl("enroll install " + work_ + "/appliance-1.bundle --config " + config);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto loaded = load_config_file(config);
  ASSERT_TRUE(loaded.ok()) << loaded.error_text();
  const auto& c = loaded.config;
  EXPECT_EQ(c.reporting.url, "https://127.0.0.1:" + std::to_string(inbox_port_) + "/v1/hits");
  EXPECT_EQ(c.feed.url, nginx_->url("enroll/"));
  EXPECT_EQ(c.feed.name, "nl-test");
  EXPECT_EQ(read_file(c.feed.root_key), read_file(work_ + "/keys/root.pub"));
  ASSERT_EQ(::stat(c.reporting.client_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(state + "/enroll/pending.key"));
  EXPECT_EQ(run("openssl x509 -noout -subject -in " + c.reporting.client_cert).out,
            "subject=CN = appliance-1\n");

  // dijk-control on the installed config alone: the feed syncs, the first report is accepted.
  start_inbox();
  journal_hit(config, 1);
  daemon_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{DIJK_CONTROL_BIN, "run", "--config", config}, work_ + "/control.log");
  ASSERT_TRUE(eventually([&] { return hits_of("appliance-1") == 1; })) << inbox_hits() << logs();
  ASSERT_TRUE(eventually([&] { return fs::exists(work_ + "/appliance-1/sets/current.set"); })) << logs();

  // The second appliance, enrolled too, keeps reporting after the first is revoked.
  ASSERT_EQ(sign("appliance-2", work_ + "/appliance-2.bundle").code, 0);
  ASSERT_EQ(ctl("enroll install " + work_ + "/appliance-2.bundle --config " + other).code, 0);

  r = hotline("enroll revoke --ca-dir " + work_ + "/ca --reason 'stolen box' appliance-1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("of appliance appliance-1"), std::string::npos) << r.out;
  EXPECT_NE(hotline("enroll list --ca-dir " + work_ + "/ca").out.find("stolen box"), std::string::npos);

  // The next report of appliance-1, on its kept-alive connection or a new one, is refused and logged.
  journal_hit(config, 2);
  ASSERT_TRUE(eventually([&] {
    return read_file(work_ + "/inbox.log").find("refused appliance appliance-1: certificate ") !=
           std::string::npos;
  })) << logs();
  EXPECT_NE(read_file(work_ + "/inbox.log").find(" is revoked"), std::string::npos) << logs();
  EXPECT_EQ(hits_of("appliance-1"), 1u) << inbox_hits();

  // appliance-2 reports through the same inbox (its dijk-control, started once appliance-1's stops).
  daemon_->kill(SIGTERM);
  journal_hit(other, 1);
  daemon_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{DIJK_CONTROL_BIN, "run", "--config", other}, work_ + "/control.log");
  ASSERT_TRUE(eventually([&] { return hits_of("appliance-2") == 1; })) << inbox_hits() << logs();
  EXPECT_EQ(hits_of("appliance-1"), 1u) << inbox_hits();

  // The inbox counts the refusals.
  const int status = inbox_->kill(SIGTERM);
  inbox_.reset();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const std::string log = read_file(work_ + "/inbox.log");
  EXPECT_EQ(log.find("inbox: refused 0 connections"), std::string::npos) << log;
  EXPECT_NE(log.find("connections and requests on revoked certificates"), std::string::npos) << log;
}

}  // namespace
}  // namespace dijk
