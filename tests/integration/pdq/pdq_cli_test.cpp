// PDQ through the CLIs: a hotline imports a PDQ list, a provider hashes and scans real images.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "hashcore/pdq_index/pdq_set_section.h"
#include "tests/integration/cli/cli_paths.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

const std::filesystem::path kImages = std::filesystem::path(DIJK_SOURCE_DIR) / "tests/data/pdq/images";
// The reference's full-resolution hash of bridge-mods__aaa-orig.jpg (tests/data/pdq/expected.csv).
const std::string kBridge = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

std::string json_value(const std::string& line, const std::string& key) {
  const auto at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return {};
  auto start = at + key.size() + 3;
  if (line[start] == '"') ++start;
  return line.substr(start, line.find_first_of("\",}", start) - start);
}

TEST(PdqCli, ImportKeepsGoodHashesAndNamesBadLines) {
  TempDir dir;
  write_text(dir.file("list.csv"),
             "name,pdq,quality\n"
             "bridge," +
                 kBridge +
                 ",100\n"
                 "flat,0000000000000000000000000000000000000000000000000000000000000000,10\n"
                 "broken,f8f8,90\n");
  const auto bad =
      run_command({hotline(), "import", "--name", "pdq", "--out", dir.file("s.set"), dir.file("list.csv")});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("list.csv:4: not a PDQ hash"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("s.set")));

  const auto r = run_command({hotline(), "import", "--name", "pdq", "--keep-going", "--out",
                              dir.file("s.set"), dir.file("list.csv")});
  EXPECT_EQ(r.status, 1) << r.err;  // written, but says some lines were bad
  const auto set = HashSet::open(dir.file("s.set"));
  const auto index = pdq_index_of(*set);
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->size(), 1u);  // the quality-10 hash can never match: left out
  EXPECT_EQ(index->hash(0).to_hex(), kBridge);
  EXPECT_EQ(set->list(index->list_index(0)).name, "pdq");
}

TEST(PdqCli, HashPrintsPdqQualityAndDihedralVariants) {
  const auto r =
      run_command({dijkctl(), "hash", "--json", "--dihedral",
                   (kImages / "bridge-mods__aaa-orig.jpg").string(), (kImages / "small.jpg").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = lines_with(r.out, "\"path\"");
  ASSERT_EQ(lines.size(), 2u);
  const auto pdq = PdqHash::from_hex(json_value(lines[0], "pdq"));
  ASSERT_TRUE(pdq.has_value()) << lines[0];
  EXPECT_LE(pdq_distance(*pdq, *PdqHash::from_hex(kBridge)), 8);  // the fast path's bound
  EXPECT_EQ(json_value(lines[0], "quality"), "100");
  EXPECT_EQ(json_value(lines[0], "pdq_rotate90").size(), 64u);
  EXPECT_EQ(json_value(lines[1], "quality"), "0");  // the reference gives small.jpg quality 0 too
}

TEST(PdqCli, ScanReportsNearDuplicatesWithDistanceAndNeverFlatOrBrokenImages) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "tree");
  std::set<std::string> expected;
  for (const auto& e : std::filesystem::directory_iterator(kImages)) {
    const std::string name = e.path().filename().string();
    const auto to = dir.path() / "tree" / name;
    std::filesystem::copy_file(e.path(), to);
    if (name.starts_with("bridge-mods__") || name == "modes__P.png" || name == "modes__RGB.jpg")
      expected.insert(to.string());
  }
  // A truncated copy of a listed image: counted as undecodable, never matched.
  const std::string original = read_text((kImages / "bridge-mods__aaa-orig.jpg").string());
  write_text(dir.file("tree/truncated.jpg"), original.substr(0, original.size() / 3));
  write_text(dir.file("list.pdq"), kBridge + "\n");
  ASSERT_EQ(run_command({hotline(), "import", "--name", "bridge", "--category", "test", "--out",
                         dir.file("s.set"), dir.file("list.pdq")})
                .status,
            0);

  const auto r = run_command({dijkctl(), "scan", "--json", "--set", dir.file("s.set"), dir.file("tree")});
  EXPECT_EQ(r.status, 1) << r.err;
  std::set<std::string> hits;
  for (const auto& line : lines_with(r.out, "\"algorithm\":\"pdq\"")) {
    hits.insert(json_value(line, "path"));
    EXPECT_EQ(json_value(line, "hash"), kBridge);
    EXPECT_EQ(json_value(line, "list"), "bridge");
    EXPECT_LE(std::stoi(json_value(line, "distance")), 31);
    EXPECT_GE(std::stoi(json_value(line, "quality")), 50);
  }
  // Every modified copy of the bridge matches; the rotated/flipped ones (dih__) and other photos do not,
  // and neither does the truncated copy or small.jpg (quality 0).
  for (const auto& p : expected) EXPECT_TRUE(hits.count(p)) << p;
  for (const auto& p : hits) {
    EXPECT_TRUE(p.find("bridge-mods__") != std::string::npos || p.find("modes__") != std::string::npos ||
                p.find("dih__bridge-1-original") != std::string::npos)
        << p;
  }
  EXPECT_EQ(hits.count(dir.file("tree/truncated.jpg")), 0u);
  const auto summary = lines_with(r.out, "\"summary\"");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(json_value(summary[0], "pdq_undecodable"), "1");
}

}  // namespace
}  // namespace dijk::test
