// `dijkd run --mode inline` bridging two af_packet ports between a client and a server namespace: a real
// curl upload must go through (every frame forwarded) and be fingerprinted on the way, also while the
// journal's disk is full. Needs root (network namespaces, a tmpfs mount); skipped otherwise.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/set_builder.h"
#include "hashcore/util/hex.h"
#include "tests/support/test_support.h"

namespace dijk {
namespace {

namespace fs = std::filesystem;

int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}

class InlineBridge : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
    if (sh("command -v ethtool >/dev/null && command -v curl >/dev/null && command -v python3 >/dev/null") !=
        0)
      GTEST_SKIP() << "needs ethtool, curl and python3";
    id_ = std::to_string(getpid());
    dir_ = fs::temp_directory_path() / ("dijk_inline_" + id_);
    fs::create_directories(dir_);
    cli_ = "dijkib-c-" + id_;
    mid_ = "dijkib-m-" + id_;
    srv_ = "dijkib-s-" + id_;
    b0_ = "dib0" + id_;
    b1_ = "dib1" + id_;
    std::string s;
    s += "set -e; ip netns add " + cli_ + "; ip netns add " + mid_ + "; ip netns add " + srv_ + ";";
    s += "ip link add dic" + id_ + " netns " + cli_ + " type veth peer name " + b0_ + " netns " + mid_ + ";";
    s += "ip link add dis" + id_ + " netns " + srv_ + " type veth peer name " + b1_ + " netns " + mid_ + ";";
    s += "ip -n " + cli_ + " addr add 10.215.0.1/24 dev dic" + id_ + ";";
    s += "ip -n " + srv_ + " addr add 10.215.0.2/24 dev dis" + id_ + ";";
    for (const auto& [ns, dev] : std::vector<std::pair<std::string, std::string>>{
             {cli_, "dic" + id_}, {srv_, "dis" + id_}, {mid_, b0_}, {mid_, b1_}})
      s += test::link_up_without_offloads(ns, dev);
    s += "ip -n " + srv_ + " link set lo up;";
    ASSERT_EQ(sh("bash -c '" + s + "'"), 0);
    server_ = test::spawn_upload_server(srv_, dir_ / "server.out");
  }

  void TearDown() override {
    if (dijkd_ > 0) stop(dijkd_);
    if (server_ > 0) stop(server_);
    if (!id_.empty()) {
      sh("ip netns del " + cli_ + " 2>/dev/null; ip netns del " + mid_ + " 2>/dev/null; ip netns del " +
         srv_ + " 2>/dev/null");
      fs::remove_all(dir_);
    }
  }

  static pid_t spawn(const std::vector<std::string>& argv, const fs::path& out) {
    return test::spawn_with_output(argv, out);
  }

  void start_dijkd(const std::vector<std::string>& args, const std::string& ready_text);
  std::string upload();

  static int stop(pid_t& pid) { return test::stop_process(pid, std::chrono::milliseconds(5000)); }

  std::string id_, cli_, mid_, srv_, b0_, b1_;
  fs::path dir_;
  pid_t server_ = -1;
  pid_t dijkd_ = -1;
};

