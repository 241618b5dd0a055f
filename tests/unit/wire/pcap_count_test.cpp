#include "dataplane/dijkd/pcap_count.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dataplane/dijkd/json_hit_sink.h"

namespace dijk {
namespace {

const std::string kCaptures = std::string(DIJK_SOURCE_DIR) + "/tests/data/captures/";

TEST(PcapCount, CountsRecordsOfACommittedCapture) {
  // ipv6.pcap: 18 packets (tools/capture/pcaptool.py count agrees)
  EXPECT_EQ(count_pcap_records(kCaptures + "ipv6.pcap"), 18u);
}

TEST(PcapCount, CaptureTimesInOrder) {
  const auto times = read_pcap_times(kCaptures + "ipv6.pcap");
  ASSERT_TRUE(times);
  ASSERT_EQ(times->size(), 18u);
  EXPECT_GT(times->front(), 1'700'000'000ull * 1'000'000'000ull);  // captured after 2023
  for (std::size_t i = 1; i < times->size(); ++i) EXPECT_GE((*times)[i], (*times)[i - 1]);
}

TEST(PcapCount, RejectsWhatIsNotClassicPcap) {
  const auto p = std::filesystem::temp_directory_path() / "dijk_not_a_pcap";
  std::ofstream(p) << "this is not a capture file at all";
  EXPECT_FALSE(count_pcap_records(p.string()));
  EXPECT_FALSE(read_pcap_times(p.string()));
  EXPECT_FALSE(count_pcap_records("/nonexistent/x.pcap"));
  std::filesystem::remove(p);
}

TEST(HitJson, AddressesAndEscaping) {
  IpAddress v4;
  v4.bytes[10] = v4.bytes[11] = 0xff;
  v4.bytes[12] = 10;
  v4.bytes[15] = 7;
  EXPECT_EQ(ip_to_string(v4), "10.0.0.7");
  IpAddress v6;
  v6.bytes[0] = 0xfd;
  v6.bytes[15] = 2;
  EXPECT_EQ(ip_to_string(v6), "fd00::2");
  EXPECT_EQ(json_escape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
  HitEvent h;
  h.flow = FlowTuple{v4, v6, 40000, 80};
  h.method = "POST";
  h.filename = "x\".png";
  h.algorithm = "md5";
  const std::string j = hit_to_json(h);
  EXPECT_NE(j.find("\"src\":\"10.0.0.7\""), std::string::npos);
  EXPECT_NE(j.find("\"dport\":80"), std::string::npos);
  EXPECT_NE(j.find("\"filename\":\"x\\\".png\""), std::string::npos);
}

}  // namespace
}  // namespace dijk
