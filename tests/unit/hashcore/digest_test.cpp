#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "hashcore/digest/streaming_digests.h"
#include "hashcore/util/hex.h"

namespace dijk {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string hex_of(const DigestResults& r, Algorithm a) {
  return to_hex({r.get(a).bytes.data(), r.get(a).size()});
}

TEST(StreamingDigests, KnownAnswersForAbc) {
  const auto r = digest_buffer(AlgorithmSet::all(), bytes_of("abc"));
  EXPECT_EQ(hex_of(r, Algorithm::md5), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex_of(r, Algorithm::sha1), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex_of(r, Algorithm::sha256), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(StreamingDigests, ChunkingDoesNotChangeTheResult) {
  std::vector<std::uint8_t> data(300000);
  std::mt19937 rng(7);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  const auto whole = digest_buffer(AlgorithmSet::all(), data);
  StreamingDigests s(AlgorithmSet::all());
  for (std::size_t off = 0, step = 1; off < data.size(); off += step, step = step * 3 % 70001 + 1) {
    s.update({data.data() + off, std::min(step, data.size() - off)});
  }
  const auto chunked = s.finish();
  for (Algorithm a : kAllAlgorithms) EXPECT_EQ(hex_of(whole, a), hex_of(chunked, a)) << algorithm_name(a);
  s.reset();
  s.update(bytes_of("abc"));
  EXPECT_EQ(hex_of(s.finish(), Algorithm::md5), "900150983cd24fb0d6963f7d28e17f72")
      << "reset starts a new stream";
}

// Several digests take the bytes in turns of a block; one alone takes them whole. Both must agree on
// inputs of many blocks and odd lengths.
TEST(StreamingDigests, DigestsTakingTurnsAgreeWithEachAlone) {
  std::mt19937 rng(9);
  for (std::size_t size : {63u, 64u, 65u, 1000u, 262147u}) {
    std::vector<std::uint8_t> data(size);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    const auto together = digest_buffer(AlgorithmSet::all(), data);
    const auto pair = digest_buffer(AlgorithmSet{}.add(Algorithm::md5).add(Algorithm::sha256), data);
    for (Algorithm a : kAllAlgorithms) {
      const auto alone = digest_buffer(AlgorithmSet{}.add(a), data);
      EXPECT_EQ(hex_of(together, a), hex_of(alone, a)) << algorithm_name(a) << " " << size;
      if (a != Algorithm::sha1) {
        EXPECT_EQ(hex_of(pair, a), hex_of(alone, a)) << algorithm_name(a) << " " << size;
      }
    }
  }
}

TEST(StreamingDigests, ComputesOnlyTheSubsetAsked) {
  const auto r = digest_buffer(AlgorithmSet{}.add(Algorithm::sha1), bytes_of(""));
  EXPECT_TRUE(r.computed.contains(Algorithm::sha1));
  EXPECT_FALSE(r.computed.contains(Algorithm::md5));
  EXPECT_EQ(hex_of(r, Algorithm::sha1), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

// The word-first comparison orders digests exactly as memcmp does, including ties in the first eight
// bytes and bytes above 0x7F.
TEST(Algorithm, CompareDigestsOrdersAsMemcmp) {
  std::mt19937 rng(4);
  for (int i = 0; i < 20000; ++i) {
    std::array<std::uint8_t, 20> a{}, b{};
    for (auto& x : a) x = static_cast<std::uint8_t>(rng());
    b = a;
    const auto at = static_cast<std::size_t>(rng() % 20);  // where they may differ: first word or the rest
    b[at] = static_cast<std::uint8_t>(rng());
    const int want = std::memcmp(a.data(), b.data(), 20);
    const int got = compare_digests(a.data(), b.data(), 20);
    ASSERT_EQ((want > 0) - (want < 0), (got > 0) - (got < 0)) << "differing at byte " << at;
  }
}

TEST(Algorithm, SetsSubtractAndIntersect) {
  const AlgorithmSet md5_sha1 = AlgorithmSet{}.add(Algorithm::md5).add(Algorithm::sha1);
  const AlgorithmSet rest = AlgorithmSet::all().without(md5_sha1);
  EXPECT_EQ(rest.bits(), AlgorithmSet{}.add(Algorithm::sha256).bits());
  EXPECT_TRUE(md5_sha1.without(AlgorithmSet::all()).empty());
  EXPECT_EQ(AlgorithmSet::all().without(AlgorithmSet{}).bits(), AlgorithmSet::all().bits());
  const AlgorithmSet sha1_sha256 = AlgorithmSet{}.add(Algorithm::sha1).add(Algorithm::sha256);
  EXPECT_EQ(md5_sha1.shared_with(sha1_sha256).bits(), AlgorithmSet{}.add(Algorithm::sha1).bits());
  EXPECT_TRUE(md5_sha1.shared_with(AlgorithmSet{}).empty());
}

TEST(Algorithm, HexLengthTellsTheAlgorithm) {
  EXPECT_EQ(algorithm_from_hex_length(32), Algorithm::md5);
  EXPECT_EQ(algorithm_from_hex_length(40), Algorithm::sha1);
  EXPECT_EQ(algorithm_from_hex_length(64), Algorithm::sha256);
  EXPECT_FALSE(algorithm_from_hex_length(33).has_value());
}

TEST(Hex, RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(from_hex("00ffA0"), (std::vector<std::uint8_t>{0x00, 0xff, 0xa0}));
  EXPECT_FALSE(from_hex("0g").has_value());
  EXPECT_FALSE(from_hex("abc").has_value());
  const std::vector<std::uint8_t> b{1, 2, 254};
  EXPECT_EQ(to_hex(b), "0102fe");
}

}  // namespace
}  // namespace dijk
