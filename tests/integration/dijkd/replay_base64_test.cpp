// dijkd replay of a real capture of images uploaded as base64 text (tests/data/captures/base64.pcap, made by
// tools/capture/make-base64-capture): curl sends JSON with a one-line base64 value, JSON with a data: URI
// (line breaks as \n, "/" as \/), a urlencoded form field (`--data-urlencode image@photo.b64`) and JSON
// with URL-safe base64 without padding. Through the real DPDK path, each image is found exactly, named
// by its field; and with a set holding only the PDQ hash of one of them, the PDQ stage finds that one.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "tests/integration/dijkd/dijkd_harness.h"

namespace dijk::test {
namespace {

const std::string kCapture = (kCaptures / "base64.pcap").string();
const fs::path kAvatar = fs::path(DIJK_SOURCE_DIR) / "tests/data/pdq/images/bridge-mods__shrink-a-lot.jpg";

using Hit = std::tuple<std::string, std::string, std::string>;  // algorithm, hash, filename

std::set<Hit> expected_hits() {
  std::set<Hit> out;
  std::ifstream in(kCaptures / "expected/base64.txt");
  std::string algorithm, hash, filename;
  while (in >> algorithm >> hash >> filename) out.emplace(algorithm, hash, filename);
  return out;
}

class DijkdBase64 : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dijkd_base64_it_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(DijkdBase64, EveryBase64ImageIsFoundNamedByItsField) {
  const std::set<Hit> want = expected_hits();
  ASSERT_EQ(want.size(), 4u);
  std::vector<std::string> digests;
  for (const auto& [algorithm, hash, filename] : want) digests.push_back(hash);
  const fs::path set = dir_ / "base64.set";
  write_set(set, digests, {});
  const auto r = run_dijkd("replay " + kCapture + " --set " + set.string() + " --no-pdq");
  ASSERT_EQ(r.exit_code, 1) << r.output;
  std::set<Hit> got;
  for (const auto& h : r.hits) {
    got.emplace(h["algorithm"].get<std::string>(), h["hash"].get<std::string>(),
                h["filename"].get<std::string>());
  }
  EXPECT_EQ(got, want) << r.output;
  EXPECT_EQ(r.hits.size(), 4u) << r.output;
  EXPECT_EQ(r.total("stream_http_requests"), 4u) << r.output;
  EXPECT_EQ(r.total("stream_embedded_files"), 4u) << r.output;
  EXPECT_EQ(r.total("stream_http_json_bodies"), 3u) << r.output;
  EXPECT_EQ(r.total("stream_files"), 5u) << r.output;  // the four images and the form body as sent
  EXPECT_EQ(r.total("stream_truncated_files"), 0u) << r.output;
  EXPECT_EQ(r.total("stream_drop_json_malformed"), 0u) << r.output;
  EXPECT_EQ(r.total("stream_drop_base64_malformed"), 0u) << r.output;
}

TEST_F(DijkdBase64, TheDataUriImageIsFoundByPdq) {
  // Its PDQ hash as dijkctl computes it; the set holds nothing else.
  FILE* p = popen((kDijkctl.string() + " hash --json " + kAvatar.string()).c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::array<char, 4096> line{};
  ASSERT_NE(std::fgets(line.data(), static_cast<int>(line.size()), p), nullptr);
  pclose(p);
  const auto j = nlohmann::json::parse(line.data());
  ASSERT_TRUE(j.contains("pdq")) << line.data();
  const fs::path set = dir_ / "pdq.set";
  write_set(set, {}, {{j["pdq"].get<std::string>(), j["quality"].get<int>()}});
  const auto r = run_dijkd("replay " + kCapture + " --set " + set.string());
  ASSERT_EQ(r.exit_code, 1) << r.output;
  ASSERT_FALSE(r.hits.empty()) << r.output;
  for (const auto& h : r.hits) {
    EXPECT_EQ(h["algorithm"], "pdq") << r.output;
    EXPECT_EQ(h["filename"], "avatar") << r.output;
  }
}

}  // namespace
}  // namespace dijk::test
