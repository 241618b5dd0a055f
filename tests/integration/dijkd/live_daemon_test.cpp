// The real dijkd, `run --config` on an af_packet port in a server network namespace while curl uploads
// from a client namespace: the admin socket (dijkctl status, stats, config show/set), the metrics
// endpoint, SIGHUP reload, and a new set file picked up without a restart. Needs root; skipped otherwise.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "control/journal/journal_reader.h"
#include "hashcore/digest/streaming_digests.h"
#include "tests/integration/dijkd/dijkd_harness.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}

struct Output {
  int exit_code = -1;
  std::string out;
};

Output capture(const std::string& cmd) {
  Output o;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return o;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) o.out += buf.data();
  const int status = pclose(p);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

class LiveDijkd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
    if (sh("command -v curl >/dev/null && command -v python3 >/dev/null") != 0)
      GTEST_SKIP() << "needs curl, python3";
    id_ = std::to_string(getpid());
    dir_ = fs::temp_directory_path() / ("dijkd_live_" + id_);
    fs::create_directories(dir_);
    cli_ = "dijkdl-c-" + id_;
    srv_ = "dijkdl-s-" + id_;
    dev_ = "dls" + id_;
    std::string s = "set -e; ip netns add " + cli_ + "; ip netns add " + srv_ + ";";
    s += "ip link add dlc" + id_ + " netns " + cli_ + " type veth peer name " + dev_ + " netns " + srv_ + ";";
    s += "ip -n " + cli_ + " addr add 10.216.0.1/24 dev dlc" + id_ + ";";
    s += "ip -n " + srv_ + " addr add 10.216.0.2/24 dev " + dev_ + ";";
    for (const auto& [ns, dev] :
         std::vector<std::pair<std::string, std::string>>{{cli_, "dlc" + id_}, {srv_, dev_}}) {
      s += test::link_up_without_offloads(ns, dev);
    }
    s += "ip -n " + srv_ + " link set lo up;";
    ASSERT_EQ(sh("bash -c '" + s + "'"), 0);
    server_ = test::spawn_upload_server(srv_, dir_ / "server.out");
    // The upload: random bytes; its MD5 is what the second set lists.
    std::vector<std::uint8_t> file(48 * 1024);
    std::mt19937 rng(11);
    for (auto& b : file) b = static_cast<std::uint8_t>(rng());
    std::ofstream(dir_ / "upload.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    StreamingDigests d(AlgorithmSet{}.add(Algorithm::md5));
    d.update(file);
    const Digest md5 = d.finish().get(Algorithm::md5);
    md5_ = to_hex({md5.bytes.data(), md5.size()});
    metrics_port_ = 20000 + static_cast<int>(getpid() % 20000);
  }

  void TearDown() override {
    if (dijkd_ > 0) stop(dijkd_);
    if (server_ > 0) stop(server_);
    if (!id_.empty()) {
      sh("ip netns del " + cli_ + " 2>/dev/null; ip netns del " + srv_ + " 2>/dev/null");
      fs::remove_all(dir_);
    }
  }

  static pid_t spawn(const std::vector<std::string>& argv, const fs::path& out) {
    return test::spawn_with_output(argv, out);
  }

  static int stop(pid_t& pid) { return test::stop_process(pid, std::chrono::milliseconds(10000)); }

  std::string config_text(const fs::path& set) const {
    return "appliance_id = \"live-test\"\n\n[dataplane]\nmode = \"mirror\"\nlcores = [1]\n\n"
           "[[dataplane.ports]]\nname = \"span0\"\ndevice = \"net_af_packet0,iface=" +
           dev_ +
           "\"\n\n"
           "[dataplane.eal]\nhugepages = false\nmemory_mb = 512\n\n"
           "[hashing]\npdq_max_distance = 31\n\n"
           "[paths]\nset = \"" +
           set.string() + "\"\njournal = \"" + (dir_ / "journal").string() +
           "\"\n\n"
           "[admin]\nsocket = \"" +
           (dir_ / "dijkd.sock").string() +
           "\"\ngroup = \"root\"\n\n"
           "[metrics]\nlisten = \"127.0.0.1:" +
           std::to_string(metrics_port_) + "\"\n";
  }

  Output ctl(const std::string& args) const {
    return capture(kDijkctl.string() + " " + args + " --socket " + (dir_ / "dijkd.sock").string());
  }

  bool upload(const std::string& name) const {
    return sh("ip netns exec " + cli_ + " curl -sS --http1.1 -o /dev/null -F 'file=@" +
              (dir_ / "upload.bin").string() + ";filename=" + name + "' http://10.216.0.2/upload") == 0;
  }

  std::uint64_t status_set_version() const {
    const auto r = ctl("status --json");
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return 0;
    // dijkctl --json status: one object per daemon asked.
    const auto& s = j.is_array() && !j.empty() ? j[0] : j;
    return s.contains("set") ? s["set"]["version"].get<std::uint64_t>() : 0;
  }

  std::string id_, cli_, srv_, dev_, md5_;
  fs::path dir_;
  int metrics_port_ = 0;
  pid_t server_ = -1;
  pid_t dijkd_ = -1;
};

