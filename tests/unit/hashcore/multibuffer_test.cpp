// The lane kernels and the lane scheduler against OpenSSL (through StreamingDigests) and against the
// one-stream block functions: every lane, random lengths and alignments, streams joining and leaving.
// Each instruction set is tested where the CPU has it (skipped otherwise); LaneIsa::none is the
// scheduler without the vector unit.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "hashcore/digest/multibuffer/lane_isa.h"
#include "hashcore/digest/multibuffer/lane_kernels.h"
#include "hashcore/digest/multibuffer/multibuffer_hasher.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/util/hex.h"

namespace dijk::digest_lanes {
namespace {

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

std::string hex_of(const Digest& d) {
  return to_hex({d.bytes.data(), d.size()});
}

std::string openssl_hex(Algorithm a, std::span<const std::uint8_t> bytes) {
  return hex_of(digest_buffer(AlgorithmSet{}.add(a), bytes).get(a));
}

TEST(LaneIsa, ChoiceIsNeverWiderThanTheCpu) {
  EXPECT_EQ(choose_lane_isa("off"), LaneIsa::none);
  EXPECT_EQ(choose_lane_isa("none"), LaneIsa::none);
  EXPECT_EQ(choose_lane_isa(""), best_lane_isa());
  EXPECT_EQ(choose_lane_isa("auto"), best_lane_isa());
  EXPECT_LE(choose_lane_isa("avx512"), best_lane_isa());
  EXPECT_LE(choose_lane_isa("avx2"), LaneIsa::avx2);
  EXPECT_TRUE(cpu_supports(best_lane_isa()));
}

TEST(ScalarBlocks, KnownAnswersThroughTheScheduler) {
  MultiBufferHasher md5(Algorithm::md5, LaneIsa::none);
  MultiBufferHasher sha1(Algorithm::sha1, LaneIsa::none);
  const std::string abc = "abc";
  const std::span<const std::uint8_t> bytes{reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()};
  auto m = md5.open();
  md5.submit(m, bytes);
  EXPECT_EQ(hex_of(md5.finish(m)), "900150983cd24fb0d6963f7d28e17f72");
  auto s = sha1.open();
  sha1.submit(s, bytes);
  EXPECT_EQ(hex_of(sha1.finish(s)), "a9993e364706816aba3e25717850c26c9cd0d89d");
  // RFC 1321 A.5: the empty string.
  m = md5.open();
  EXPECT_EQ(hex_of(md5.finish(m)), "d41d8cd98f00b204e9800998ecf8427e");
}

struct Case {
  LaneIsa isa;
  Algorithm algorithm;
};

std::string case_name(const testing::TestParamInfo<Case>& info) {
  return std::string(lane_isa_name(info.param.isa)) + "_" + std::string(algorithm_name(info.param.algorithm));
}

class Lanes : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (!cpu_supports(GetParam().isa)) GTEST_SKIP() << "this CPU lacks " << lane_isa_name(GetParam().isa);
  }
  Algorithm algorithm() const { return GetParam().algorithm; }
  MultiBufferHasher make() const { return MultiBufferHasher(GetParam().algorithm, GetParam().isa); }
};

// The kernel itself: every lane's column equals the one-stream function over the same blocks.
TEST_P(Lanes, KernelMatchesTheOneStreamFunctionInEveryLane) {
  if (GetParam().isa == LaneIsa::none) GTEST_SKIP() << "no kernel";
  const bool md5 = algorithm() == Algorithm::md5;
  const bool wide = GetParam().isa == LaneIsa::avx512;
  const LaneBlocksFn kernel =
      wide ? (md5 ? avx512::md5_blocks : avx512::sha1_blocks) : (md5 ? avx2::md5_blocks : avx2::sha1_blocks);
  const std::size_t lanes = lane_count(GetParam().isa);
  const std::size_t blocks = 5;
  const auto bytes = random_bytes(kMaxLanes * blocks * kBlockBytes + 64, 11);
  LaneWords state{};
  std::uint32_t expected[kMaxLanes][5];
  const std::uint8_t* data[kMaxLanes];
  for (std::size_t l = 0; l < lanes; ++l) {
    data[l] = bytes.data() + l * blocks * kBlockBytes + l % 7;  // unaligned, distinct per lane
    for (std::size_t w = 0; w < 5; ++w) {
      state.words[w][l] = static_cast<std::uint32_t>(0x01020304u * (l + 1) + w);
      expected[l][w] = state.words[w][l];
    }
    for (std::size_t b = 0; b < blocks; ++b) {
      if (md5)
        md5_block(expected[l], data[l] + b * kBlockBytes);
      else
        sha1_block(expected[l], data[l] + b * kBlockBytes);
    }
  }
  kernel(state, data, blocks);
  const std::size_t words = md5 ? 4 : 5;
  for (std::size_t l = 0; l < lanes; ++l)
    for (std::size_t w = 0; w < words; ++w) EXPECT_EQ(state.words[w][l], expected[l][w]) << "lane " << l;
}

