// Every committed capture replayed through `dijkd replay` (DPDK, net_pcap, --no-huge --no-pci), each
// asserting the exact set of hits its expected file lists, and the counters that prove the case happened
// (VLAN tags seen, fragments reassembled, segments reordered, a gap counted, flows evicted, ...).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "hashcore/set/set_builder.h"
#include "hashcore/util/hex.h"

namespace dijk {
namespace {

namespace fs = std::filesystem;
const fs::path kCaptures = fs::path(DIJK_SOURCE_DIR) / "tests/data/captures";
const fs::path kDijkd = fs::path(DIJK_BINARY_DIR) / "apps/dijkd/dijkd";

using Hit = std::tuple<std::string, std::string, std::string>;  // algorithm, hash, filename

struct ReplayResult {
  int exit_code = -1;
  std::set<Hit> hits;
  std::size_t hit_lines = 0;
  std::map<std::string, std::uint64_t> total;
  std::string output;
  std::uint64_t operator[](const std::string& k) const {
    const auto it = total.find(k);
    return it == total.end() ? 0 : it->second;
  }
};

std::string json_string(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":\"";
  const auto at = line.find(k);
  if (at == std::string::npos) return {};
  std::string v;
  for (std::size_t i = at + k.size(); i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) ++i;
    v += line[i];
  }
  return v;
}

std::map<std::string, std::uint64_t> json_numbers(const std::string& object) {
  std::map<std::string, std::uint64_t> out;
  std::size_t i = 0;
  while ((i = object.find('"', i)) != std::string::npos) {
    const auto end = object.find('"', i + 1);
    if (end == std::string::npos || end + 1 >= object.size() || object[end + 1] != ':') break;
    const std::string name = object.substr(i + 1, end - i - 1);
    std::size_t j = end + 2;
    if (j < object.size() && std::isdigit(static_cast<unsigned char>(object[j]))) {
      out[name] = std::stoull(object.substr(j));
    }
    i = end + 1;
  }
  return out;
}

class WireReplay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("dijk_wire_it_" + std::to_string(getpid())));
    fs::create_directories(*dir_);
    SetBuilder builder;
    const auto list = builder.add_list("test-known", "test");
    for (const char* name : {"test-known.md5", "test-known.sha1"}) {
      std::ifstream in(kCaptures / "lists" / name);
      std::string hex;
      while (in >> hex) {
        Digest d;
        d.algorithm = hex.size() == 32 ? Algorithm::md5 : Algorithm::sha1;
        const auto bytes = from_hex(hex);
        ASSERT_TRUE(bytes.has_value()) << hex;
        std::copy(bytes->begin(), bytes->end(), d.bytes.begin());
        builder.add(d, list);
      }
    }
    builder.write((*dir_ / "test.set").string(), 1);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static ReplayResult replay(const std::vector<std::string>& captures, const std::string& extra = "") {
    static int run = 0;
    std::string cmd = kDijkd.string() + " replay";
    for (const auto& c : captures) cmd += " " + (kCaptures / c).string();
    cmd += " --set " + (*dir_ / "test.set").string() + " --json --file-prefix wire-it-" +
           std::to_string(getpid()) + "-" + std::to_string(run++) + " " + extra + " 2>&1";
    ReplayResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    std::array<char, 65536> buf{};
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) {
      const std::string line = buf.data();
      r.output += line;
      if (line.rfind("{\"summary\"", 0) == 0) {
        const auto t = line.find("\"total\":{");
        if (t != std::string::npos) r.total = json_numbers(line.substr(t + 8));
      } else if (line.find("\"hash\":") != std::string::npos) {
        ++r.hit_lines;
        r.hits.emplace(json_string(line, "algorithm"), json_string(line, "hash"),
                       json_string(line, "filename"));
      }
    }
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  static std::set<Hit> expected(const std::string& capture) {
    std::set<Hit> out;
    std::ifstream in(kCaptures / "expected" / (fs::path(capture).stem().string() + ".txt"));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string alg, hash, name;
      fields >> alg >> hash;
      std::getline(fields >> std::ws, name);
      if (!alg.empty()) out.emplace(alg, hash, name);
    }
    return out;
  }

  // Replays one capture and checks its exact hits; returns the result for counter checks.
  static ReplayResult expect_exact_hits(const std::string& capture, const std::string& extra = "") {
    auto r = replay({capture}, extra);
    EXPECT_EQ(r.exit_code, expected(capture).empty() ? 0 : 1) << "1 = hits found\n" << r.output;
    EXPECT_EQ(r.hits, expected(capture)) << r.output;
    EXPECT_EQ(r.hit_lines, r.hits.size()) << "a file was reported twice\n" << r.output;
    EXPECT_FALSE(r.total.empty()) << "no summary\n" << r.output;
    EXPECT_EQ(r["hits_reported"], r.hits.size());
    return r;
  }

  static fs::path* dir_;
};
fs::path* WireReplay::dir_ = nullptr;

