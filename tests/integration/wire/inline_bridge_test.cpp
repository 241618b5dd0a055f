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

// An upload server that says, for each request, whether it received the whole body: "complete N" once
// all Content-Length bytes are read (then 201), "incomplete N of M" when the connection ends first.
constexpr const char* kLoggingServer = R"PY(import socket, sys, threading
log = open(sys.argv[2], "a", buffering=1)
def serve(c):
    data, got, length = b"", 0, 0
    try:
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                return
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
            if line.lower().startswith(b"expect:"):
                c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        got = len(body)
        while got < length:
            chunk = c.recv(65536)
            if not chunk:
                break
            got += len(chunk)
        if got < length:
            log.write("incomplete %d of %d\n" % (got, length))
            return
        log.write("complete %d\n" % got)
        c.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError as e:
        log.write("incomplete %d of %d (%s)\n" % (got, length, e))
    finally:
        c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
)PY";

// Random bytes of `size`, written to dir/name; returns their MD5.
Digest write_random_file(const fs::path& path, std::size_t size, unsigned seed) {
  std::vector<std::uint8_t> file(size);
  std::mt19937 rng(seed);
  for (auto& b : file) b = static_cast<std::uint8_t>(rng());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  return digest_buffer(AlgorithmSet{}.add(Algorithm::md5), file).get(Algorithm::md5);
}

