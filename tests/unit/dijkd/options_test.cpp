// dijkd's options from the TOML config and the command line: the production shape (hugepages, PCI ports
// allow-listed) and the test-rig shape (--no-huge, --no-pci, vdevs) both come out of the file, and every
// option given on the command line wins over it.
#include "apps/dijkd/options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace dijk {
namespace {

namespace fs = std::filesystem;

class DijkdOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dijkd_options_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  DijkdOptions parse(const std::string& toml, std::vector<std::string> args) {
    const fs::path config = dir_ / "dijk.toml";
    std::ofstream(config) << toml;
    args.insert(args.begin(), "dijkd");
    args.push_back("--config");
    args.push_back(config.string());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return parse_dijkd_options(static_cast<int>(argv.size()), argv.data());
  }

  static std::vector<std::string> eal_args(const DijkdOptions& o) {
    return dpdk::build_eal_args(eal_options_for(o)).args;
  }
  static bool has(const std::vector<std::string>& args, const std::string& a) {
    return std::find(args.begin(), args.end(), a) != args.end();
  }
  static std::string after(const std::vector<std::string>& args, const std::string& a) {
    const auto it = std::find(args.begin(), args.end(), a);
    return it == args.end() || it + 1 == args.end() ? "" : *(it + 1);
  }

  fs::path dir_;
};

constexpr const char* kProduction = R"(appliance_id = "fra1"
[dataplane]
mode = "inline"
lcores = [1, 2]
http_ports = [80, 8081]
flow_table_cap = 1048576
reassembly_memory_mb = 512
[[dataplane.ports]]
name = "in"
device = "0000:03:00.0"
[[dataplane.ports]]
name = "out"
device = "0000:03:00.1"
[dataplane.eal]
hugepages = true
memory_mb = 2048
extra_args = ["--huge-unlink"]
[hashing]
pdq_max_distance = 20
[paths]
set = "/var/lib/dijk/set/current.dijkset"
journal = "/var/lib/dijk/journal"
)";

TEST_F(DijkdOptionsTest, ProductionConfigGivesHugepagesAndAllowListedPciPorts) {
  const auto o = parse(kProduction, {"run"});
  EXPECT_EQ(o.mode, dpdk::Mode::inline_bridge);
  EXPECT_EQ(o.workers, 2u);
  EXPECT_EQ(o.pci, (std::vector<std::string>{"0000:03:00.0", "0000:03:00.1"}));
  EXPECT_TRUE(o.vdevs.empty());
  EXPECT_EQ(o.max_flows, 1048576u / 2);  // each worker its share
  EXPECT_EQ(o.reassembly_memory, (512ull << 20) / 2);
  EXPECT_EQ(o.http_ports, (std::vector<std::uint16_t>{80, 8081}));
  EXPECT_EQ(o.pdq_radius, 20);
  EXPECT_EQ(o.set_path, "/var/lib/dijk/set/current.dijkset");
  EXPECT_EQ(o.journal_dir, "/var/lib/dijk/journal");
  // Retention follows the reporter's acknowledgements, kept where dijk-control writes them.
  EXPECT_EQ(o.journal_ack_state, "/var/lib/dijk/state/reporter-ack");
  EXPECT_EQ(o.appliance_id, "fra1");
  const auto args = eal_args(o);
  EXPECT_FALSE(has(args, "--no-huge"));
  EXPECT_FALSE(has(args, "--no-pci"));
  EXPECT_EQ(after(args, "-a"), "0000:03:00.0");
  EXPECT_TRUE(has(args, "0000:03:00.1"));
  EXPECT_TRUE(has(args, "--huge-unlink"));
}

TEST_F(DijkdOptionsTest, TestRigConfigGivesNoHugeNoPciAndVdevs) {
  const auto o = parse(R"([dataplane]
lcores = [1]
[[dataplane.ports]]
name = "span0"
device = "net_af_packet0,iface=eth1"
[dataplane.eal]
hugepages = false
memory_mb = 512
)",
                       {"run"});
  EXPECT_TRUE(o.pci.empty());
  EXPECT_EQ(o.vdevs, (std::vector<std::string>{"net_af_packet0,iface=eth1"}));
  const auto args = eal_args(o);
  EXPECT_TRUE(has(args, "--no-huge"));
  EXPECT_TRUE(has(args, "--no-pci"));
  EXPECT_EQ(after(args, "-m"), "512");
  EXPECT_EQ(after(args, "--vdev"), "net_af_packet0,iface=eth1");
}

TEST_F(DijkdOptionsTest, CommandLineWinsOverTheFile) {
  const auto o =
      parse(kProduction, {"run", "--set", "/tmp/other.set", "--workers", "1", "--max-flows", "100",
                          "--http-ports", "9000", "--mode", "mirror", "--vdev", "net_tap0,iface=t0",
                          "--memory", "256", "--no-pdq", "--journal", "/tmp/j"});
  EXPECT_EQ(o.set_path, "/tmp/other.set");
  EXPECT_EQ(o.workers, 1u);
  EXPECT_EQ(o.max_flows, 100u);
  EXPECT_EQ(o.http_ports, (std::vector<std::uint16_t>{9000}));
  EXPECT_EQ(o.mode, dpdk::Mode::mirror);
  EXPECT_EQ(o.vdevs, (std::vector<std::string>{"net_tap0,iface=t0"}));
  EXPECT_TRUE(o.pci.empty());  // ports on the command line replace the file's
  EXPECT_EQ(o.memory_mb, 256u);
  EXPECT_FALSE(o.pdq);
  EXPECT_EQ(o.journal_dir, "/tmp/j");
}

TEST_F(DijkdOptionsTest, HttpPortsAnyLiftsTheFilesPortFilter) {
  EXPECT_TRUE(parse("", {"replay", "x.pcap"}).http_ports.empty());  // no filter by default
  EXPECT_EQ(parse(kProduction, {"run"}).http_ports, (std::vector<std::uint16_t>{80, 8081}));
  EXPECT_TRUE(parse(kProduction, {"run", "--http-ports", "any"}).http_ports.empty());
}

TEST_F(DijkdOptionsTest, PreventionComesFromTheFileWithThePolicyOrFromTheCommandLine) {
  const std::string bridge = R"([dataplane]
mode = "inline"
ips = true
[[dataplane.ports]]
name = "a"
device = "net_af_packet0,iface=eth1"
[[dataplane.ports]]
name = "b"
device = "net_af_packet1,iface=eth2"
[policy]
default = "report"
[policy.lists]
hotline-a1 = "block"
)";
  const auto o = parse(bridge, {"run"});
  EXPECT_TRUE(o.ips);
  EXPECT_EQ(o.policy.action_for("hotline-a1", "A1"), Verdict::block);
  EXPECT_EQ(o.policy.action_for("other", "A1"), Verdict::report);
  EXPECT_FALSE(parse("", {"run", "--mode", "inline", "--vdev", "net_ring0", "--vdev", "net_ring1"}).ips);
  EXPECT_TRUE(
      parse("", {"run", "--mode", "inline", "--vdev", "net_ring0", "--vdev", "net_ring1", "--ips"}).ips);
}

TEST_F(DijkdOptionsTest, NoVerbIsRunAndReplayWritesNoJournalUnlessTold) {
  auto o = parse(kProduction, {});
  EXPECT_EQ(o.verb, "run");
  o = parse(kProduction, {"replay", "x.pcap"});
  EXPECT_EQ(o.verb, "replay");
  EXPECT_TRUE(o.journal_dir.empty());
  EXPECT_TRUE(o.pci.empty());  // a replay's ports are its captures
}

}  // namespace
}  // namespace dijk
