// dijk-hotline import as a hotline engineer runs it: every list format, malformed lines, allow-lists.
#include <gtest/gtest.h>

#include "hashcore/set/hash_set.h"
#include "hashcore/util/hex.h"
#include "tests/integration/cli/cli_paths.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

// Digests of "abc", known answers.
const std::string kMd5 = "900150983cd24fb0d6963f7d28e17f72";
const std::string kSha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
const std::string kSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

bool set_has(const HashSet& set, Algorithm a, const std::string& hex) {
  const auto bytes = from_hex(hex);
  return bytes && set.exact(a).find(*bytes) != ExactTable::kNotFound;
}

class ImportCli : public ::testing::Test {
 protected:
  CommandResult import(std::vector<std::string> args) {
    args.insert(args.begin(), {hotline(), "import"});
    return run_command(args);
  }
  TempDir dir;
  std::string out = dir.file("out.set");
};

TEST_F(ImportCli, AcceptsChecksumToolOutputOfEveryAlgorithm) {
  write_text(dir.file("l.txt"),
             "# comment\n\n" + kMd5 + "  a.txt\n" + kSha1 + " *a.txt\nSHA256 (a.txt) = " + kSha256 + "\n");
  const auto r = import({"--name", "red", "--category", "A1", "--out", out, dir.file("l.txt")});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto set = HashSet::open(out);
  EXPECT_TRUE(set_has(*set, Algorithm::md5, kMd5));
  EXPECT_TRUE(set_has(*set, Algorithm::sha1, kSha1));
  EXPECT_TRUE(set_has(*set, Algorithm::sha256, kSha256));
  EXPECT_EQ(set->list(0).name, "red");
  EXPECT_EQ(set->list(0).category, "A1");
}

TEST_F(ImportCli, ReadsCsvColumnsByHeaderAndClamavSignatures) {
  write_text(dir.file("l.csv"), "id,SHA1,md5\n1,\"" + kSha1 + "\",\n2,," + kMd5 + "\n");
  write_text(dir.file("c.hsb"), kSha256 + ":3:Demo.Sig\n");
  const auto r = import({"--name", "x", "--out", out, dir.file("l.csv"), dir.file("c.hsb")});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto set = HashSet::open(out);
  EXPECT_TRUE(set_has(*set, Algorithm::sha1, kSha1));
  EXPECT_TRUE(set_has(*set, Algorithm::md5, kMd5));
  EXPECT_TRUE(set_has(*set, Algorithm::sha256, kSha256));
}

TEST_F(ImportCli, MalformedLinesAreNamedAndNoSetIsWritten) {
  write_text(dir.file("bad.txt"), kMd5 + "\nnot-a-hash\n" + kMd5.substr(0, 31) + "x\n");
  write_text(dir.file("bad.hdb"), kMd5 + ":12x:Name\n" + kMd5 + "\n");
  const auto r = import({"--name", "x", "--out", out, dir.file("bad.txt"), dir.file("bad.hdb")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(dir.file("bad.txt") + ":2: hash of 10 characters is not MD5, SHA-1 or SHA-256"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(dir.file("bad.txt") + ":3: not a hexadecimal hash"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir.file("bad.hdb") + ":1: ClamAV signature size '12x'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir.file("bad.hdb") + ":2: ClamAV signature needs hash:size:name"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(ImportCli, KeepGoingWritesTheGoodLinesAndSaysSo) {
  write_text(dir.file("l.txt"), kMd5 + "\nzz\n" + kMd5 + "\n");
  const auto r = import({"--name", "x", "--keep-going", "--out", out, dir.file("l.txt")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("1 duplicates folded"), std::string::npos) << r.out;
  EXPECT_TRUE(set_has(*HashSet::open(out), Algorithm::md5, kMd5));
}

TEST_F(ImportCli, CsvWithoutHashColumnIsAnError) {
  write_text(dir.file("l.csv"), "name,size\nfoo,3\n");
  const auto r = import({"--name", "x", "--out", out, dir.file("l.csv")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("CSV header names no hash column"), std::string::npos) << r.err;
}

TEST_F(ImportCli, BaseSetCombinesListsAndKeepsAllowList) {
  write_text(dir.file("a.txt"), kMd5 + "\n");
  write_text(dir.file("b.txt"), kSha1 + "\n");
  write_text(dir.file("allow.txt"), kSha256 + "\n");
  ASSERT_EQ(
      import({"--name", "a", "--allow", dir.file("allow.txt"), "--out", dir.file("a.set"), dir.file("a.txt")})
          .status,
      0);
  ASSERT_EQ(import({"--name", "b", "--base", dir.file("a.set"), "--out", out, dir.file("b.txt")}).status, 0);
  const auto set = HashSet::open(out);
  ASSERT_EQ(set->lists().size(), 2u);
  EXPECT_EQ(set->exact(Algorithm::md5).find(*from_hex(kMd5)), 0);
  EXPECT_EQ(set->exact(Algorithm::sha1).find(*from_hex(kSha1)), 1);
  EXPECT_NE(set->allow(Algorithm::sha256).find(*from_hex(kSha256)), ExactTable::kNotFound);
}

TEST_F(ImportCli, UnknownOptionsAndMissingArgumentsAreUsageErrors) {
  EXPECT_EQ(import({"--nmae", "x"}).status, 64);
  const auto r = import({"--name", "x", dir.file("l.txt")});
  EXPECT_EQ(r.status, 64);
  EXPECT_NE(r.err.find("--out SET is required"), std::string::npos);
}

}  // namespace
}  // namespace dijk::test