// A file of random bytes whose MD5 is the only entry of a set; returns the MD5 in hex.
std::string make_upload_and_set(const fs::path& dir) {
  std::vector<std::uint8_t> file(48 * 1024);
  std::mt19937 rng(7);
  for (auto& b : file) b = static_cast<std::uint8_t>(rng());
  {
    std::ofstream out(dir / "upload.bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  }
  const Digest md5 = digest_buffer(AlgorithmSet{}.add(Algorithm::md5), file).get(Algorithm::md5);
  SetBuilder builder;
  builder.add(md5, builder.add_list("live-test", "test"));
  builder.write((dir / "test.set").string(), 1);
  return to_hex({md5.bytes.data(), md5.size()});
}

std::uint64_t total_counter(const std::string& out, const std::string& name) {
  const auto total = out.find("\"total\":{");
  if (total == std::string::npos) return 0;
  const std::string key = "\"" + name + "\":";
  const auto at = out.find(key, total);
  return at == std::string::npos ? 0 : std::stoull(out.substr(at + key.size()));
}

// Starts dijkd in the middle namespace with `args` and waits for its ready line.
void InlineBridge::start_dijkd(const std::vector<std::string>& args, const std::string& ready_text) {
  std::vector<std::string> argv{"ip", "netns", "exec", mid_,
                                std::string(DIJK_BINARY_DIR) + "/apps/dijkd/dijkd"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::vector<std::string> common{"--set", (dir_ / "test.set").string(), "--json", "--file-prefix",
                                        "dijk-live-" + id_};
  argv.insert(argv.end(), common.begin(), common.end());
  dijkd_ = spawn(argv, dir_ / "dijkd.out");
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    ready = test::read_text(dir_ / "dijkd.out.err").find(ready_text) != std::string::npos;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ready) << test::read_text(dir_ / "dijkd.out.err");
}

// curl's multipart upload from the client namespace to the server; returns the HTTP status text.
std::string InlineBridge::upload() {
  const std::string curl =
      "ip netns exec " + cli_ +
      " curl -sS --max-time 20 --retry 3 --retry-connrefused -o /dev/null -w '%{http_code}' -F file=@" +
      (dir_ / "upload.bin").string() + " http://10.215.0.2/upload/live > " + (dir_ / "curl.out").string() +
      " 2>&1";
  EXPECT_EQ(sh(curl), 0) << test::read_text(dir_ / "curl.out");
  return test::read_text(dir_ / "curl.out");
}

// Waits (up to 30 s) until dijkd has printed `text`: on a loaded machine the worker may still be
// draining its queue when curl returns, and stopping it then would lose the hit for a timing reason.
void wait_for_output(const fs::path& file, const std::string& text) {
  for (int i = 0; i < 600 && test::read_text(file).find(text) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TEST_F(InlineBridge, ForwardsEveryFrameAndReportsTheUpload) {
  const std::string md5_hex = make_upload_and_set(dir_);
  start_dijkd({"run", "--mode", "inline", "--vdev", "net_af_packet0,iface=" + b0_, "--vdev",
               "net_af_packet1,iface=" + b1_},
              "inline bridge on");
  // Through the bridge: the upload only succeeds if dijkd forwards frames both ways.
  EXPECT_EQ(upload(), "201");
  wait_for_output(dir_ / "dijkd.out", md5_hex);
  const int status = stop(dijkd_);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1)  // 1: hits found
      << status << test::read_text(dir_ / "dijkd.out.err");
  const std::string out = test::read_text(dir_ / "dijkd.out");
  EXPECT_NE(out.find("\"hash\":\"" + md5_hex + "\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"filename\":\"upload.bin\""), std::string::npos) << out;
  EXPECT_GT(total_counter(out, "forwarded"), 20u) << out;
  EXPECT_EQ(total_counter(out, "forward_dropped"), 0u) << out;
}

// The output of a shell command (stderr merged).
std::string capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) out += buf.data();
  pclose(p);
  return out;
}

bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// A tmpfs of 256 KiB mounted for the test: the journal's disk, filled to the last byte once dijkd runs.
class SmallDisk {
 public:
  explicit SmallDisk(const fs::path& at) : at_(at) {
    fs::create_directories(at_);
    mounted_ = ::mount("tmpfs", at_.c_str(), "tmpfs", 0, "size=256k,mode=0700") == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(at_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool mounted() const { return mounted_; }
  void fill() const {
    std::ofstream out(at_ / "filler", std::ios::binary);
    const std::string block(4096, 'f');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }

 private:
  fs::path at_;
  bool mounted_ = false;
};

// The journal's disk full under a live inline bridge: hits cannot be made durable, yet the lcore that
// finds them must not wait for the disk. Every upload crosses the bridge (curl gets the server's answer); the
// hits are counted as unjournalled and `dijkctl status` and the metrics endpoint carry the alarm.
TEST_F(InlineBridge, KeepsForwardingWhileTheJournalDiskIsFull) {
  SmallDisk disk(dir_ / "journal-disk");
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
  const std::string md5_hex = make_upload_and_set(dir_);
  const int metrics_port = 20000 + static_cast<int>(getpid() % 20000);
  const fs::path socket = dir_ / "dijkd.sock";
  const fs::path config = dir_ / "dijk.toml";
  std::ofstream(config)
      << "appliance_id = \"inline-test\"\n\n[dataplane]\nmode = \"inline\"\nlcores = [1]\n\n"
      << "[[dataplane.ports]]\nname = \"side0\"\ndevice = \"net_af_packet0,iface=" << b0_
      << "\"\n\n[[dataplane.ports]]\nname = \"side1\"\ndevice = \"net_af_packet1,iface=" << b1_
      << "\"\n\n[dataplane.eal]\nhugepages = false\nmemory_mb = 512\n\n"
      << "[paths]\nset = \"" << (dir_ / "test.set").string() << "\"\njournal = \""
      << (dir_ / "journal-disk" / "journal").string() << "\"\n\n[admin]\nsocket = \"" << socket.string()
      << "\"\ngroup = \"root\"\n\n[metrics]\nlisten = \"127.0.0.1:" << metrics_port << "\"\n";
  start_dijkd({"run", "--config", config.string()}, "ready:");
  disk.fill();

  constexpr int kUploads = 3;
  for (int i = 0; i < kUploads; ++i) EXPECT_EQ(upload(), "201") << "upload " << i;

  const std::string ctl = std::string(DIJK_BINARY_DIR) + "/apps/dijkctl/dijkctl";
  std::string status;
  EXPECT_TRUE(eventually([&] {
    status = capture(ctl + " status --socket " + socket.string());
    return status.find("ALARM     journal disk full") != std::string::npos;
  })) << status;
  std::string metrics;
  ASSERT_EQ(sh("ip -n " + mid_ + " link set lo up"), 0);  // the metrics listener is on its loopback
  EXPECT_TRUE(eventually([&] {
    metrics = capture("ip netns exec " + mid_ + " curl -s http://127.0.0.1:" + std::to_string(metrics_port) +
                      "/metrics");
    return metrics.find("dijk_alarms{daemon=\"dijkd\"} 1") != std::string::npos &&
           metrics.find("dijk_journal_disk_full 1") != std::string::npos;
  })) << metrics;

  const int exit_status = stop(dijkd_);
  // 1: hits found, even though none could be journalled.
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 1)
      << exit_status << test::read_text(dir_ / "dijkd.out.err");
  const std::string out = test::read_text(dir_ / "dijkd.out");
  const std::uint64_t hits = total_counter(out, "stream_hits");
  EXPECT_GE(hits, static_cast<std::uint64_t>(kUploads)) << out;
  EXPECT_EQ(total_counter(out, "journal_hits_unjournalled"), hits) << out;
  EXPECT_EQ(total_counter(out, "journal_hits_journalled"), 0u) << out;
  EXPECT_EQ(total_counter(out, "forward_dropped"), 0u) << out;
  EXPECT_EQ(out.find("\"hash\":\"" + md5_hex + "\""), std::string::npos)
      << "a hit that is not in the journal was reported: " << out;
}

TEST_F(InlineBridge, MirrorPortWithTwoWorkersOnKernelFanoutQueues) {
  // The middle namespace bridges with Linux instead; dijkd watches one bridge port through two af_packet
  // queues (the kernel's symmetric fanout hash spreads flows) on two worker lcores.
  ASSERT_EQ(sh("ip -n " + mid_ + " link add br" + id_ + " type bridge && ip -n " + mid_ + " link set " + b0_ +
               " master br" + id_ + " && ip -n " + mid_ + " link set " + b1_ + " master br" + id_ +
               " && ip -n " + mid_ + " link set br" + id_ + " up"),
            0);
  const std::string md5_hex = make_upload_and_set(dir_);
  start_dijkd(
      {"run", "--mode", "mirror", "--workers", "2", "--vdev", "net_af_packet0,iface=" + b0_ + ",qpairs=2"},
      "mirror on");
  EXPECT_NE(test::read_text(dir_ / "dijkd.out.err").find("kernel-fanout"), std::string::npos);
  EXPECT_EQ(upload(), "201");
  wait_for_output(dir_ / "dijkd.out", md5_hex);
  const int status = stop(dijkd_);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1)  // 1: hits found
      << status << test::read_text(dir_ / "dijkd.out.err");
  const std::string out = test::read_text(dir_ / "dijkd.out");
  EXPECT_NE(out.find("\"hash\":\"" + md5_hex + "\""), std::string::npos) << out;
  EXPECT_EQ(total_counter(out, "forwarded"), 0u);  // mirror: receive only
  EXPECT_EQ(total_counter(out, "stream_truncated_files"), 0u) << out;
}

}  // namespace
}  // namespace dijk