// Many streams of random lengths (the padding boundaries among them) at random alignments, submitted in
// random pieces interleaved across streams, drained at random points.
TEST_P(Lanes, EveryStreamMatchesOpenSsl) {
  std::mt19937 rng(GetParam().algorithm == Algorithm::md5 ? 1 : 2);
  const auto source = random_bytes(1 << 20, 3);
  std::vector<std::size_t> lengths = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 4096};
  while (lengths.size() < 60) lengths.push_back(rng() % 6000);
  MultiBufferHasher hasher = make();
  struct S {
    MultiBufferHasher::StreamId id;
    std::span<const std::uint8_t> bytes;
    std::size_t sent = 0;
  };
  std::vector<S> streams;
  for (std::size_t n : lengths) {
    const std::size_t offset = rng() % (source.size() - n);  // any alignment
    streams.push_back({hasher.open(), {source.data() + offset, n}});
  }
  for (;;) {
    bool any = false;
    for (S& s : streams) {
      if (s.sent == s.bytes.size()) continue;
      any = true;
      const std::size_t piece = std::min<std::size_t>(s.bytes.size() - s.sent, rng() % 700 + 1);
      hasher.submit(s.id, s.bytes.subspan(s.sent, piece));
      s.sent += piece;
    }
    if (!any) break;
    if (rng() % 3 == 0) hasher.drain();
  }
  for (const S& s : streams)
    EXPECT_EQ(hex_of(hasher.finish(s.id)), openssl_hex(algorithm(), s.bytes)) << "length " << s.bytes.size();
  EXPECT_EQ(hasher.open_streams(), 0u);
}

// One long stream beside many short ones: the short ones leave, the long one keeps its lane.
TEST_P(Lanes, LanesOfVeryDifferentLengths) {
  const auto source = random_bytes(3 << 20, 4);
  MultiBufferHasher hasher = make();
  const std::span<const std::uint8_t> long_one{source.data() + 1, 2 << 20};
  const auto long_id = hasher.open();
  hasher.submit(long_id, long_one);
  std::vector<std::pair<MultiBufferHasher::StreamId, std::span<const std::uint8_t>>> short_ones;
  for (std::size_t i = 0; i < 40; ++i) {
    const std::span<const std::uint8_t> b{source.data() + (2 << 20) + i * 1000, 64 * (i % 5) + i};
    short_ones.emplace_back(hasher.open(), b);
    hasher.submit(short_ones.back().first, b);
  }
  hasher.drain();
  for (const auto& [id, b] : short_ones) EXPECT_EQ(hex_of(hasher.finish(id)), openssl_hex(algorithm(), b));
  EXPECT_EQ(hex_of(hasher.finish(long_id)), openssl_hex(algorithm(), long_one));
}

// Streams open, finish and are abandoned between drains; reused ids start clean.
TEST_P(Lanes, StreamsJoinAndLeaveMidWay) {
  std::mt19937 rng(5);
  const auto source = random_bytes(1 << 20, 6);
  MultiBufferHasher hasher = make();
  struct S {
    MultiBufferHasher::StreamId id;
    std::size_t begin, end, sent;
  };
  std::vector<S> live;
  std::size_t finished = 0;
  for (int round = 0; round < 400; ++round) {
    if (live.size() < 24 && rng() % 2 == 0) {
      const std::size_t begin = rng() % (source.size() - 20000);
      live.push_back({hasher.open(), begin, begin + rng() % 20000, begin});
    }
    for (S& s : live) {
      const std::size_t piece = std::min<std::size_t>(s.end - s.sent, rng() % 3000);
      hasher.submit(s.id, {source.data() + s.sent, piece});
      s.sent += piece;
    }
    if (rng() % 2 == 0) hasher.drain();
    for (std::size_t i = 0; i < live.size();) {
      S& s = live[i];
      if (s.sent == s.end || rng() % 40 == 0) {
        if (s.sent == s.end) {
          const std::span<const std::uint8_t> all{source.data() + s.begin, s.end - s.begin};
          ASSERT_EQ(hex_of(hasher.finish(s.id)), openssl_hex(algorithm(), all));
          ++finished;
        } else {
          hasher.abandon(s.id);  // a file that failed mid-way
        }
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }
  EXPECT_GT(finished, 50u);
}

INSTANTIATE_TEST_SUITE_P(
    AllPaths, Lanes,
    testing::Values(Case{LaneIsa::none, Algorithm::md5}, Case{LaneIsa::none, Algorithm::sha1},
                    Case{LaneIsa::avx2, Algorithm::md5}, Case{LaneIsa::avx2, Algorithm::sha1},
                    Case{LaneIsa::avx512, Algorithm::md5}, Case{LaneIsa::avx512, Algorithm::sha1}),
    case_name);

}  // namespace
}  // namespace dijk::digest_lanes
