#include "dataplane/pipeline/pcap_count.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>

#include "dataplane/pipeline/json_hit_sink.h"

namespace dijk {
namespace {

const std::string kCaptures = std::string(DIJK_SOURCE_DIR) + "/tests/data/captures/";

TEST(PcapCount, CountsRecordsOfACommittedCapture) {
  // ipv6.pcap: 18 packets (tools/capture/pcaptool.py count agrees)
  EXPECT_EQ(count_pcap_records(kCaptures + "ipv6.pcap"), 18u);
}

TEST(PcapCount, LinkType) {
  EXPECT_EQ(pcap_link_type(kCaptures + "ipv6.pcap"), 1u);  // Ethernet
  const auto p =
      std::filesystem::temp_directory_path() / ("dijk_sll_" + std::to_string(::getpid()) + ".pcap");
  {
    // A header-only capture with link type 113 (Linux cooked, what `tcpdump -i any` writes).
    const std::array<std::uint32_t, 6> header{0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 113};
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(header.data()), sizeof(header));
  }
  EXPECT_EQ(pcap_link_type(p.string()), 113u);
  std::filesystem::remove(p);
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

TEST(JsonFileHitSink, AppendsOneDurableLinePerHit) {
  const auto p =
      std::filesystem::temp_directory_path() / ("dijk_hits_" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(p);
  {
    JsonFileHitSink sink(p.string());
    HitEvent h;
    h.source = HitSource::wire;
    h.method = "POST";
    h.filename = "a\"b.png";
    h.algorithm = "md5";
    h.hash = "00ff";
    sink.on_hit(h);
    sink.on_hit(h);
  }
  std::ifstream in(p);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_NE(line.find("\"hash\":\"00ff\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"filename\":\"a\\\"b.png\""), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 2);
  std::filesystem::remove(p);
  EXPECT_THROW(JsonFileHitSink("/nonexistent/dir/hits.jsonl"), std::runtime_error);
}

}  // namespace
}  // namespace dijk
