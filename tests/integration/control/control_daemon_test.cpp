// dijk-control as systemd runs it (`dijk-control run --config FILE`), driven by the real dijkctl: a feed
// published by dijk-hotline and served by a private nginx over TLS on 127.0.0.1, and the reference inbox
// (`dijk-hotline inbox`) authenticating the appliance by a client certificate the test made.
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "config/admin/client.h"
#include "control/feed/crypto.h"
#include "control/feed/publisher.h"
#include "control/journal/journal_writer.h"
#include "hashcore/pdq_index/pdq_set_section.h"
#include "hashcore/set/hash_set.h"
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

using test::free_port;

template <typename F>
bool eventually(F condition, std::chrono::milliseconds within = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

Digest hash_of(const std::string& name) {
  Digest d;
  d.algorithm = Algorithm::sha256;
  const auto s = feed::sha256(name);
  std::copy(s.begin(), s.end(), d.bytes.begin());
  return d;
}

class ControlDaemon : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { nginx_ = new test::TlsFeedServer(); }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }

  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    work_ = nginx_->work_dir() + "/control-" + name_;
    feed_dir_ = nginx_->root() + "/control-" + name_;
    fs::remove_all(work_);
    fs::create_directories(work_);
    feed::keygen({work_ + "/keys", "nl-test", 86400});
    pki_ = journal::testing::make_test_pki(work_ + "/pki", "appliance-1");
    config_ = work_ + "/dijk.toml";
    inbox_port_ = free_port();
    inbox_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{
            DIJK_HOTLINE_BIN, "inbox", "--listen", "127.0.0.1:" + std::to_string(inbox_port_), "--cert",
            pki_.server_cert, "--key", pki_.server_key, "--client-ca", pki_.ca, "--db", work_ + "/inbox.db"},
        work_ + "/inbox.log");
    write_config();
  }

  void TearDown() override {
    if (daemon_) daemon_->kill(SIGTERM);
    if (inbox_) inbox_->kill(SIGTERM);
  }

  std::string make_set(const std::vector<std::string>& names) {
    SetBuilder b;
    const auto list = b.add_list("hotline-nl", "A1");
    for (int i = 0; i < 50; ++i) b.add(hash_of("filler-" + std::to_string(i)), list);
    for (const auto& s : names) b.add(hash_of(s), list);
    const std::string path = work_ + "/set-" + std::to_string(++sets_) + ".set";
    b.write(path, 1);
    return path;
  }
  void publish(const std::vector<std::string>& names) {
    feed::publish_set({feed_dir_, work_ + "/keys", 8, 86400, 0}, make_set(names));
  }

  void write_config(const std::string& extra_feed = "") {
    const gid_t gid = ::getgid();
    const group* g = ::getgrgid(gid);
    std::ofstream(config_) << "appliance_id = \"appliance-1\"\n"
                           << "[paths]\nset = \"" << work_ << "/sets/current.set\"\njournal = \"" << work_
                           << "/journal\"\nstate = \"" << work_ << "/state\"\n"
                           << "[feed]\nurl = \"" << nginx_->url(url_prefix_ + "control-" + name_ + "/")
                           << "\"\n"
                           << "name = \"nl-test\"\nroot_key = \"" << work_ << "/keys/root.pub\"\nca = \""
                           << nginx_->ca_file() << "\"\ninterval_s = 3600\n"
                           << extra_feed << "[reporting]\nurl = \"https://127.0.0.1:" << inbox_port_
                           << "/v1/hits\"\nclient_cert = \"" << pki_.client_cert.string()
                           << "\"\nclient_key = \"" << pki_.client_key.string() << "\"\nca = \""
                           << pki_.ca.string() << "\"\n"
                           << extra_reporting_ << "[reporting.privacy]\nclient_ip = \"hmac\"\nhmac_key = \""
                           << work_ << "/state/hmac.key\"\n"
                           << "[admin]\nsocket = \"" << work_ << "/dijkd.sock\"\ncontrol_socket = \"" << work_
                           << "/control.sock\"\ngroup = \"" << (g ? g->gr_name : "root") << "\"\n"
                           << "[metrics]\n"
                           << (metrics_port_
                                   ? "control_listen = \"127.0.0.1:" + std::to_string(metrics_port_) + "\"\n"
                                   : std::string("enabled = false\n"))
                           << extra_toml_;
  }

  void start_daemon() {
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{DIJK_CONTROL_BIN, "run", "--config", config_}, work_ + "/control.log");
    ASSERT_TRUE(eventually([&] { return fs::exists(work_ + "/control.sock"); })) << log();
  }
  void stop_daemon() {
    const int status = daemon_->kill(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << log();
    fs::remove(work_ + "/control.sock");
  }

  Result ctl(const std::string& args) {
    return run(std::string(DIJKCTL_BIN) + " " + args + " --config " + config_);
  }
  json ctl_json(const std::string& args) {
    const auto r = ctl(args + " --json");
    EXPECT_EQ(r.code, 0) << args << ": " << r.out;
    return json::parse(r.out, nullptr, false);
  }
  // dijk-control's status alone (no dijkd runs in these tests); exit 1 says degraded, and is an answer too.
  Result control_status_text() { return ctl("status --socket " + work_ + "/control.sock"); }
  json control_status() {
    const auto r = ctl("status --json --socket " + work_ + "/control.sock");
    EXPECT_TRUE(r.code == 0 || r.code == 1) << r.out;
    const auto all = json::parse(r.out, nullptr, false);
    return all.is_array() && all.size() == 1 ? all[0] : json();
  }
  // 0 while no set is installed (polled: before the first sync `set show` fails, which is no test failure).
  std::uint64_t set_version() {
    const auto r = ctl("set show --json");
    const auto j = json::parse(r.out, nullptr, false);
    return r.code == 0 && j.is_object() ? j.value("version", std::uint64_t{0}) : 0;
  }
  std::string log() const {
    std::ifstream in(work_ + "/control.log");
    return "\n--- dijk-control log:\n" + std::string(std::istreambuf_iterator<char>(in), {});
  }
  json inbox_hits() {
    const auto r = run(std::string(DIJK_HOTLINE_BIN) + " hits --json --db " + work_ + "/inbox.db");
    json hits = json::array();  // one JSON object per line
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object()) hits.push_back(std::move(j));
    }
    return hits;
  }

  static test::TlsFeedServer* nginx_;
  std::string name_, work_, feed_dir_;
  std::string url_prefix_;       // "trickle/": the same feed at one byte a second
  std::string extra_toml_;       // appended to the config, e.g. [[reporting.journals]]
  std::string extra_reporting_;  // keys added to [reporting]
  std::string config_ = "";
  journal::testing::TestPki pki_;
  std::uint16_t inbox_port_ = 0;
  std::uint16_t metrics_port_ = 0;
  std::unique_ptr<ChildProcess> inbox_, daemon_;
  int sets_ = 0;
};
test::TlsFeedServer* ControlDaemon::nginx_ = nullptr;

