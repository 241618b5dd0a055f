// dijk-hotline import from a pipe, and CSV lists whose columns are named on the command line.
#include <gtest/gtest.h>

#include "hashcore/set/hash_set.h"
#include "hashcore/util/hex.h"
#include "tests/integration/cli/cli_paths.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

const std::string kMd5 = "900150983cd24fb0d6963f7d28e17f72";
const std::string kSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

class ImportPipeCli : public ::testing::Test {
 protected:
  // `dijk-hotline import ARGS` with `input` on its standard input through a pipe.
  CommandResult import_piped(const std::string& input, const std::vector<std::string>& args) {
    write_text(dir.file("input"), input);
    std::string command = "cat '" + dir.file("input") + "' | '" + hotline() + "' import";
    for (const auto& a : args) command += " '" + a + "'";
    return run_command({"/bin/sh", "-c", command});
  }
  TempDir dir;
  std::string out = dir.file("out.set");
};

TEST_F(ImportPipeCli, ReadsAPlainListFromStandardInput) {
  const auto r = import_piped(kMd5 + "  a.jpg\n" + kSha256 + "\n", {"--name", "p", "--out", out, "-"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("stdin: plain, 2 lines, 2 hashes, 0 malformed"), std::string::npos) << r.out;
  const auto set = HashSet::open(out);
  EXPECT_EQ(set->exact(Algorithm::md5).size(), 1u);
  EXPECT_EQ(set->exact(Algorithm::sha256).size(), 1u);
}

TEST_F(ImportPipeCli, CsvColumnsWithoutHeaderNameBadRowsByInputLineAndKeepTheRest) {
  const std::string csv = "1,\"" + kMd5 + "\",x\n2,not-hex,y\n3,,z\n4,\"" + kSha256 + "\",w\n5,abc\"\n";
  auto r = import_piped(csv, {"--name", "p", "--csv-columns", "md5=2", "--csv-no-header", "--out", out, "-"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("stdin:2: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stdin:4: "), std::string::npos) << r.err;  // a SHA-256 in the md5 column
  EXPECT_NE(r.err.find("stdin:5: unterminated quote"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("stdin: csv, 5 lines, 1 hashes, 3 malformed"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out));
  r = import_piped(
      csv, {"--name", "p", "--csv-columns", "md5=2", "--csv-no-header", "--keep-going", "--out", out, "-"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(HashSet::open(out)->exact(Algorithm::md5).size(), 1u);
}

TEST_F(ImportPipeCli, CsvColumnsReplaceAHeaderThatNamesNoHashColumn) {
  write_text(dir.file("l.csv"), "case,digest,size\n17," + kSha256 + ",100\n18," + kMd5 + ",5\n");
  auto r = run_command({hotline(), "import", "--name", "p", "--out", out, dir.file("l.csv")});
  EXPECT_EQ(r.status, 2);  // without a mapping the header names no hash column
  r = run_command({hotline(), "import", "--name", "p", "--csv-columns", "sha256=2", "--keep-going", "--out",
                   out, dir.file("l.csv")});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(dir.file("l.csv") + ":3: "), std::string::npos) << r.err;
  EXPECT_EQ(HashSet::open(out)->exact(Algorithm::sha256).size(), 1u);
}

TEST_F(ImportPipeCli, WrongMappingsAndTwoStdinsAreUsageErrors) {
  const auto usage = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {hotline(), "import", "--name", "p", "--out", out});
    return run_command(args).status;
  };
  EXPECT_EQ(usage({"--csv-columns", "md5=0", "-"}), 64);
  EXPECT_EQ(usage({"--csv-no-header", "-"}), 64);
  EXPECT_EQ(usage({"-", "--allow", "-"}), 64);
}

}  // namespace
}  // namespace dijk::test
