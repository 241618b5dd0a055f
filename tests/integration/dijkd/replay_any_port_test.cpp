// dijkd replay of a real capture with HTTP on a port no list names (tests/data/captures/anyport.pcap,
// made by tools/capture/make-anyport-capture): one image uploaded by curl over HTTP to port 5000, the
// same image over HTTPS to port 5443. By default the upload is found and the TLS flow is bypassed; with
// a port filter that leaves 5000 out, neither flow is followed.
#include <gtest/gtest.h>

#include <map>

#include "hashcore/digest/streaming_digests.h"
#include "tests/integration/dijkd/dijkd_harness.h"

namespace dijk::test {
namespace {

const fs::path kImage = fs::path(DIJK_SOURCE_DIR) / "tests/data/pdq/images/labelme-subset__q0291.jpg";
const std::string kCapture = (kCaptures / "anyport.pcap").string();

class DijkdAnyPort : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dijkd_anyport_it_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    std::ifstream in(kImage, std::ios::binary);
    const std::vector<std::uint8_t> image{std::istreambuf_iterator<char>(in),
                                          std::istreambuf_iterator<char>()};
    ASSERT_FALSE(image.empty());
    const auto d = digest_buffer(AlgorithmSet{}.add(Algorithm::md5), image).get(Algorithm::md5);
    md5_ = to_hex({d.bytes.data(), d.size()});
    set_ = dir_ / "anyport.set";
    write_set(set_, {md5_}, {});
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_, set_;
  std::string md5_;
};

TEST_F(DijkdAnyPort, UploadOnPort5000IsFoundAndTlsIsBypassed) {
  const auto r = run_dijkd("replay " + kCapture + " --set " + set_.string() + " --no-pdq");
  ASSERT_EQ(r.exit_code, 1) << r.output;  // hits found
  ASSERT_EQ(r.hits.size(), 1u) << r.output;
  EXPECT_EQ(r.hits[0]["hash"], md5_);
  EXPECT_EQ(r.hits[0]["filename"], "photo.jpg");
  EXPECT_EQ(r.total("stream_flows"), 2u) << r.output;
  EXPECT_EQ(r.total("stream_http_flows"), 1u) << r.output;
  EXPECT_EQ(r.total("stream_http_requests"), 1u) << r.output;
  EXPECT_EQ(r.total("stream_flows_bypassed"), 1u) << r.output;
  // The TLS flow: its ClientHello decided, the rest of its data segments were dropped unread.
  EXPECT_GT(r.total("stream_drop_bypassed"), 5u) << r.output;
  EXPECT_EQ(r.total("stream_drop_http_unparsable"), 0u) << r.output;
  EXPECT_EQ(r.total("stream_truncated_files"), 0u) << r.output;
}

TEST_F(DijkdAnyPort, APortFilterWithoutTheUploadsPortFindsNothing) {
  const auto r =
      run_dijkd("replay " + kCapture + " --set " + set_.string() + " --no-pdq --http-ports 80,8080");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.hits.empty()) << r.output;
  EXPECT_EQ(r.total("stream_flows"), 0u);
  EXPECT_GT(r.total("stream_drop_not_http_port"), 0u);
  // And a filter naming 5000 follows only that flow.
  const auto only5000 =
      run_dijkd("replay " + kCapture + " --set " + set_.string() + " --no-pdq --http-ports 5000");
  EXPECT_EQ(only5000.exit_code, 1) << only5000.output;
  EXPECT_EQ(only5000.hits.size(), 1u);
  EXPECT_EQ(only5000.total("stream_flows"), 1u);
  EXPECT_EQ(only5000.total("stream_flows_bypassed"), 0u);
}

// tests/data/captures/coverage.pcap (tools/capture/make-coverage-capture): real curl and wget uploads on
// ports 3000 and 8081 with their default types (urlencoded raw bodies), multipart, PUT and a gzip body,
// beside HTTPS and random bytes on port 80. Every upload is found exactly; the two others are bypassed.
TEST(DijkdCoverage, EveryUploadIsFoundWhateverItsPortTypeOrEncoding) {
  const fs::path dir = fs::temp_directory_path() / ("dijkd_coverage_it_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ifstream expected(kCaptures / "expected/coverage.txt");
  std::map<std::string, std::string> want;  // md5 -> filename
  std::vector<std::string> md5s;
  for (std::string alg, md5, name; expected >> alg >> md5 >> name;) {
    want[md5] = name;
    md5s.push_back(md5);
  }
  ASSERT_EQ(want.size(), 5u);
  const fs::path set = dir / "coverage.set";
  write_set(set, md5s, {});
  const auto r =
      run_dijkd("replay " + (kCaptures / "coverage.pcap").string() + " --set " + set.string() + " --no-pdq");
  fs::remove_all(dir);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  std::map<std::string, std::string> got;
  for (const auto& h : r.hits) got[h["hash"].get<std::string>()] = h["filename"].get<std::string>();
  EXPECT_EQ(got, want) << r.output;
  EXPECT_EQ(r.hits.size(), 5u) << r.output;
  EXPECT_EQ(r.total("stream_http_flows"), 5u) << r.output;
  EXPECT_EQ(r.total("stream_flows_bypassed"), 2u) << "HTTPS and random bytes on port 80: " << r.output;
  EXPECT_EQ(r.total("stream_http_bodies_inflated"), 1u) << r.output;
  EXPECT_EQ(r.total("stream_truncated_files"), 0u) << r.output;
}

}  // namespace
}  // namespace dijk::test