TEST_F(WireReplay, MultipartWithOneFile) {
  const auto r = expect_exact_hits("multipart_one.pcap");
  EXPECT_EQ(r["stream_http_requests"], 1u);
  EXPECT_EQ(r["stream_truncated_files"], 0u);
}

TEST_F(WireReplay, MultipartWithSeveralFilesAndTextFieldsReportsOnlyListedFiles) {
  const auto r = expect_exact_hits("multipart_many.pcap");
  EXPECT_EQ(r["stream_files"], 3u);  // meadow.jpg, tiles.gif and unlisted.png; the text fields are not files
}

TEST_F(WireReplay, PutOnKeepAlive) {
  const auto r = expect_exact_hits("put_keepalive.pcap");
  EXPECT_EQ(r["stream_flows"], 1u);
  EXPECT_EQ(r["stream_http_requests"], 2u);
}

TEST_F(WireReplay, ChunkedPost) {
  expect_exact_hits("chunked_post.pcap");
}

TEST_F(WireReplay, WgetPost) {
  expect_exact_hits("wget_post.pcap");
}

TEST_F(WireReplay, OnlyConfiguredHttpPortsAreParsed) {
  // wget_post uploads to port 8080: with only port 80 configured it is not parsed, so not reported.
  const auto r = replay({"wget_post.pcap"}, "--http-ports 80");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.hits.empty()) << r.output;
  EXPECT_GT(r["stream_drop_not_http_port"], 0u);
}

TEST_F(WireReplay, Ipv6) {
  const auto r = expect_exact_hits("ipv6.pcap");
  EXPECT_GT(r["ipv6_packets"], 0u);
  EXPECT_EQ(r["ipv4_packets"], 0u);
}

TEST_F(WireReplay, Vlan) {
  const auto r = expect_exact_hits("multipart_many_vlan.pcap");
  EXPECT_EQ(r["vlan_frames"], r["rx_packets"]);
}

TEST_F(WireReplay, QinQ) {
  const auto r = expect_exact_hits("put_keepalive_qinq.pcap");
  EXPECT_EQ(r["vlan_frames"], r["rx_packets"]);
}

TEST_F(WireReplay, ParallelInterleavedFlows) {
  const auto r = expect_exact_hits("parallel.pcap");
  EXPECT_EQ(r["stream_flows"], 6u);
}

TEST_F(WireReplay, Ipv4FragmentsAreReassembled) {
  const auto r = expect_exact_hits("two_uploads_fragment.pcap");
  EXPECT_GT(r["ipv4_reassembled"], 10u);
  EXPECT_EQ(r["drop_reassembly_failed"], 0u);
}

TEST_F(WireReplay, Ipv6FragmentsAreReassembled) {
  const auto r = expect_exact_hits("ipv6_fragment.pcap");
  EXPECT_GT(r["ipv6_reassembled"], 0u);
  EXPECT_EQ(r["drop_ipv6_fragment"], 0u);
}

TEST_F(WireReplay, ReorderedSegments) {
  const auto r = expect_exact_hits("two_uploads_reorder.pcap");
  EXPECT_GT(r["stream_out_of_order_segments"], 0u);
}

TEST_F(WireReplay, DuplicatedSegments) {
  const auto r = expect_exact_hits("two_uploads_duplicate.pcap");
  EXPECT_GT(r["stream_duplicate_segments"], 0u);
}

TEST_F(WireReplay, OverlappingSegmentsWithSameBytes) {
  const auto r = expect_exact_hits("two_uploads_overlap.pcap");
  EXPECT_EQ(r["stream_overlaps"], 0u);  // the overlaps repeat the same bytes: nothing conflicting
}

TEST_F(WireReplay, ConflictingOverlapFirstCopyWinsAndIsCounted) {
  const auto r = expect_exact_hits("two_uploads_conflict.pcap");
  EXPECT_GT(r["stream_overlaps"], 0u);
}

TEST_F(WireReplay, SevenByteSegments) {
  const auto r = expect_exact_hits("multipart_one_tiny.pcap");
  EXPECT_GT(r["tcp_segments"], 2000u);
}

