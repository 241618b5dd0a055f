// dijk-hotline set info | list | find | diff | export on set files that were really published.
#include <gtest/gtest.h>

#include <cstdio>

#include "hashcore/set/hash_set.h"
#include "hashcore/util/hex.h"
#include "tests/integration/cli/cli_paths.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

const std::string kSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kSha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";

std::string md5_hex(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%032x", i);
  return buf;
}

class SetToolCli : public ::testing::Test {
 protected:
  CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), hotline());
    return run_command(args);
  }
  // v1: list A (A1) md5 1..10; list "B,2" (B) sha1 + sha256. v2: A loses 10, gains 11; B unchanged.
  void SetUp() override {
    std::string a;
    for (int i = 1; i <= 10; ++i) a += md5_hex(i) + "\n";
    write_text(dir.file("a1.txt"), a);
    write_text(dir.file("b.txt"), kSha1 + "\n" + kSha256 + "\n");
    ASSERT_EQ(run({"import", "--name", "A", "--category", "A1", "--out", v1, dir.file("a1.txt")}).status, 0);
    ASSERT_EQ(
        run({"import", "--name", "B,2", "--category", "B", "--base", v1, "--out", v1, dir.file("b.txt")})
            .status,
        0);
    a = a.substr(0, a.size() - 33) + md5_hex(11) + "\n";
    write_text(dir.file("a2.txt"), a);
    ASSERT_EQ(run({"import", "--name", "A", "--category", "A1", "--out", v2, dir.file("a2.txt")}).status, 0);
    ASSERT_EQ(
        run({"import", "--name", "B,2", "--category", "B", "--base", v2, "--out", v2, dir.file("b.txt")})
            .status,
        0);
    ASSERT_EQ(run({"keygen", "--keys", keys, "--feed-name", "demo"}).status, 0);
    for (const auto& set : {v1, v2}) {
      const auto r = run({"publish", "--feed", feed, "--keys", keys, "--set", set});
      ASSERT_EQ(r.status, 0) << r.err;
    }
  }
  TempDir dir;
  std::string v1 = dir.file("v1.set"), v2 = dir.file("v2.set");
  std::string keys = dir.file("keys"), feed = dir.file("feed");
};

TEST_F(SetToolCli, InfoCountsPerListCategoryAndAlgorithm) {
  const auto r = run({"set", "info", v2});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto has = [&](const std::string& s) { return r.out.find(s) != std::string::npos; };
  EXPECT_TRUE(has(": set version 2, created ")) << r.out;
  EXPECT_TRUE(has("  list A (A1): 10 hashes: md5 10 sha1 0 sha256 0 pdq 0\n")) << r.out;
  EXPECT_TRUE(has("  list B,2 (B): 2 hashes: md5 0 sha1 1 sha256 1 pdq 0\n")) << r.out;
  EXPECT_TRUE(has("  category B: 2 hashes:")) << r.out;
  EXPECT_TRUE(has("  total: 12 hashes: md5 10 sha1 1 sha256 1 pdq 0\n")) << r.out;
}

TEST_F(SetToolCli, FindTellsTheListAndSinceWhichPublishedVersion) {
  const auto r =
      run({"set", "find", "--feed", feed, v2, md5_hex(11), md5_hex(3), "sha256:" + kSha256, md5_hex(10)});
  EXPECT_EQ(r.status, 1);  // md5 10 is gone in v2
  EXPECT_NE(r.out.find("md5:" + md5_hex(11) + ": in list A (A1); published since version 2\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("md5:" + md5_hex(3) + ": in list A (A1); published since version 1\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("sha256:" + kSha256 + ": in list B,2 (B); published since version 1\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("md5:" + md5_hex(10) + ": not in the set\n"), std::string::npos) << r.out;
  EXPECT_EQ(run({"set", "find", v2, "nothex"}).status, 64);
}

TEST_F(SetToolCli, DiffOfTwoPublishedVersionsPerListAndHash) {
  const auto r = run({"set", "diff", v1, v2, "--hashes"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out,
            "set version 2 -> 2: +1 -1\n"
            "  list A (A1): 10 -> 10, +1 -1\n"
            "  list B,2 (B): 2 -> 2, +0 -0\n"
            "  allow-list: +0 -0\n"
            "- md5:" +
                md5_hex(10) + "\tA\n+ md5:" + md5_hex(11) + "\tA\n");
  EXPECT_EQ(run({"set", "diff", v1, v1}).status, 0);
}

TEST_F(SetToolCli, ListPrintsEveryHashWithItsListEscaped) {
  const auto r = run({"set", "list", v1, "--list", "B,2"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "algorithm\thash\tlist\tcategory\nsha1\t" + kSha1 + "\tB,2\tB\nsha256\t" + kSha256 +
                       "\tB,2\tB\n");
  EXPECT_EQ(run({"set", "list", v1, "--algorithm", "md5"}).out.size(),
            29 + 10 * (4 + 32 + 1 + 1 + 1 + 2 + 1));
}

TEST_F(SetToolCli, ExportRoundTripsThroughImportInEveryFormat) {
  const auto csv = dir.file("x.csv");
  ASSERT_EQ(run({"set", "export", v1, "--out", csv}).status, 0);
  EXPECT_NE(read_text(csv).find(",,,,\"B,2\",B\n"), std::string::npos) << read_text(csv);  // quoted, RFC 4180
  ASSERT_EQ(run({"import", "--name", "all", "--out", dir.file("rt.set"), csv}).status, 0);
  EXPECT_EQ(HashSet::open(dir.file("rt.set"))->exact(Algorithm::md5).size(), 10u);
  EXPECT_EQ(HashSet::open(dir.file("rt.set"))->exact(Algorithm::sha256).size(), 1u);

  auto r = run({"set", "export", v1, "--format", "hdb", "--out", dir.file("x.hdb")});
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.err.find("exported 10 hashes as hdb; 2 hashes left out"), std::string::npos) << r.err;
  EXPECT_NE(read_text(dir.file("x.hdb")).find(md5_hex(1) + ":*:A\n"), std::string::npos);
  r = run({"set", "export", v1, "--format", "hsb", "--out", dir.file("x.hsb")});
  EXPECT_NE(read_text(dir.file("x.hsb")).find(kSha256 + ":*:B_2\n"),
            std::string::npos);  // ':' and ',' made safe
  r = run({"set", "export", v1, "--format", "plain", "--list", "A", "--out", dir.file("x.txt")});
  ASSERT_EQ(run({"import", "--name", "r", "--out", dir.file("rt2.set"), dir.file("x.hdb"), dir.file("x.hsb"),
                 dir.file("x.txt")})
                .status,
            0);
  const auto rt = HashSet::open(dir.file("rt2.set"));
  EXPECT_EQ(rt->exact(Algorithm::md5).size(), 10u);
  EXPECT_EQ(rt->exact(Algorithm::sha1).size(), 1u);
  EXPECT_EQ(run({"set", "export", v1, "--format", "xml"}).status, 64);
}

}  // namespace
}  // namespace dijk::test
