// PDQ against the reference hasher's output on its own test images (tests/data/pdq/expected.csv).
#include <gtest/gtest.h>

#include <map>

#include "hashcore/pdq/pdq_hasher.h"
#include "tests/unit/pdq/test_files.h"

namespace dijk {
namespace {

using pdqtest::data_dir;
using pdqtest::read_bytes;
using pdqtest::read_expected;

PdqOptions full_resolution() {
  PdqOptions o;
  o.fast = false;
  return o;
}

TEST(PdqReference, FullResolutionMatchesReference) {
  const auto expected = read_expected();
  ASSERT_GE(expected.size(), 30u);
  PdqHasher hasher(full_resolution());
  int exact = 0;
  for (const auto& e : expected) {
    const auto bytes = read_bytes(data_dir() / "images" / e.file);
    const auto result = hasher.hash_file_bytes(bytes);
    ASSERT_TRUE(result.has_value()) << e.file << ": " << decode_status_name(hasher.last_status());
    const auto want = PdqHash::from_hex(e.pdq);
    ASSERT_TRUE(want.has_value());
    const int d = pdq_distance(result->hash, *want);
    std::printf("%-36s distance %3d quality %3d (ref %3d)\n", e.file.c_str(), d, result->quality, e.quality);
    if (d == 0) ++exact;
    if (e.quality >= 80) {
      EXPECT_LE(d, 2) << e.file;
      EXPECT_NEAR(result->quality, e.quality, 2) << e.file;
    }
  }
  // "Most": at least 3 in 4 bit-identical.
  EXPECT_GE(exact * 4, static_cast<int>(expected.size()) * 3) << exact << " of " << expected.size();
}

TEST(PdqReference, FastPathStaysWithinEightBitsOfFullResolution) {
  PdqHasher full(full_resolution());
  PdqHasher fast(PdqOptions{.fast = true});
  std::map<int, int> histogram;
  for (const auto& e : read_expected()) {
    if (e.quality < 50) continue;  // never matched, so its bits do not matter
    const auto bytes = read_bytes(data_dir() / "images" / e.file);
    const auto a = full.hash_file_bytes(bytes);
    const auto b = fast.hash_file_bytes(bytes);
    ASSERT_TRUE(a && b) << e.file;
    const int d = pdq_distance(a->hash, b->hash);
    ++histogram[d];
    EXPECT_LE(d, 8) << e.file;
  }
  for (const auto& [d, n] : histogram) std::printf("fast vs full: distance %2d: %d images\n", d, n);
  // No photograph looks like graphics to the fast path, so none pays for a second decode.
  EXPECT_EQ(fast.full_resolution_redecodes(), 0u);
}

TEST(PdqReference, DihedralVariantsMatchTheTransformedFiles) {
  PdqHasher hasher(full_resolution());
  const auto original =
      hasher.hash_file_bytes_dihedral(read_bytes(data_dir() / "images/dih__bridge-1-original.jpg"));
  ASSERT_TRUE(original.has_value());
  const char* files[8] = {"dih__bridge-1-original.jpg",    "dih__bridge-2-rotate-90.jpg",
                          "dih__bridge-3-rotate-180.jpg",  "dih__bridge-4-rotate-270.jpg",
                          "dih__bridge-5-flipx.jpg",       "dih__bridge-6-flipy.jpg",
                          "dih__bridge-7-flip-plus-1.jpg", "dih__bridge-8-flip-minus-1.jpg"};
  for (int d = 0; d < 8; ++d) {
    const auto transformed = hasher.hash_file_bytes(read_bytes(data_dir() / "images" / files[d]));
    ASSERT_TRUE(transformed.has_value());
    const auto& variant = original->hashes[static_cast<std::size_t>(d)];
    // The transformed files were re-encoded, so a few bits differ; any wrong mapping is ~128 bits off.
    EXPECT_LE(pdq_distance(variant, transformed->hash), 16) << files[d];
    for (int other = 0; other < 8; ++other) {
      if (other != d) {
        EXPECT_GT(pdq_distance(original->hashes[static_cast<std::size_t>(other)], transformed->hash), 31);
      }
    }
  }
  EXPECT_EQ(original->hashes[0],
            hasher.hash_file_bytes(read_bytes(data_dir() / "images/dih__bridge-1-original.jpg"))->hash);
}

TEST(PdqHashText, RoundTripsAndRejectsMalformed) {
  const std::string hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
  const auto h = PdqHash::from_hex(hex);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->to_hex(), hex);
  // Reference bit 255 is the top bit of word 15, the first hex digit.
  EXPECT_TRUE(h->bit(255));
  EXPECT_FALSE(PdqHash::from_hex(hex.substr(1)).has_value());
  EXPECT_FALSE(PdqHash::from_hex(hex + "0").has_value());
  EXPECT_FALSE(PdqHash::from_hex("g" + hex.substr(1)).has_value());
}

}  // namespace
}  // namespace dijk