// The daemon syncs at start; `dijkctl sync now` brings the next version at once (the interval is an hour)
// and says so; `set show` names both versions; `set rollback` brings the previous one back.
TEST_F(ControlDaemon, SyncNowInstallsTheNewVersionAndRollbackRestoresThePrevious) {
  publish({"A"});
  start_daemon();
  ASSERT_TRUE(eventually([&] { return set_version() == 1; })) << log();
  publish({"B"});
  auto r = ctl("sync now --wait");
  EXPECT_EQ(r.code, 0) << r.out << log();
  EXPECT_NE(r.out.find("version 2 installed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("set version now 2"), std::string::npos) << r.out;
  auto show = ctl_json("set show");
  EXPECT_EQ(show["version"], 2);
  EXPECT_EQ(show["previous"], json::array({1}));
  EXPECT_EQ(show["entries"], 51);
  r = ctl("set show");
  EXPECT_NE(r.out.find("rollback to  1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("active set   version 2, 51 entries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ago)"), std::string::npos) << r.out;

  // status: the feed's version, how far behind the feed, and when its manifest expires, as a date.
  const auto st = control_status();
  EXPECT_EQ(st["feed"]["installed_version"], 2) << st;
  EXPECT_EQ(st["feed"]["feed_version"], 2) << st;
  EXPECT_EQ(st["feed"]["lag_versions"], 0) << st;
  EXPECT_TRUE(
      std::regex_match(st["feed"].value("expires", ""), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << st;
  EXPECT_EQ(st["problems"], json::array()) << st;
  r = control_status_text();
  EXPECT_EQ(r.code, 0) << r.out;
  // The delta went live as an overlay over version 1's base (one addition, one removal).
  EXPECT_NE(r.out.find("feed      healthy, version 2 (feed at 2, 0 behind), overlay of 2 entries over base "
                       "version 1, expires "),
            std::string::npos)
      << r.out;
  EXPECT_EQ(st["feed"].value("overlay_entries", 0), 2) << st;
  // The audit trail: the install, with the versions.
  EXPECT_NE(log().find("dijk-control: set: installed version 1 -> 2 (51 entries, "), std::string::npos)
      << log();

  r = ctl("set rollback");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("rolled back from set version 2 to 1"), std::string::npos) << r.out;
  EXPECT_EQ(set_version(), 1u);
  // Nothing new on the feed: the rolled-back appliance stays where the admin put it, replays stay refused.
  r = ctl("sync now --wait");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(set_version(), 1u);
  stop_daemon();
}

// `set merge` folds the overlay a delta left into a new base at once, without waiting for the overlay to
// reach feed.merge_overlay_at: the set keeps its version and entries, the overlay file is gone, status
// says so; a second `set merge` finds nothing to merge, and the next delta layers over the merged base.
TEST_F(ControlDaemon, SetMergeFoldsTheOverlayIntoANewBaseAtOnce) {
  publish({"A"});
  start_daemon();
  ASSERT_TRUE(eventually([&] { return set_version() == 1; })) << log();
  publish({"B"});
  ASSERT_EQ(ctl("sync now --wait").code, 0) << log();
  ASSERT_TRUE(fs::exists(work_ + "/sets/current.overlay"));
  const auto before = ctl_json("set show");

  auto r = ctl("set merge --wait");
  EXPECT_EQ(r.code, 0) << r.out << log();
  EXPECT_NE(r.out.find("merged version 2: 2 overlay entries into a new base (tables patched)"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(work_ + "/sets/current.overlay"));
  const auto after = ctl_json("set show");
  EXPECT_EQ(after["version"], 2);
  EXPECT_EQ(after["entries"], before["entries"]);
  const auto st = control_status();
  EXPECT_EQ(st["feed"].value("overlay_entries", 1), 0) << st;
  EXPECT_EQ(control_status_text().out.find("overlay of"), std::string::npos);  // the feed line names none
  EXPECT_NE(log().find("overlay merge: merged version 2"), std::string::npos) << log();

  const auto again = ctl_json("set merge --wait");
  EXPECT_EQ(again.value("requested", true), false) << again;
  EXPECT_EQ(again.value("message", ""), "nothing to merge: set version 2 has no overlay") << again;

  publish({"C"});
  ASSERT_EQ(ctl("sync now --wait").code, 0) << log();
  EXPECT_EQ(set_version(), 3u);
  EXPECT_NE(control_status_text().out.find("overlay of 2 entries over base version 2"), std::string::npos)
      << control_status_text().out;
  stop_daemon();
}

// A feed that fails: `sync now` reports the reason and exits non-zero, the installed set keeps serving,
// and `status` shows the feed unhealthy with its reason.
TEST_F(ControlDaemon, StatusShowsAFailingFeedsReason) {
  publish({"A"});
  start_daemon();
  ASSERT_TRUE(eventually([&] { return set_version() == 1; })) << log();
  publish({"B"});
  {
    // Alter one signed byte of the manifest: the signature no longer verifies.
    std::string m;
    {
      std::ifstream in(feed_dir_ + "/manifest");
      m.assign(std::istreambuf_iterator<char>(in), {});
    }
    const auto at = m.find("version 2");
    ASSERT_NE(at, std::string::npos);
    m[at + 8] = '3';
    std::ofstream(feed_dir_ + "/manifest") << m;
  }
  auto r = ctl("sync now --wait");
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("bad_signature"), std::string::npos) << r.out;
  EXPECT_EQ(set_version(), 1u);
  r = control_status_text();
  EXPECT_NE(r.out.find("feed      UNHEALTHY"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad_signature"), std::string::npos) << r.out;
  // Degraded: exit 1 with the reason (it used to exit 0).
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("degraded: dijk-control: feed unhealthy: bad_signature"), std::string::npos) << r.out;
  // The failure is in the journal, with its reason.
  EXPECT_NE(log().find("dijk-control: sync: failed: bad_signature: "), std::string::npos) << log();
  const auto st = control_status();
  ASSERT_EQ(st.value("daemon", ""), "dijk-control") << st;
  EXPECT_FALSE(st["feed"]["healthy"].get<bool>());
  EXPECT_NE(st["feed"]["last_error"].get<std::string>().find("bad_signature"), std::string::npos);
  EXPECT_EQ(st["set"]["version"], 1);
  stop_daemon();
}

// Hits a JournalWriter made durable reach the inbox exactly once, also across a daemon restart, and show
// in `dijkctl hits` as reported; `status` counts them delivered with an empty backlog.
TEST_F(ControlDaemon, JournalHitsReachTheInboxOnceAndShowInDijkctlHits) {
  publish({"A"});
  const auto now_ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                     std::chrono::system_clock::now().time_since_epoch())
                                                     .count());
  {
    journal::JournalWriter writer({.dir = work_ + "/journal", .appliance_id = "appliance-1"});
    for (std::uint64_t n = 1; n <= 5; ++n) {
      auto hit = journal::testing::wire_hit(n);
      hit.time_ns = n <= 2 ? now_ns - 7200'000'000'000ull : now_ns;  // two hits two hours old
      writer.wait_durable_shared(writer.append_shared(hit));
    }
  }
  start_daemon();
  ASSERT_TRUE(eventually([&] { return inbox_hits().size() == 5; })) << inbox_hits() << log();

  auto hits = ctl_json("hits");
  ASSERT_EQ(hits["hits"].size(), 5u) << hits;
  for (const auto& h : hits["hits"]) EXPECT_TRUE(h["reported"].get<bool>()) << h;
  // The privacy policy: the hotline got an HMAC of the client address (the key was made at first start),
  // never the address itself.
  EXPECT_EQ(fs::file_size(work_ + "/state/hmac.key"), 32u);
  for (const auto& h : inbox_hits()) {
    EXPECT_FALSE(h.contains("client_ip")) << h;
    EXPECT_TRUE(h.contains("client_ip_hmac")) << h;
  }
  EXPECT_EQ(hits["hits"][0]["hash"], journal::testing::numbered_hash(1));
  EXPECT_EQ(ctl_json("hits --since 1h")["hits"].size(), 3u);
  auto r = ctl("hits --since 1h");
  EXPECT_NE(r.out.find("3 hits"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reported"), std::string::npos) << r.out;

  ASSERT_TRUE(eventually([&] {
    const auto d = control_status();
    return d.is_object() && d["reporter"]["backlog"] == 0 && d["reporter"]["delivered"] == 5 &&
           d["reporter"]["last_delivery_age_s"].is_number();
  })) << ctl("status").out;
  r = ctl("status");
  EXPECT_NE(r.out.find("reporter  backlog 0, delivered 5, last delivery"), std::string::npos) << r.out;

  // A restart resumes from the acknowledged position: nothing is sent twice, new hits follow.
  stop_daemon();
  {
    journal::JournalWriter writer({.dir = work_ + "/journal", .appliance_id = "appliance-1"});
    writer.wait_durable_shared(writer.append_shared(journal::testing::wire_hit(6)));
  }
  start_daemon();
  ASSERT_TRUE(eventually([&] { return inbox_hits().size() == 6; })) << inbox_hits() << log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto stored = inbox_hits();
  EXPECT_EQ(stored.size(), 6u);
  std::set<std::string> keys;
  for (const auto& h : stored) keys.insert(h.dump());
  EXPECT_EQ(keys.size(), 6u);
  stop_daemon();
}

// No hits at all, and the hotline still hears the appliance: its heartbeat goes at start and every
// heartbeat_s, and `dijk-hotline fleet` shows it with its set version, feed state and last sync. No dijkd
// runs here, so dijkd's counters are absent rather than zero.
TEST_F(ControlDaemon, HeartbeatsArriveWhileThereAreNoHits) {
  publish({"A"});
  extra_reporting_ = "heartbeat_s = 5\n";
  write_config();
  start_daemon();
  const auto fleet = [&] {
    const auto r = run(std::string(DIJK_HOTLINE_BIN) + " fleet --json --db " + work_ + "/inbox.db");
    const auto j = json::parse(r.out, nullptr, false);
    return j.is_object() ? j : json();
  };
  json first;
  ASSERT_TRUE(eventually([&] {
    first = fleet();
    return first.is_object() && first["set_version"] == 1 && first["feed_state"] == "ok";
  })) << fleet()
      << log();
  EXPECT_EQ(first["appliance"], "appliance-1");
  EXPECT_GT(first["last_sync_unix"].get<std::int64_t>(), 0);
  EXPECT_EQ(first["backlog"], 0);
  EXPECT_TRUE(first["healthy"].get<bool>()) << first;
  EXPECT_FALSE(first.contains("files_hashed")) << first;
  EXPECT_FALSE(first["software"].get<std::string>().empty());
  // And again, later, with still no hits.
  ASSERT_TRUE(eventually([&] {
    return fleet().value("sent_unix", 0) > first["sent_unix"].get<std::int64_t>();
  })) << fleet();
  EXPECT_TRUE(inbox_hits().empty());
  const auto table = run(std::string(DIJK_HOTLINE_BIN) + " fleet --db " + work_ + "/inbox.db");
  EXPECT_EQ(table.code, 0) << table.out;
  EXPECT_NE(table.out.find("1 appliances, 0 unhealthy"), std::string::npos) << table.out;
  stop_daemon();
}

// The inbox down: hits wait, the backlog shows it, and they arrive once it is back.
TEST_F(ControlDaemon, BacklogShowsWhileTheInboxIsDown) {
  publish({"A"});
  inbox_->kill(SIGTERM);
  {
    journal::JournalWriter writer({.dir = work_ + "/journal", .appliance_id = "appliance-1"});
    for (std::uint64_t n = 1; n <= 3; ++n)
      writer.wait_durable_shared(writer.append_shared(journal::testing::wire_hit(n)));
  }
  start_daemon();
  ASSERT_TRUE(eventually([&] {
    const auto r = ctl("status");
    return r.out.find("backlog 3") != std::string::npos && r.out.find("last error") != std::string::npos;
  })) << ctl("status").out;
  inbox_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{DIJK_HOTLINE_BIN, "inbox", "--listen",
                               "127.0.0.1:" + std::to_string(inbox_port_), "--cert", pki_.server_cert,
                               "--key", pki_.server_key, "--client-ca", pki_.ca, "--db", work_ + "/inbox.db"},
      work_ + "/inbox.log");
  ASSERT_TRUE(eventually([&] { return inbox_hits().size() == 3; }, std::chrono::seconds(40))) << log();
  stop_daemon();
}

// One hit the inbox refuses for good (its record names another appliance than the certificate: 403) must
// not hold back the others: it goes to the quarantine with the inbox's reason, later hits still arrive,
// the status raises an alarm and the metrics count it; dijkctl lists it, a retry that is refused again
// leaves it there, and a drop with a reason removes it into the audit log.
TEST_F(ControlDaemon, AHitRefusedForGoodIsQuarantinedAndLaterHitsStillArrive) {
  publish({"A"});
  metrics_port_ = free_port();
  write_config();
  const auto append = [&](const std::string& appliance, std::uint64_t from, std::uint64_t to) {
    journal::JournalWriter writer({.dir = work_ + "/journal", .appliance_id = appliance});
    for (std::uint64_t n = from; n <= to; ++n)
      writer.wait_durable_shared(writer.append_shared(journal::testing::wire_hit(n)));
    return writer.durable_position();  // where the next record goes
  };
  const auto bad_position = append("appliance-1", 1, 3);
  append("appliance-9", 4, 4);  // a record the inbox refuses: the certificate says appliance-1
  append("appliance-1", 5, 6);
  start_daemon();
  ASSERT_TRUE(eventually([&] { return inbox_hits().size() == 5; })) << inbox_hits() << log();

  auto listed = ctl_json("hits quarantine list");
  ASSERT_EQ(listed["hits"].size(), 1u) << listed;
  const auto q = listed["hits"][0];
  EXPECT_EQ(q["id"], bad_position);
  EXPECT_EQ(q["key"], "appliance-9:" + std::to_string(bad_position));
  EXPECT_EQ(q["status"], 403);
  EXPECT_NE(q["reason"].get<std::string>().find("another's certificate"), std::string::npos) << q;
  EXPECT_EQ(q["hit"]["hash"], journal::testing::numbered_hash(4));
  auto text = ctl("hits quarantine list");
  EXPECT_NE(text.out.find("1 quarantined hit"), std::string::npos) << text.out;
  EXPECT_NE(control_status()["reporter"].value("alarm", "").find("1 hit quarantined"), std::string::npos)
      << control_status();
  const std::string metrics_url = "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics";
  std::string metrics = run("curl -sS " + metrics_url).out;
  EXPECT_NE(metrics.find("\ndijk_reporter_quarantined_hits{journal=\"wire\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("# HELP dijk_reporter_refusals_total"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("dijk_reporter_alarm{daemon=\"dijk-control\"} 1"), std::string::npos) << metrics;

  // New hits go on while the refused one waits.
  append("appliance-1", 7, 7);
  ASSERT_TRUE(eventually([&] { return inbox_hits().size() == 6; })) << log();

  // A retry the inbox refuses again: back in the quarantine, refused twice.
  auto r = ctl("hits quarantine retry " + std::to_string(bad_position));
  EXPECT_EQ(r.code, 0) << r.out;
  ASSERT_TRUE(eventually([&] {
    const auto l = ctl_json("hits quarantine list");
    return l["hits"].size() == 1 && l["hits"][0]["refusals"] == 2 &&
           !l["hits"][0]["retry_requested"].get<bool>();
  })) << ctl("hits quarantine list").out
      << log();
  EXPECT_EQ(inbox_hits().size(), 6u);

  // Dropping wants a reason; with one, the hit leaves the quarantine into the audit log, and the alarm ends.
  EXPECT_EQ(ctl("hits quarantine drop " + std::to_string(bad_position)).code, 64);
  EXPECT_NE(ctl("hits quarantine drop 999999 --reason x").code, 0);
  r = ctl("hits quarantine drop " + std::to_string(bad_position) + " --reason 'record from a retired box'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ctl_json("hits quarantine list")["hits"].size(), 0u);
  std::ifstream audit(work_ + "/state/reporter-quarantine/audit.log");
  std::string line;
  ASSERT_TRUE(std::getline(audit, line));
  const auto entry = json::parse(line, nullptr, false);
  EXPECT_EQ(entry.value("action", ""), "dropped") << line;
  EXPECT_EQ(entry.value("why", ""), "record from a retired box") << line;
  EXPECT_EQ(entry["hit"]["hash"], journal::testing::numbered_hash(4)) << line;
  EXPECT_EQ(control_status()["reporter"].value("alarm", ""), "") << control_status();
  stop_daemon();
}

// A second journal ([[reporting.journals]], as the check API daemon writes one) is reported beside dijkd's:
// every hit of both reaches the real inbox once, the second journal's keyed APPLIANCE:api:POSITION; a hit
// the inbox refuses in it is quarantined under its name (id api:POS, its own quarantine directory and
// metrics label), and dijkctl drops it by that id.
TEST_F(ControlDaemon, EveryJournalIsReportedAndQuarantinedApart) {
  publish({"A"});
  metrics_port_ = free_port();
  extra_toml_ = "[[reporting.journals]]\nname = \"api\"\ndir = \"" + work_ + "/journal-api\"\n";
  write_config();
  const auto append = [&](const std::string& dir, const std::string& appliance, std::uint64_t from,
                          std::uint64_t to) {
    journal::JournalWriter writer({.dir = work_ + "/" + dir, .appliance_id = appliance});
    for (std::uint64_t n = from; n <= to; ++n)
      writer.wait_durable_shared(writer.append_shared(journal::testing::wire_hit(n)));
    return writer.durable_position();  // where the next record goes
  };
  append("journal", "appliance-1", 1, 3);
  const auto bad_position = append("journal-api", "appliance-1", 11, 12);
  append("journal-api", "appliance-9", 13, 13);  // refused: the certificate says appliance-1
  append("journal-api", "appliance-1", 14, 14);
  start_daemon();
  ASSERT_TRUE(eventually([&] { return inbox_hits().size() == 6; })) << inbox_hits() << log();
  // Let a duplicate delivery show if there were one.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto stored = inbox_hits();
  ASSERT_EQ(stored.size(), 6u) << stored;
  std::set<std::string> keys;
  std::size_t api = 0;
  for (const auto& h : stored) {
    const std::string key = h.value("key", "");
    keys.insert(key);
    if (key.rfind("appliance-1:api:", 0) == 0) {
      ++api;
      EXPECT_EQ(h.value("journal", ""), "api") << h;
    } else {
      EXPECT_EQ(key.find("api"), std::string::npos) << h;
      EXPECT_FALSE(h.contains("journal")) << h;
    }
  }
  EXPECT_EQ(keys.size(), 6u);
  EXPECT_EQ(api, 3u);

  const auto listed = ctl_json("hits quarantine list");
  ASSERT_EQ(listed["hits"].size(), 1u) << listed;
  const auto q = listed["hits"][0];
  EXPECT_EQ(q["id"], "api:" + std::to_string(bad_position));
  EXPECT_EQ(q["journal"], "api");
  EXPECT_EQ(q["key"], "appliance-9:api:" + std::to_string(bad_position));
  EXPECT_EQ(q["hit"]["hash"], journal::testing::numbered_hash(13));
  EXPECT_NE(ctl("hits quarantine list").out.find("api:" + std::to_string(bad_position)), std::string::npos);
  EXPECT_TRUE(fs::exists(work_ + "/state/reporter-ack-api"));
  EXPECT_TRUE(fs::exists(work_ + "/state/reporter-ack"));
  const std::string metrics =
      run("curl -sS http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics").out;
  EXPECT_NE(metrics.find("\ndijk_reporter_quarantined_hits{journal=\"api\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("\ndijk_reporter_quarantined_hits{journal=\"wire\"} 0"), std::string::npos)
      << metrics;

  // dijkctl hits shows both journals, the second one's hits by NAME:POS.
  const auto hits = ctl_json("hits");
  ASSERT_EQ(hits["hits"].size(), 7u) << hits;
  std::size_t named = 0;
  for (const auto& h : hits["hits"]) {
    if (h.value("journal", "") == "api") {
      ++named;
      EXPECT_EQ(h["id"], "api:" + std::to_string(h["position"].get<std::uint64_t>())) << h;
    }
  }
  EXPECT_EQ(named, 4u);

  // The same position in dijkd's journal is another hit: a drop by the bare number does not reach it.
  EXPECT_NE(ctl("hits quarantine drop " + std::to_string(bad_position) + " --reason x").code, 0);
  EXPECT_NE(ctl("hits quarantine drop nope:1 --reason x").code, 0);
  const auto r = ctl("hits quarantine drop api:" + std::to_string(bad_position) + " --reason 'retired box'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ctl_json("hits quarantine list")["hits"].size(), 0u);
  std::ifstream audit(work_ + "/state/reporter-quarantine-api/audit.log");
  std::string line;
  ASSERT_TRUE(std::getline(audit, line));
  EXPECT_EQ(json::parse(line, nullptr, false).value("why", ""), "retired box") << line;
  stop_daemon();
}

// SIGHUP re-reads the file: `config show` has the new interval; a broken file is refused and the old
// config stays.
TEST_F(ControlDaemon, SighupReloadsTheConfig) {
  publish({"A"});
  start_daemon();
  write_config();
  {
    std::string text;
    {
      std::ifstream in(config_);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    text.replace(text.find("interval_s = 3600"), 17, "interval_s = 1800");
    std::ofstream(config_) << text;
  }
  ::kill(daemon_->pid(), SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return ctl("config show --socket " + work_ + "/control.sock").out.find("interval_s = 1800") !=
           std::string::npos;
  })) << ctl("config show --socket " + work_ + "/control.sock").out
      << log();
  // `config set` through dijk-control's own socket: validated, written, applied; a bad value refused.
  auto r = ctl("config set feed.interval_s 600 --socket " + work_ + "/control.sock");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(ctl("config show --socket " + work_ + "/control.sock").out.find("interval_s = 600"),
            std::string::npos);
  r = ctl("config set feed.interval_s 1 --socket " + work_ + "/control.sock");
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("must be between 10 and 86400"), std::string::npos) << r.out;
  // Every change in the journal, with its old and new value and who made it.
  EXPECT_NE(log().find("dijk-control: config: reload: feed.interval_s 3600 -> 1800 (by SIGHUP)"),
            std::string::npos)
      << log();
  EXPECT_NE(log().find("dijk-control: config: set feed.interval_s 1800 -> 600 (by dijkctl, uid " +
                       std::to_string(::getuid()) + ")"),
            std::string::npos)
      << log();
  stop_daemon();
}

}  // namespace
}  // namespace dijk

namespace dijk {
namespace {

// The Prometheus endpoint of the real daemon carries the sync and reporter counters and the status gauges.
TEST_F(ControlDaemon, MetricsCarryTheSyncAndReporterCounters) {
  publish({"A"});
  metrics_port_ = free_port();
  write_config();
  {
    journal::JournalWriter writer({.dir = work_ + "/journal", .appliance_id = "appliance-1"});
    writer.wait_durable_shared(writer.append_shared(journal::testing::wire_hit(1)));
  }
  start_daemon();
  ASSERT_TRUE(eventually([&] { return inbox_hits().size() == 1 && set_version() == 1; })) << log();
  const std::string url = "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics";
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = run("curl -sS " + url).out;
    return text.find("dijk_reporter_delivered_total{daemon=\"dijk-control\"} 1") != std::string::npos;
  })) << text;
  EXPECT_NE(text.find("dijk_feed_installs_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("dijk_feed_failures_total{reason=\"bad_signature\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("dijk_set_version{daemon=\"dijk-control\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("\ndijk_reporter_batches_total{journal=\"wire\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("dijk_reporter_alarm{daemon=\"dijk-control\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("dijk_build_info{daemon=\"dijk-control\",version=\"0.1.0"), std::string::npos) << text;
  stop_daemon();
}

// dijk-control counts a set's PDQ hashes as dijkd does (it used to count exact hashes only, so the two
// daemons disagreed on the size of the same set). No feed has published: the sync fails, the set stays,
// and status is degraded for that reason.
TEST_F(ControlDaemon, CountsPdqEntriesAsDijkdDoes) {
  fs::create_directories(work_ + "/sets");
  {
    SetBuilder b;
    const auto list = b.add_list("hotline-nl", "A1");
    for (int i = 0; i < 3; ++i) b.add(hash_of("exact-" + std::to_string(i)), list);
    PdqIndexBuilder pdq;
    for (int i = 0; i < 2; ++i) {
      PdqHash h;
      h.bytes[static_cast<std::size_t>(i)] = 0xff;
      pdq.add(h, list);
    }
    add_pdq_section(b, pdq);
    b.write(work_ + "/sets/current.set", 4);
  }
  start_daemon();
  const auto st = control_status();
  EXPECT_EQ(st["set"]["version"], 4) << st;
  EXPECT_EQ(st["set"]["entries"], 5) << st;
  EXPECT_EQ(ctl_json("set show")["entries"], 5);
  ASSERT_TRUE(eventually([&] { return control_status_text().code == 1; })) << control_status_text().out;
  EXPECT_NE(control_status_text().out.find("degraded: dijk-control: feed unhealthy: "), std::string::npos);
  stop_daemon();
}

// No set at all: degraded, and status says so in a line of its own (it used to print no set line).
TEST_F(ControlDaemon, StatusWithoutASetIsDegraded) {
  start_daemon();
  const auto r = control_status_text();
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("  set       NONE: nothing matches\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("degraded: dijk-control: no set"), std::string::npos) << r.out;
  stop_daemon();
}

// --help is an answer (exit 0) for the program and each verb, and --version says the version.
TEST_F(ControlDaemon, HelpAndVersionExitZero) {
  for (const std::string args : {"--help", "-h", "help", "run --help", "sync-once --help", "report --help"}) {
    const auto r = run(std::string(DIJK_CONTROL_BIN) + " " + args);
    EXPECT_EQ(r.code, 0) << args << ": " << r.out;
    EXPECT_NE(r.out.find("sage"), std::string::npos) << args << ": " << r.out;
  }
  auto r = run(std::string(DIJK_CONTROL_BIN) + " --version");
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.out.starts_with("dijk-control 0.1.0")) << r.out;
  EXPECT_EQ(run(std::string(DIJK_CONTROL_BIN) + " frobnicate").code, 64);
  for (const std::string args : {"--help", "help", "publish --help"}) {
    r = run(std::string(DIJK_HOTLINE_BIN) + " " + args);
    EXPECT_EQ(r.code, 0) << args << ": " << r.out;
  }
  r = run(std::string(DIJK_HOTLINE_BIN) + " --version");
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.out.starts_with("dijk-hotline 0.1.0")) << r.out;
}

// systemd's side of Type=notify: READY=1 once serving, RELOADING=1 then READY=1 around a SIGHUP, and
// watchdog pings while the daemon's loops turn.
TEST_F(ControlDaemon, TellsSystemdReadyReloadingAndPingsTheWatchdog) {
  publish({"A"});
  const std::string path = work_ + "/notify";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);
  start_daemon();
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  std::string seen;
  const auto receive_until = [&](const std::string& what) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen.find(what) == std::string::npos && std::chrono::steady_clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) seen.append(buf, static_cast<std::size_t>(n)).append("\n");
    }
    return seen.find(what) != std::string::npos;
  };
  EXPECT_TRUE(receive_until("READY=1")) << seen;
  EXPECT_TRUE(receive_until("WATCHDOG=1")) << seen;
  seen.clear();
  ::kill(daemon_->pid(), SIGHUP);
  EXPECT_TRUE(receive_until("RELOADING=1")) << seen;
  EXPECT_TRUE(receive_until("READY=1")) << seen;
  stop_daemon();
  ::close(fd);
}

// kill -9 of the real daemon at moments during a burst of hits: after the last restart the inbox holds
// every hit the journal made durable, exactly once.
TEST_F(ControlDaemon, KillNineDuringABurstLosesAndDuplicatesNothing) {
  publish({"A"});
  constexpr std::uint64_t kHits = 300;
  std::atomic<bool> done{false};
  std::thread producer([&] {
    journal::JournalWriter writer({.dir = work_ + "/journal", .appliance_id = "appliance-1"});
    for (std::uint64_t n = 1; n <= kHits; ++n) {
      writer.wait_durable_shared(writer.append_shared(journal::testing::wire_hit(n)));
      if (n % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    done.store(true);
  });
  std::mt19937 rng(12345);
  for (int round = 0; round < 6; ++round) {
    start_daemon();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 150)(rng)));
    daemon_->kill(SIGKILL);
    fs::remove(work_ + "/control.sock");
  }
  producer.join();
  ASSERT_TRUE(done.load());
  start_daemon();
  ASSERT_TRUE(eventually([&] { return inbox_hits().size() >= kHits; }, std::chrono::seconds(40)))
      << inbox_hits().size() << log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto stored = inbox_hits();
  std::set<std::string> hashes;
  for (const auto& h : stored) hashes.insert(h.value("hash", ""));
  EXPECT_EQ(stored.size(), kHits);
  EXPECT_EQ(hashes.size(), kHits);
  stop_daemon();
}

}  // namespace
}  // namespace dijk

namespace dijk {
namespace {

// Issue #13.3: an installed set damaged on disk (one flipped byte: its structure opens, its checksum does
// not) cannot take deltas and would be refused by dijkd at its next start. The next sync installs the
// feed's snapshot instead, and says why.
TEST_F(ControlDaemon, DamagedSetIsRepairedByTheNextSync) {
  publish({"A"});
  start_daemon();
  ASSERT_TRUE(eventually([&] { return set_version() == 1; })) << log();
  const std::string current = work_ + "/sets/current.set";
  {
    std::fstream f(current, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-1, std::ios::end);
    const char last = static_cast<char>(f.get());
    f.seekp(-1, std::ios::end);
    f.put(static_cast<char>(last ^ 0x01));
  }
  ASSERT_NO_THROW(HashSet::open(current, SetVerification::structure));
  ASSERT_THROW(HashSet::open(current, SetVerification::full), SetFileError);
  publish({"B"});  // a delta from version 1 is on the feed
  const auto r = ctl("sync now --wait");
  EXPECT_EQ(r.code, 0) << r.out << log();
  EXPECT_NE(r.out.find("version 2 installed (snapshot)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("installed set version 1 fails verification"), std::string::npos) << r.out;
  EXPECT_EQ(HashSet::open(current, SetVerification::full)->version(), 2u);
  EXPECT_NE(log().find("fails verification"), std::string::npos) << log();
  stop_daemon();
}

// Issue #13.4: the root key file replaced under the same name and the config reloaded (SIGHUP): the old
// root no longer signs for this appliance, without a restart.
TEST_F(ControlDaemon, RepinnedRootKeyAppliesOnReload) {
  publish({"A"});
  start_daemon();
  ASSERT_TRUE(eventually([&] { return set_version() == 1; })) << log();
  feed::keygen({work_ + "/new-keys", "nl-test", 86400});
  fs::copy_file(work_ + "/new-keys/root.pub", work_ + "/keys/root.pub", fs::copy_options::overwrite_existing);
  ::kill(daemon_->pid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return log().find("config reloaded") != std::string::npos; })) << log();
  publish({"B"});  // signed under the old root
  const auto r = ctl("sync now --wait");
  EXPECT_NE(r.code, 0) << r.out << log();
  EXPECT_NE(r.out.find("untrusted_delegation"), std::string::npos) << r.out;
  EXPECT_EQ(set_version(), 1u);
  stop_daemon();
}

// Issue #13.5: a set imported by hand (version 5, no feed provenance) and then a feed configured whose
// first version is 1: the feed's snapshot replaces it (the hand-made set stays as previous.set), and the
// feed carries on by delta from there.
TEST_F(ControlDaemon, HandImportedSetIsReplacedByTheFeedsFirstVersion) {
  fs::create_directories(work_ + "/sets");
  {
    SetBuilder b;
    const auto list = b.add_list("hand-made", "A1");
    b.add(hash_of("imported by hand"), list);
    b.write(work_ + "/sets/current.set", 5);
  }
  publish({"A"});
  start_daemon();
  ASSERT_TRUE(eventually([&] { return set_version() == 1; })) << log();
  EXPECT_EQ(ctl_json("set show")["previous"], json::array({5}));
  EXPECT_NE(log().find("current.set (version 5) is not from feed nl-test"), std::string::npos) << log();
  auto r = ctl("sync now --wait");
  EXPECT_EQ(r.code, 0) << r.out << log();
  EXPECT_NE(r.out.find("set version 1 is up to date"), std::string::npos) << r.out;
  publish({"B"});
  r = ctl("sync now --wait");
  EXPECT_EQ(r.code, 0) << r.out << log();
  EXPECT_NE(r.out.find("version 2 installed (deltas 1)"), std::string::npos) << r.out;
  stop_daemon();
}

// Issue #13.6: while a sync crawls through a manifest at one byte a second, the admin socket answers
// every request within a second (the issue's bound): `sync now` only asks, `status` and `config set`
// do not wait for the sync, and the changed [feed] applies at once.
TEST_F(ControlDaemon, AdminSocketAnswersWithinASecondDuringASlowSync) {
  url_prefix_ = "trickle/";
  write_config();
  publish({"A"});
  start_daemon();
  const auto within_a_second = [&](const std::string& verb, const json& args = json::object()) {
    admin::AdminClient client(work_ + "/control.sock", 1000);  // a reply later than 1 s throws
    return client.call(verb, args);
  };
  json requested;
  ASSERT_NO_THROW(requested = within_a_second("sync.now")) << log();
  EXPECT_TRUE(requested.value("message", "").starts_with("sync ")) << requested;
  ASSERT_TRUE(eventually([&] { return within_a_second("sync.status").value("running", false); })) << log();
  EXPECT_TRUE(within_a_second("sync.now").value("message", "").starts_with("sync already running"));
  EXPECT_NO_THROW(within_a_second("status"));
  EXPECT_NO_THROW(within_a_second("config.set", {{"key", "feed.interval_s"}, {"value", "600"}})) << log();
  EXPECT_NE(within_a_second("config.show")["toml"].get<std::string>().find("interval_s = 600"),
            std::string::npos);
  EXPECT_NO_THROW(within_a_second("status"));
  EXPECT_NO_THROW(within_a_second("sync.now"));
  const auto r = ctl("sync now");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("sync"), std::string::npos) << r.out;
  EXPECT_EQ(set_version(), 0u);  // nothing arrived at one byte a second
  stop_daemon();
}

}  // namespace
}  // namespace dijk
