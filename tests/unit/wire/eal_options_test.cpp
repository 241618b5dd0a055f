#include "dataplane/dpdk/eal_options.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace dijk::dpdk {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(EalOptions, DefaultsAreTheCiShapeNoHugepagesNoPci) {
  EalOptions o;
  o.file_prefix = "wire-test-1";
  o.vdevs.push_back(pcap_rx_vdev(0, "/tmp/x.pcap"));
  const auto a = build_eal_args(o);
  ASSERT_FALSE(a.error);
  EXPECT_TRUE(has(a.args, "--no-huge"));
  EXPECT_TRUE(has(a.args, "--no-pci"));
  EXPECT_TRUE(has(a.args, "512"));
  EXPECT_TRUE(has(a.args, "wire-test-1"));
  EXPECT_TRUE(has(a.args, "net_pcap0,rx_pcap=/tmp/x.pcap"));
  EXPECT_FALSE(has(a.args, "--in-memory"));
  EXPECT_TRUE(has(a.args, "--no-shconf"));  // nothing left in /var/run/dpdk
}

TEST(EalOptions, InMemoryConflictsWithNoHuge) {
  EalOptions o;
  o.in_memory = true;
  const auto a = build_eal_args(o);
  ASSERT_TRUE(a.error);
  EXPECT_NE(a.error->find("hugepages"), std::string::npos);
  o.hugepages = true;
  EXPECT_FALSE(build_eal_args(o).error);
}

TEST(EalOptions, ProductionUsesHugepagesAndAllowListedPorts) {
  EalOptions o;
  o.hugepages = true;
  o.pci = true;
  o.memory_mb = 0;
  o.pci_allow = {"0000:3b:00.0", "0000:3b:00.1"};
  const auto a = build_eal_args(o);
  ASSERT_FALSE(a.error);
  EXPECT_FALSE(has(a.args, "--no-huge"));
  EXPECT_FALSE(has(a.args, "--no-pci"));
  EXPECT_TRUE(has(a.args, "0000:3b:00.1"));
}

TEST(EalOptions, RejectsContradictionsAndOddPrefixes) {
  EalOptions o;
  o.pci_allow = {"0000:3b:00.0"};
  EXPECT_TRUE(build_eal_args(o).error);
  EalOptions p;
  p.file_prefix = "../etc";
  EXPECT_TRUE(build_eal_args(p).error);
  EalOptions m;
  m.memory_mb = 0;
  EXPECT_TRUE(build_eal_args(m).error);
}

TEST(EalOptions, LcoreMapForMoreLcoresThanCpus) {
  EXPECT_EQ(lcore_map(3, 2), "0@0,1@1,2@0");
  EalOptions o;
  o.lcores = lcore_map(3, 2);
  const auto a = build_eal_args(o);
  EXPECT_TRUE(has(a.args, "--lcores"));
  EXPECT_FALSE(has(a.args, "-l"));
}

TEST(EalOptions, VdevStrings) {
  EXPECT_EQ(pcap_rx_vdev(2, "/a.pcap", true), "net_pcap2,rx_pcap=/a.pcap,infinite_rx=1");
}

TEST(EalOptions, PciAddressesAreToldFromVdevStrings) {
  EXPECT_TRUE(is_pci_address("0000:03:00.0"));
  EXPECT_TRUE(is_pci_address("3b:00.1"));
  EXPECT_FALSE(is_pci_address("net_pcap0,iface=eth1"));
  EXPECT_FALSE(is_pci_address("0000:03:00.8"));
}

}  // namespace
}  // namespace dijk::dpdk
