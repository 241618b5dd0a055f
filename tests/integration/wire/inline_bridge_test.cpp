// `dijkd run --mode inline` bridging two af_packet ports between a client and a server namespace: a real
// curl upload must go through (every frame forwarded) and be fingerprinted on the way. Needs root (network
// namespaces); skipped otherwise.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/set_builder.h"
#include "hashcore/util/hex.h"

namespace dijk {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

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
             {cli_, "dic" + id_}, {srv_, "dis" + id_}, {mid_, b0_}, {mid_, b1_}}) {
      s += "ip -n " + ns + " link set " + dev + " mtu 1500 up;";
      s += "ip netns exec " + ns + " ethtool -K " + dev +
           " tso off gso off gro off tx off rx off >/dev/null 2>&1 || true;";
    }
    s += "ip -n " + srv_ + " link set lo up;";
    ASSERT_EQ(sh("bash -c '" + s + "'"), 0);
    server_ = spawn({"ip", "netns", "exec", srv_, "python3",
                     std::string(DIJK_SOURCE_DIR) + "/tools/capture/upload_server.py", "--port", "80"},
                    dir_ / "server.out");
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
    const pid_t pid = fork();
    if (pid == 0) {
      const std::string o = out.string();
      if (!freopen(o.c_str(), "w", stdout) || !freopen((o + ".err").c_str(), "w", stderr)) _exit(126);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    return pid;
  }

  static int stop(pid_t& pid) {
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }

  std::string id_, cli_, mid_, srv_, b0_, b1_;
  fs::path dir_;
  pid_t server_ = -1;
  pid_t dijkd_ = -1;
};

TEST_F(InlineBridge, ForwardsEveryFrameAndReportsTheUpload) {
  // A file of random bytes whose MD5 is the only entry of the set.
  std::vector<std::uint8_t> file(48 * 1024);
  std::mt19937 rng(7);
  for (auto& b : file) b = static_cast<std::uint8_t>(rng());
  {
    std::ofstream out(dir_ / "upload.bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  }
  const auto digests = digest_buffer(AlgorithmSet{}.add(Algorithm::md5), file);
  const Digest md5 = digests.get(Algorithm::md5);
  SetBuilder builder;
  builder.add(md5, builder.add_list("inline-test", "test"));
  builder.write((dir_ / "test.set").string(), 1);
  const std::string md5_hex = to_hex({md5.bytes.data(), md5.size()});

  const std::string dijkd = std::string(DIJK_BINARY_DIR) + "/dataplane/dijkd/dijkd";
  dijkd_ = spawn({"ip", "netns", "exec", mid_, dijkd, "run", "--mode", "inline", "--vdev",
                  "net_af_packet0,iface=" + b0_, "--vdev", "net_af_packet1,iface=" + b1_, "--set",
                  (dir_ / "test.set").string(), "--json", "--file-prefix", "dijk-inline-" + id_},
                 dir_ / "dijkd.out");
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    ready = slurp(dir_ / "dijkd.out.err").find("inline bridge on") != std::string::npos;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ready) << slurp(dir_ / "dijkd.out.err");

  // Through the bridge: the upload only succeeds if dijkd forwards frames both ways.
  const std::string curl =
      "ip netns exec " + cli_ +
      " curl -sS --max-time 20 --retry 3 --retry-connrefused -o /dev/null -w '%{http_code}' -F file=@" +
      (dir_ / "upload.bin").string() + " http://10.215.0.2/upload/inline > " + (dir_ / "curl.out").string() +
      " 2>&1";
  EXPECT_EQ(sh(curl), 0) << slurp(dir_ / "curl.out");
  EXPECT_EQ(slurp(dir_ / "curl.out"), "201");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  const int status = stop(dijkd_);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << slurp(dir_ / "dijkd.out.err");
  const std::string out = slurp(dir_ / "dijkd.out");
  EXPECT_NE(out.find("\"hash\":\"" + md5_hex + "\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"filename\":\"upload.bin\""), std::string::npos) << out;
  const auto total = out.find("\"total\":{");
  ASSERT_NE(total, std::string::npos) << out;
  const auto fwd = out.find("\"forwarded\":", total);
  ASSERT_NE(fwd, std::string::npos);
  EXPECT_GT(std::stoull(out.substr(fwd + 12)), 20u);
  const auto dropped = out.find("\"forward_dropped\":", total);
  EXPECT_EQ(std::stoull(out.substr(dropped + 18)), 0u);
}

}  // namespace
}  // namespace dijk