TEST_F(LiveDijkd, AdminVerbsMetricsReloadAndSetSwapAgainstTheRealDaemon) {
  const fs::path set = dir_ / "current.set";
  install_set(set, {}, {}, 1);  // nothing listed yet
  const fs::path config = dir_ / "dijk.toml";
  std::ofstream(config) << config_text(set);

  dijkd_ = spawn({"ip", "netns", "exec", srv_, kDijkd.string(), "run", "--config", config.string(), "--json",
                  "--file-prefix", "dijkd-live-" + id_, "--set-poll-ms", "200"},
                 dir_ / "dijkd.out");
  ASSERT_TRUE(eventually([&] {
    return test::read_text(dir_ / "dijkd.out.err").find("ready:") != std::string::npos;
  })) << test::read_text(dir_ / "dijkd.out.err");

  // status: the set the config names.
  auto r = ctl("status --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\"appliance_id\": \"live-test\""), std::string::npos) << r.out;
  EXPECT_EQ(status_set_version(), 1u);

  // An upload before the set lists it: no hit.
  ASSERT_TRUE(upload("before.bin"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(test::read_text(dir_ / "dijkd.out").find(md5_), std::string::npos);

  // A new set renamed into place, as the sync does: live without a restart.
  install_set(set, {md5_}, {}, 2);
  ASSERT_TRUE(eventually([&] { return status_set_version() == 2; }))
      << test::read_text(dir_ / "dijkd.out.err");
  // The swap is in the journal (dijkd used to log nothing), and status shows the drops.
  EXPECT_TRUE(eventually([&] {
    return test::read_text(dir_ / "dijkd.out.err").find("dijkd: set: swapped version 1 -> 2 (1 entries)") !=
           std::string::npos;
  })) << test::read_text(dir_ / "dijkd.out.err");
  EXPECT_NE(ctl("status").out.find("  drops     nic "), std::string::npos) << ctl("status").out;
  // The workers take it at their next tick (~1 ms); the upload's file is matched against it.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(upload("after.bin"));
  ASSERT_TRUE(eventually([&] { return test::read_text(dir_ / "dijkd.out").find(md5_) != std::string::npos; }))
      << test::read_text(dir_ / "dijkd.out") << test::read_text(dir_ / "dijkd.out.err");
  const std::string hits = test::read_text(dir_ / "dijkd.out");
  EXPECT_NE(hits.find("\"filename\":\"after.bin\""), std::string::npos) << hits;
  EXPECT_EQ(hits.find("\"filename\":\"before.bin\""), std::string::npos) << hits;
  EXPECT_NE(hits.find("\"set_version\":2"), std::string::npos) << hits;

  // stats: every counter per lcore (published by the worker about once a second).
  ASSERT_TRUE(eventually([&] {
    const auto s = ctl("stats --json");
    return s.out.find("dijk_wire_stream_hits_total") != std::string::npos;
  }));
  r = ctl("stats --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* name : {"dijk_wire_rx_packets_total", "dijk_wire_stream_files_total",
                           "dijk_wire_drop_not_tcp_total", "dijk_port_ipackets_total",
                           "dijk_pdq_images_total", "dijk_hits_reported_total", "dijk_set_swaps_total"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name << " missing in " << r.out;
  EXPECT_NE(r.out.find("\"lcore\": \"1\""), std::string::npos) << r.out;

  // The metrics endpoint (loopback of the daemon's namespace) serves the same counters, the hit included
  // once the worker has published its next snapshot.
  Output m;
  EXPECT_TRUE(eventually([&] {
    m = capture("ip netns exec " + srv_ + " curl -s http://127.0.0.1:" + std::to_string(metrics_port_) +
                "/metrics");
    return m.out.find("dijk_wire_stream_hits_total{lcore=\"1\"} 1") != std::string::npos;
  })) << m.out;
  EXPECT_NE(m.out.find("dijk_set_version"), std::string::npos) << m.out;
  // Help text comes from the counter's one declaration; levels are gauges, time is in seconds.
  EXPECT_NE(m.out.find("# HELP dijk_wire_stream_files_total files seen in request bodies"), std::string::npos)
      << m.out;
  EXPECT_NE(m.out.find("# HELP dijk_wire_drop_not_tcp_total UDP, ICMP and other non-TCP packets"),
            std::string::npos)
      << m.out;
  EXPECT_NE(m.out.find("# HELP dijk_pdq_images_total images taken off the PDQ queue"), std::string::npos)
      << m.out;
  EXPECT_NE(m.out.find("# TYPE dijk_wire_stream_flows_open gauge"), std::string::npos) << m.out;
  EXPECT_EQ(m.out.find("dijk_wire_stream_flows_open_total"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("dijk_wire_cpu_seconds_total{"), std::string::npos) << m.out;

  // config show / set (a live key) / a bad value refused with the file untouched / confirm.
  r = ctl("config show --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("live-test"), std::string::npos) << r.out;
  const std::string before = test::read_text(config);
  r = ctl("config set hashing.pdq_max_distance 300");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(test::read_text(config), before);
  r = ctl("config set hashing.pdq_max_distance 20 --confirm-within 60s");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(test::read_text(config).find("pdq_max_distance = 20"), std::string::npos)
      << test::read_text(config);
  r = ctl("config confirm");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  // A key dijkd reads only at its start: saved, and reported as waiting for dijkd's restart rather than
  // applied; the running config keeps the old ports.
  r = ctl("config set dataplane.http_ports [8080]");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("restart needed for: dataplane.http_ports (dijkd)"), std::string::npos) << r.out;
  r = ctl("config show");
  EXPECT_NE(r.out.find("# the file also changes, from the next restart: dataplane.http_ports\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("http_ports = []"), std::string::npos) << r.out;

  // SIGHUP: paths.set now names another file (version 5): it goes live.
  const fs::path other = dir_ / "other.set";
  write_set(other, {md5_}, {}, 5);
  std::string text = test::read_text(config);
  text.replace(text.find(set.string()), set.string().size(), other.string());
  std::ofstream(config) << text;
  ASSERT_EQ(
      sh("pkill -HUP -P " + std::to_string(dijkd_) + " -x dijkd || kill -HUP " + std::to_string(dijkd_)), 0);
  EXPECT_TRUE(eventually([&] { return status_set_version() == 5; }))
      << test::read_text(dir_ / "dijkd.out.err");
  // ... and the watcher now follows the new path: a version renamed over it goes live too.
  install_set(other, {md5_}, {}, 6);
  EXPECT_TRUE(eventually([&] { return status_set_version() == 6; }))
      << test::read_text(dir_ / "dijkd.out.err");

  // SIGTERM: the summary, exit 1 (hits were reported).
  const int status = stop(dijkd_);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1)
      << status << test::read_text(dir_ / "dijkd.out.err");
  EXPECT_NE(test::read_text(dir_ / "dijkd.out").find("{\"summary\""), std::string::npos);

  // The hit is in the journal the config names (paths.journal), with the appliance id.
  journal::JournalReader reader(dir_ / "journal");
  std::vector<journal::JournalRecord> records;
  while (auto e = reader.next()) records.push_back(e->record);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].hit.hash, md5_);
  EXPECT_EQ(records[0].hit.filename, "after.bin");
  EXPECT_EQ(records[0].appliance_id, "live-test");
}

}  // namespace
}  // namespace dijk::test