TEST_F(WireReplay, OneSegmentLostMeansThatFileIsNotReported) {
  const auto r = expect_exact_hits("two_uploads_drop.pcap");
  EXPECT_GE(r["stream_gaps"], 1u);
  EXPECT_EQ(r["stream_truncated_files"], 1u);
}

TEST_F(WireReplay, HostileFramesAreCountedAndTheUploadIsStillFound) {
  const auto r = expect_exact_hits("hostile.pcap");
  const std::uint64_t real = 34;  // multipart_one's frames
  EXPECT_EQ(r["rx_packets"], real * 10);
  for (const char* reason :
       {"drop_truncated_ethernet", "drop_vlan_too_deep", "drop_not_ip", "drop_bad_ip_header",
        "drop_truncated_ip", "drop_not_tcp", "drop_bad_tcp_header", "drop_ipv6_ext_too_deep"})
    EXPECT_GE(r[reason], real) << reason;
}

TEST_F(WireReplay, SynFloodDoesNotHideTheUpload) {
  const auto r = expect_exact_hits("synflood.pcap");
  EXPECT_GE(r["tcp_segments"], 3000u);
}

TEST_F(WireReplay, MoreFlowsThanTheTableHoldsEvictsAndCounts) {
  const auto r = expect_exact_hits("manyflows.pcap", "--max-flows 64");
  EXPECT_GE(r["stream_evictions"], 400u - 64u);
  EXPECT_LE(r["stream_flows_open"], 64u);
}

TEST_F(WireReplay, SeveralCapturesOnSeveralWorkers) {
  const auto r = replay({"multipart_one.pcap", "ipv6.pcap", "wget_post.pcap"}, "--workers 2");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  std::set<Hit> want;
  for (const char* c : {"multipart_one.pcap", "ipv6.pcap", "wget_post.pcap"}) want.merge(expected(c));
  EXPECT_EQ(r.hits, want) << r.output;
}

TEST_F(WireReplay, CapturesTakenMinutesApartOnOneWorker) {
  // demo.pcap was captured about six minutes after ipv6.pcap; side by side on one worker, neither's
  // flows may look idle to the other's clock.
  const auto r = replay({"demo.pcap", "ipv6.pcap"}, "");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  std::set<Hit> want = expected("demo.pcap");
  want.merge(expected("ipv6.pcap"));
  EXPECT_EQ(r.hits, want) << r.output;
  EXPECT_EQ(r["stream_flow_timeouts"], 0u);
}

TEST_F(WireReplay, DemoCapture) {
  expect_exact_hits("demo.pcap");
}

TEST_F(WireReplay, WithoutASetNothingIsReported) {
  const std::string cmd = kDijkd.string() + " replay " + (kCaptures / "parallel.pcap").string() +
                          " --json --file-prefix wire-it-noset-" + std::to_string(getpid()) + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::array<char, 65536> buf{};
  std::size_t hits = 0;
  bool summary = false;
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) {
    const std::string line = buf.data();
    if (line.find("\"hash\":") != std::string::npos) ++hits;
    if (line.rfind("{\"summary\"", 0) == 0) summary = true;
  }
  EXPECT_EQ(pclose(p), 0);
  EXPECT_EQ(hits, 0u);
  EXPECT_TRUE(summary);
}

TEST_F(WireReplay, UnreadableCaptureIsAClearError) {
  const std::string cmd = kDijkd.string() + " replay /nonexistent/x.pcap --file-prefix wire-it-bad-" +
                          std::to_string(getpid()) + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) out += buf.data();
  EXPECT_NE(pclose(p), 0);
  EXPECT_NE(out.find("cannot read /nonexistent/x.pcap"), std::string::npos) << out;
}

TEST_F(WireReplay, WithJsonAFailureIsAJsonObjectOnStdout) {
  // A script reading --json lines from stdout learns why the run ended, in JSON (stderr is dropped here).
  const std::string cmd = kDijkd.string() +
                          " replay /nonexistent/x.pcap --json --file-prefix wire-it-badjson-" +
                          std::to_string(getpid()) + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::vector<std::string> lines;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) lines.emplace_back(buf.data());
  const int status = pclose(p);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  ASSERT_EQ(lines.size(), 1u);
  const auto j = nlohmann::json::parse(lines[0], nullptr, false);
  ASSERT_TRUE(j.is_object()) << lines[0];
  EXPECT_NE(j.value("error", "").find("cannot read /nonexistent/x.pcap"), std::string::npos) << lines[0];
  EXPECT_EQ(j.value("exit", 0), 2);
}

}  // namespace
}  // namespace dijk