// Prevention on the live bridge (dataplane.ips = true): a listed upload is reset before the server has it
// all, an unlisted one completes, and once the journal's disk is full a listed upload completes too (fail
// open, counted): a block is only enacted for a hit the journal can take.
TEST_F(InlineBridge, PreventionResetsAListedUploadAndFailsOpenWhenTheJournalCannotWrite) {
  SmallDisk disk(dir_ / "journal-disk");
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
  // The listed file on a list [policy] blocks (the default), a second one on a list it only reports.
  const Digest listed = write_random_file(dir_ / "listed.bin", 96 * 1024, 11);
  const Digest reported = write_random_file(dir_ / "reported.bin", 16 * 1024, 12);
  write_random_file(dir_ / "unlisted.bin", 96 * 1024, 13);
  {
    SetBuilder builder;
    builder.add(listed, builder.add_list("hotline-block", "A1"));
    builder.add(reported, builder.add_list("review", "B2"));
    builder.write((dir_ / "test.set").string(), 1);
  }
  const std::string listed_hex = to_hex({listed.bytes.data(), listed.size()});
  test::write_text((dir_ / "server.py").string(), kLoggingServer);
  const fs::path server_log = dir_ / "server.log";
  pid_t logging_server = spawn(
      {"ip", "netns", "exec", srv_, "python3", (dir_ / "server.py").string(), "8080", server_log.string()},
      dir_ / "logging-server.out");
  const fs::path socket = dir_ / "dijkd.sock";
  const fs::path config = dir_ / "dijk.toml";
  std::ofstream(config)
      << "appliance_id = \"ips-test\"\n\n[dataplane]\nmode = \"inline\"\nips = true\nlcores = [1]\n\n"
      << "[[dataplane.ports]]\nname = \"side0\"\ndevice = \"net_af_packet0,iface=" << b0_
      << "\"\n\n[[dataplane.ports]]\nname = \"side1\"\ndevice = \"net_af_packet1,iface=" << b1_
      << "\"\n\n[dataplane.eal]\nhugepages = false\nmemory_mb = 512\n\n"
      << "[paths]\nset = \"" << (dir_ / "test.set").string() << "\"\njournal = \""
      << (dir_ / "journal-disk" / "journal").string() << "\"\n\n[admin]\nsocket = \"" << socket.string()
      << "\"\ngroup = \"root\"\n\n[metrics]\nenabled = false\n\n"
      << "[policy]\ndefault = \"block\"\n\n[policy.lists]\nreview = \"report\"\n";
  start_dijkd({"run", "--config", config.string()}, "ready:");
  EXPECT_NE(test::read_text(dir_ / "dijkd.out.err").find("prevention on"), std::string::npos)
      << test::read_text(dir_ / "dijkd.out.err");
  // The server must be listening, or a refused connection would pass for a reset one.
  ASSERT_TRUE(eventually([&] { return sh("ip netns exec " + srv_ + " ss -ltn | grep -q ':8080 '") == 0; }))
      << test::read_text(dir_ / "logging-server.out.err");

  // No retries: a reset upload must stay reset. Returns curl's exit status and writes its output to `out`.
  const auto post = [&](const std::string& file, const fs::path& out, const std::string& query = "") {
    return sh("ip netns exec " + cli_ + " curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -F file=@" +
              (dir_ / file).string() + " 'http://10.215.0.2:8080/upload" + query + "' > " + out.string() +
              " 2>&1");
  };
  const auto server_lines = [&] {
    std::vector<std::string> lines;
    std::istringstream in(test::read_text(server_log));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };
  // The server's first line may be late by a scheduling slice: wait for it (not a timing assertion).
  const auto wait_lines = [&](std::size_t n) {
    return eventually([&] { return server_lines().size() >= n; });
  };

  // 1. Listed: curl sees the connection reset, the server never gets the whole body.
  EXPECT_NE(post("listed.bin", dir_ / "curl1.out"), 0) << test::read_text(dir_ / "curl1.out");
  EXPECT_EQ(test::read_text(dir_ / "curl1.out").find("201"), std::string::npos)
      << test::read_text(dir_ / "curl1.out");
  EXPECT_NE(test::read_text(dir_ / "curl1.out").find("reset"), std::string::npos)
      << test::read_text(dir_ / "curl1.out");
  ASSERT_TRUE(wait_lines(1)) << test::read_text(server_log);
  EXPECT_EQ(server_lines()[0].rfind("incomplete ", 0), 0u) << test::read_text(server_log);

  // 2. Unlisted: through untouched.
  EXPECT_EQ(post("unlisted.bin", dir_ / "curl2.out"), 0) << test::read_text(dir_ / "curl2.out");
  EXPECT_EQ(test::read_text(dir_ / "curl2.out"), "201");
  ASSERT_TRUE(wait_lines(2));
  EXPECT_EQ(server_lines()[1].rfind("complete ", 0), 0u) << test::read_text(server_log);

  // 3. The journal's disk fills; a hit on the report-only list finds it full (the writer says so). Its
  // long URL (kept in the record) makes the record need a page of the tmpfs the journal has not yet got.
  disk.fill();
  EXPECT_EQ(post("reported.bin", dir_ / "curl3.out", "?note=" + std::string(8000, 'n')), 0)
      << test::read_text(dir_ / "curl3.out");
  EXPECT_EQ(test::read_text(dir_ / "curl3.out"), "201");
  const std::string ctl = std::string(DIJK_BINARY_DIR) + "/apps/dijkctl/dijkctl";
  std::string status;
  EXPECT_TRUE(eventually([&] {
    status = capture(ctl + " status --socket " + socket.string());
    return status.find("journal disk full") != std::string::npos;
  })) << status;

  // 4. Listed again, with the journal unable to write: forwarded (fail open) and the server has it all.
  EXPECT_EQ(post("listed.bin", dir_ / "curl4.out"), 0) << test::read_text(dir_ / "curl4.out");
  EXPECT_EQ(test::read_text(dir_ / "curl4.out"), "201");
  ASSERT_TRUE(wait_lines(4));
  EXPECT_EQ(server_lines()[3].rfind("complete ", 0), 0u) << test::read_text(server_log);

  const int exit_status = stop(dijkd_);
  stop(logging_server);
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 1)
      << exit_status << test::read_text(dir_ / "dijkd.out.err");
  const std::string out = test::read_text(dir_ / "dijkd.out");
  EXPECT_EQ(total_counter(out, "stream_ips_blocked"), 1u) << out;
  EXPECT_EQ(total_counter(out, "stream_ips_fail_open_journal"), 1u) << out;
  EXPECT_GE(total_counter(out, "ips_frames_dropped"), 1u) << out;
  EXPECT_GE(total_counter(out, "ips_rsts_sent"), 2u) << out;
  EXPECT_EQ(total_counter(out, "ips_rsts_failed"), 0u) << out;
  EXPECT_EQ(total_counter(out, "forward_dropped"), 0u) << out;
  // The block was journalled (a hit is printed only once durable) and says what the bridge did.
  const auto blocked = out.find("\"action\":\"blocked\"");
  EXPECT_NE(blocked, std::string::npos) << out;
  EXPECT_NE(out.find("\"hash\":\"" + listed_hex + "\""), std::string::npos) << out;
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
