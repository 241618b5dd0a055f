// The fingerprint catalog as a storage engineer uses it through dijkctl: a scan records a real tree, a
// re-scan reads only what changed, a retro-hunt finds the stored files a new set version lists without
// reading the others, and a kill -9 in the middle of a scan or of a hunt leaves a catalog that verifies
// and a rerun that finishes the job.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "hashcore/digest/streaming_digests.h"
#include "hashcore/util/hex.h"
#include "tests/integration/cli/cli_paths.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string md5_hex(const std::string& text) {
  StreamingDigests d(AlgorithmSet{}.add(Algorithm::md5));
  d.update({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  const Digest md5 = d.finish().get(Algorithm::md5);
  return to_hex({md5.bytes.data(), 16});
}

class CatalogCli : public ::testing::Test {
 protected:
  // `files` small files in 50 folders, each with its own content; their MD5s kept by path.
  void make_tree(int files) {
    for (int i = 0; i < files; ++i) {
      const fs::path folder = tree / ("d" + std::to_string(i % 50));
      fs::create_directories(folder);
      const std::string path = (folder / ("f" + std::to_string(i) + ".bin")).string();
      const std::string text =
          "stored file " + std::to_string(i) + " " + std::string(static_cast<std::size_t>(i % 300), 'x');
      write_text(path, text);
      md5s[path] = md5_hex(text);
    }
  }

  // A set listing the MD5s of `paths` (plus one unrelated hash, so no set is empty).
  std::string make_set(const std::string& name, const std::vector<std::string>& paths, int version) {
    std::string list = std::string(32, 'e') + "\n";
    for (const auto& p : paths) list += md5s.at(p) + "\n";
    write_text(dir.file(name + ".txt"), list);
    const std::string out = dir.file(name + ".set");
    const auto r = run_command({hotline(), "import", "--name", "test-list", "--set-version",
                                std::to_string(version), "--out", out, dir.file(name + ".txt")});
    EXPECT_EQ(r.status, 0) << r.err;
    return out;
  }

  std::vector<std::string> dijkctl_with_kill(int after, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/env", "LD_PRELOAD=" + std::string(KILL_ON_OPEN),
                                  "DIJK_TEST_KILL_PREFIX=" + tree.string() + "/",
                                  "DIJK_TEST_KILL_AFTER=" + std::to_string(after), dijkctl()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // The summary line of a --json run.
  static json summary(const CommandResult& r) {
    const auto lines = lines_with(r.out, "\"summary\":");
    if (lines.empty()) return json::object();
    return json::parse(lines.back());
  }

  static std::set<std::string> retrohunt_paths(const std::string& out) {
    std::set<std::string> paths;
    for (const auto& line : lines_with(out, "\"retrohunt\"")) paths.insert(json::parse(line).at("path"));
    return paths;
  }

  json verify() {
    const auto r = run_command({dijkctl(), "catalog", "verify", "--catalog-dir", catalog, "--json"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return json::parse(r.out);
  }

  CommandResult scan(const std::string& set) {
    return run_command({dijkctl(), "scan", "--json", "--set", set, "--catalog-dir", catalog, tree.string()});
  }

  TempDir dir;
  fs::path tree = dir.path() / "stored";
  std::string catalog = dir.file("catalog");
  std::map<std::string, std::string> md5s;
};

TEST_F(CatalogCli, ARescanReadsOnlyWhatChanged) {
  make_tree(500);
  const std::string v1 = make_set("v1", {}, 1);
  auto r = scan(v1);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(summary(r)["files"], 500);
  EXPECT_EQ(summary(r)["catalogued"], 500);

  r = scan(v1);
  EXPECT_EQ(summary(r)["files"], 0);
  EXPECT_EQ(summary(r)["unchanged"], 500);

  write_text((tree / "d3" / "f3.bin").string(), "rewritten");
  write_text((tree / "d9" / "new.bin").string(), "a new file");
  r = scan(v1);
  EXPECT_EQ(summary(r)["files"], 2);
  EXPECT_EQ(summary(r)["unchanged"], 499);

  const json v = verify();
  EXPECT_EQ(v["records"], 501);
  EXPECT_EQ(v["bad_records"], 0);
  const auto stats = run_command({dijkctl(), "catalog", "stats", "--catalog-dir", catalog, "--json"});
  ASSERT_EQ(stats.status, 0) << stats.err;
  EXPECT_EQ(json::parse(stats.out)["roots"], json::array({tree.string()}));
}

TEST_F(CatalogCli, AHuntFindsWhatAVersionAddedWithoutReadingTheRest) {
  make_tree(500);
  const std::string v1 = make_set("v1", {}, 1);
  ASSERT_EQ(scan(v1).status, 0);
  const std::vector<std::string> listed{(tree / "d1" / "f1.bin").string(), (tree / "d7" / "f57.bin").string(),
                                        (tree / "d49" / "f499.bin").string()};
  const std::string v2 = make_set("v2", listed, 2);
  auto r = run_command(
      {dijkctl(), "catalog", "hunt", "--catalog-dir", catalog, "--from", v1, "--set", v2, "--json"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;  // hits
  EXPECT_EQ(retrohunt_paths(r.out), std::set<std::string>(listed.begin(), listed.end()));
  EXPECT_EQ(summary(r)["candidates"], 3);
  EXPECT_EQ(summary(r)["reread"], 3);
  EXPECT_EQ(summary(r)["records"], 500);

  // The same version again: nothing added, nothing read.
  r = run_command(
      {dijkctl(), "catalog", "hunt", "--catalog-dir", catalog, "--from", v2, "--set", v2, "--json"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(summary(r)["candidates"], 0);
  const auto stats = run_command({dijkctl(), "catalog", "stats", "--catalog-dir", catalog, "--json"});
  EXPECT_EQ(json::parse(stats.out)["hunted_set_version"], 2);
}

TEST_F(CatalogCli, AHuntNeedsToKnowWhereItStarts) {
  make_tree(5);
  const std::string v1 = make_set("v1", {}, 1);
  const auto r = run_command({dijkctl(), "catalog", "hunt", "--catalog-dir", catalog, "--set", v1});
  EXPECT_EQ(r.status, 64) << r.err;
  EXPECT_NE(r.err.find("--from OLD.set, or --all"), std::string::npos) << r.err;
  const auto none = run_command({dijkctl(), "catalog", "verify", "--catalog-dir", dir.file("nothing-here")});
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("no catalog in"), std::string::npos) << none.err;
}

TEST_F(CatalogCli, KillDuringAScanLeavesASoundCatalogAndTheRerunFinishes) {
  make_tree(4000);
  const std::string v1 = make_set("v1", {}, 1);
  // Killed at the 2,500th file it opens, with single-threaded reads so the records before it are many.
  const auto killed = run_command(dijkctl_with_kill(
      2500, {"scan", "--json", "--threads", "1", "--set", v1, "--catalog-dir", catalog, tree.string()}));
  ASSERT_EQ(killed.status, 128 + 9) << killed.err;
  const json v = verify();
  const int recorded = v["records"];
  EXPECT_GT(recorded, 0);
  EXPECT_LT(recorded, 4000);

  const auto rerun = scan(v1);
  ASSERT_EQ(rerun.status, 0) << rerun.err;
  EXPECT_EQ(summary(rerun)["unchanged"], recorded);
  EXPECT_EQ(summary(rerun)["files"], 4000 - recorded);
  EXPECT_EQ(verify()["records"], 4000);
}

TEST_F(CatalogCli, KillDuringAHuntLeavesItToBeRunAgainAndTheRerunReportsEveryFile) {
  make_tree(4000);
  const std::string v1 = make_set("v1", {}, 1);
  ASSERT_EQ(scan(v1).status, 0);
  std::vector<std::string> listed;
  for (const auto& [path, md5] : md5s) listed.push_back(path);
  const std::string v2 = make_set("v2", listed, 2);
  const auto killed = run_command(dijkctl_with_kill(
      1000, {"catalog", "hunt", "--json", "--catalog-dir", catalog, "--from", v1, "--set", v2}));
  ASSERT_EQ(killed.status, 128 + 9) << killed.err;
  EXPECT_LT(retrohunt_paths(killed.out).size(), 4000u);
  EXPECT_EQ(verify()["records"], 4000);
  // Not marked as hunted: the rerun hunts the same step, and every listed file is reported.
  const auto stats = run_command({dijkctl(), "catalog", "stats", "--catalog-dir", catalog, "--json"});
  EXPECT_FALSE(json::parse(stats.out).contains("hunted_set_version")) << stats.out;
  const auto rerun = run_command(
      {dijkctl(), "catalog", "hunt", "--json", "--catalog-dir", catalog, "--from", v1, "--set", v2});
  EXPECT_EQ(rerun.status, 1) << rerun.err;
  EXPECT_EQ(retrohunt_paths(rerun.out).size(), 4000u);
  EXPECT_EQ(summary(rerun)["reread"], 4000);
}

}  // namespace
}  // namespace dijk::test
