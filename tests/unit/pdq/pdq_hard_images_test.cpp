// PDQ on the fast path's hard cases (tests/support/pdq_hard_images.h): fine stripes, line art and
// screenshot-like graphics, drawn at test time and encoded with libjpeg-turbo. Full resolution is checked
// against the values recorded in tests/data/pdq/hard_images.csv; the default options must stay within 8
// bits of full resolution on every one (issue 19: the old fast-path default strayed up to 32).
#include "tests/support/pdq_hard_images.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "hashcore/pdq/pdq_hasher.h"
#include "tests/unit/pdq/test_files.h"

namespace dijk {
namespace {

struct Recorded {
  std::string pdq;
  int quality = 0;
};

// name,pdq,quality,jpeg_bytes (the last for information: the size libjpeg-turbo made)
std::map<std::string, Recorded> read_recorded() {
  std::ifstream in(pdqtest::data_dir() / "hard_images.csv");
  std::string line;
  std::getline(in, line);  // header
  std::map<std::string, Recorded> rows;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string name, pdq, quality;
    if (std::getline(ss, name, ',') && std::getline(ss, pdq, ',') && std::getline(ss, quality, ','))
      rows[name] = {pdq, std::stoi(quality)};
  }
  return rows;
}

struct HardFile {
  pdqtest::HardImageCase what;
  std::string name;
  std::vector<std::uint8_t> bytes;
};

// Drawing and encoding dominate the test's time: done once for all the tests.
class PdqHardImages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!files_.empty()) return;
    for (const auto& c : pdqtest::hard_image_cases()) files_.push_back({c, c.name(), c.jpeg()});
  }
  static inline std::vector<HardFile> files_;
};

// DIJK_RECORD_HARD_IMAGES=FILE writes the values (the full-resolution path, which matches Meta's reference
// bit for bit on its own images) to FILE instead of checking them, for tests/data/pdq/hard_images.csv.
TEST_F(PdqHardImages, FullResolutionMatchesTheRecordedValues) {
  if (const char* out = std::getenv("DIJK_RECORD_HARD_IMAGES"); out != nullptr) {
    std::ofstream csv(out);
    csv << "name,pdq,quality,jpeg_bytes\n";
    PdqHasher full(PdqOptions{.fast = false});
    for (const auto& [what, name, bytes] : files_) {
      const auto result = full.hash_file_bytes(bytes);
      ASSERT_TRUE(result.has_value()) << name;
      csv << name << ',' << result->hash.to_hex() << ',' << result->quality << ',' << bytes.size() << '\n';
    }
    GTEST_SKIP() << "recorded to " << out;
  }
  const auto recorded = read_recorded();
  ASSERT_EQ(recorded.size(), files_.size()) << "tests/data/pdq/hard_images.csv is out of date";
  PdqHasher full(PdqOptions{.fast = false});
  for (const auto& [what, name, bytes] : files_) {
    const auto it = recorded.find(name);
    ASSERT_NE(it, recorded.end()) << name;
    const auto result = full.hash_file_bytes(bytes);
    ASSERT_TRUE(result.has_value()) << name;
    const auto want = PdqHash::from_hex(it->second.pdq);
    ASSERT_TRUE(want.has_value()) << name;
    // Same drawing, same libjpeg-turbo: the same bits. A few may move if the encoder's output changes.
    EXPECT_LE(pdq_distance(result->hash, *want), 2) << name;
    EXPECT_NEAR(result->quality, it->second.quality, 2) << name;
  }
}

TEST_F(PdqHardImages, DefaultOptionsStayWithinEightBitsOfFullResolution) {
  PdqHasher full(PdqOptions{.fast = false});
  PdqHasher by_default;
  for (const auto& [what, name, bytes] : files_) {
    const auto a = full.hash_file_bytes(bytes);
    const auto b = by_default.hash_file_bytes(bytes);
    ASSERT_TRUE(a && b) << name;
    EXPECT_LE(pdq_distance(a->hash, b->hash), 8) << name;
  }
}

// What the default options do on these: the fast path's check sends them back for a full decode.
// Printed per family so the log shows what a scaled decode would have cost each.
TEST_F(PdqHardImages, TheFastPathCheckSendsThemToFullResolution) {
  PdqHasher full(PdqOptions{.fast = false});
  PdqHasher unchecked(PdqOptions{.fast_check = {.max_flat_share = 0, .min_low_frequency_share = 0}});
  PdqHasher checked;
  ASSERT_TRUE(checked.options().fast);
  std::map<std::string_view, std::map<int, int>> unchecked_distances;
  for (const auto& [what, name, bytes] : files_) {
    const auto reference = full.hash_file_bytes(bytes);
    const auto a = unchecked.hash_file_bytes(bytes);
    const auto b = checked.hash_file_bytes(bytes);
    ASSERT_TRUE(reference && a && b) << name;
    ++unchecked_distances[pdqtest::hard_family_name(what.family)][pdq_distance(reference->hash, a->hash)];
  }
  for (const auto& [family, histogram] : unchecked_distances) {
    std::printf("%-10s scaled decode vs full:", std::string(family).c_str());
    for (const auto& [d, n] : histogram) std::printf(" %dx%d", n, d);
    std::printf(" (images x bits)\n");
  }
  EXPECT_EQ(unchecked.full_resolution_redecodes(), 0u);
  EXPECT_EQ(checked.full_resolution_redecodes(), files_.size());
}

}  // namespace
}  // namespace dijk
