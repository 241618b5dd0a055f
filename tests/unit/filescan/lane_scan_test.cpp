// The file scan with MD5 and SHA-1 in vector lanes finds exactly what the one-file-at-a-time path finds:
// every length around the 64-byte block and the read chunk, files over many chunks (whose reads take the
// slot's two buffers in turn), empty files, and as many or fewer files in flight than lanes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <tuple>

#include "dataplane/filescan/scanner.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/set/set_builder.h"
#include "tests/support/test_support.h"

namespace dijk {
namespace {

namespace fs = std::filesystem;
using digest_lanes::LaneIsa;

class CollectHits final : public HitSink {
 public:
  void on_hit(const HitEvent& hit) override {
    std::lock_guard lock(mutex_);
    found.emplace(hit.path, hit.algorithm, hit.hash);
  }
  std::mutex mutex_;
  std::set<std::tuple<std::string, std::string, std::string>> found;
};

constexpr std::uint32_t kChunk = 4096;

class LaneScanTest : public ::testing::TestWithParam<LaneIsa> {
 protected:
  void SetUp() override {
    if (!digest_lanes::cpu_supports(GetParam())) GTEST_SKIP() << "this CPU lacks these lanes";
    std::mt19937 rng(19);
    std::vector<std::size_t> sizes = {0,
                                      1,
                                      55,
                                      56,
                                      63,
                                      64,
                                      65,
                                      119,
                                      120,
                                      128,
                                      kChunk - 1,
                                      kChunk,
                                      kChunk + 1,
                                      2 * kChunk,
                                      3 * kChunk + 17,
                                      20 * kChunk + 5};
    for (int i = 0; i < 150; ++i) sizes.push_back(rng() % (6 * kChunk));
    SetBuilder b;
    const auto list = b.add_list("test-list", "A1");
    std::size_t n = 0;
    for (const std::size_t size : sizes) {
      std::vector<std::uint8_t> bytes(size);
      for (auto& x : bytes) x = static_cast<std::uint8_t>(rng());
      const fs::path p = dir.path() / "tree" / ("d" + std::to_string(n % 7)) / ("f" + std::to_string(n));
      fs::create_directories(p.parent_path());
      std::ofstream(p, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(size));
      // Every second file listed, by one algorithm in turn: MD5, SHA-1 (both in lanes), SHA-256 (not).
      if (n % 2 == 0) {
        const Algorithm a = kAllAlgorithms[(n / 2) % kAlgorithmCount];
        b.add(digest_buffer(AlgorithmSet{}.add(a), bytes).get(a), list);
        ++listed;
      }
      ++n;
    }
    b.write(dir.file("test.set"), 1);
    set = HashSet::open(dir.file("test.set"));
  }

  std::set<std::tuple<std::string, std::string, std::string>> scan(std::optional<LaneIsa> lanes, bool pread,
                                                                   unsigned in_flight, std::string* reader) {
    ScanOptions o;
    o.threads = 2;
    o.chunk_bytes = kChunk;
    o.files_in_flight = in_flight;
    o.force_pread = pread;
    o.digest_lanes = lanes;
    CollectHits hits;
    Scanner s(o, set, hits, [](const std::string&, ScanProblem, const std::string&) {});
    const ScanSummary summary = s.run({(dir.path() / "tree").string()});
    EXPECT_EQ(summary.errors(), 0u);
    if (reader != nullptr) *reader = summary.reader;
    return hits.found;
  }

  test::TempDir dir;
  std::shared_ptr<const HashSet> set;
  std::size_t listed = 0;
};

TEST_P(LaneScanTest, FindsExactlyWhatTheOneStreamPathFinds) {
  const auto reference = scan(LaneIsa::none, true, 16, nullptr);
  ASSERT_EQ(reference.size(), listed);
  for (const unsigned in_flight : {1u, 5u, 16u, 40u}) {
    std::string reader;
    EXPECT_EQ(scan(GetParam(), false, in_flight, &reader), reference) << in_flight << " files in flight";
    if (reader.rfind("io_uring", 0) != 0) continue;  // io_uring refused here: the pread fallback ran
    if (GetParam() == LaneIsa::none)
      EXPECT_EQ(reader.find("lanes"), std::string::npos) << reader;
    else
      EXPECT_NE(
          reader.find("MD5+SHA-1 in " + std::string(digest_lanes::lane_isa_name(GetParam())) + " lanes"),
          std::string::npos)
          << reader;
  }
}

std::string isa_name(const ::testing::TestParamInfo<LaneIsa>& p) {
  return std::string(digest_lanes::lane_isa_name(p.param));
}
INSTANTIATE_TEST_SUITE_P(Isas, LaneScanTest, ::testing::Values(LaneIsa::none, LaneIsa::avx2, LaneIsa::avx512),
                         isa_name);

}  // namespace
}  // namespace dijk
