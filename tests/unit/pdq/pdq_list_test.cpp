// Importing PDQ lists: plain hex lines and CSV with a pdq column; bad lines counted, never guessed.
#include <gtest/gtest.h>

#include "hashcore/pdq/pdq_list.h"

namespace dijk {
namespace {

const std::string kA = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const std::string kB = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

std::vector<std::pair<std::string, int>> parse(const std::string& text, PdqListStats* stats = nullptr) {
  std::vector<std::pair<std::string, int>> out;
  const auto s = parse_pdq_list(text, {}, [&](const PdqHash& h, int q) { out.emplace_back(h.to_hex(), q); });
  if (stats != nullptr) *stats = s;
  return out;
}

TEST(PdqList, HexOneALine) {
  PdqListStats stats;
  const auto got = parse("# comment\n" + kA + "\r\n\n  " + kB + "\nnot-a-hash\n" + kA.substr(2) + "\n", &stats);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::make_pair(kA, 100));
  EXPECT_EQ(got[1], std::make_pair(kB, 100));
  EXPECT_EQ(stats.bad_lines, 2u);
  EXPECT_EQ(stats.first_bad_line, 5u);
}

TEST(PdqList, CsvWithPdqAndQualityColumnsInAnyOrder) {
  PdqListStats stats;
  const auto got = parse("file,quality,pdq\nx.jpg,90," + kA + "\ny.jpg,30," + kB + "\nz.jpg,abc," + kA +
                             "\nw.jpg,," + kB + "\nshort\n",
                         &stats);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::make_pair(kA, 90));
  EXPECT_EQ(got[1], std::make_pair(kB, 100));  // empty quality: none given
  EXPECT_EQ(stats.low_quality, 1u);              // quality 30 < 50 can never match
  EXPECT_EQ(stats.bad_lines, 2u);                // "abc" and a line without the column
}

TEST(PdqList, ReferenceExpectedCsvImports) {
  const auto got = parse("file,bytes,md5,sha1,sha256,pdq,quality,pdq_ref512,quality_ref512\n"
                         "a.jpg,1,x,y,z," + kA + ",100," + kB + ",100\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, kA);
}

TEST(PdqList, CsvWithoutHeaderTakesHashThenQuality) {
  const auto got = parse(kA + ",77\n" + kB + ",88\n");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::make_pair(kA, 77));
  EXPECT_EQ(got[1], std::make_pair(kB, 88));
}

}  // namespace
}  // namespace dijk
