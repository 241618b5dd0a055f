// File names are any bytes but '/' and NUL: dijkctl's output must stay valid JSON with --json, and plain
// text must neither let a name forge a line nor pass terminal escape sequences through.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/integration/cli/cli_paths.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

// Names a disk or an uploader can hand dijk: invalid UTF-8, a newline that would forge a hit line, a
// terminal escape, quotes and backslashes, an overlong '/' and a lone surrogate.
const std::vector<std::string> kHostileNames = {
    "latin1-\xe9t\xe9",
    "bad\xff\xfe",
    "new\nHIT forged: md5 0 list x",
    "esc\x1b[31mred",
    "quote\"back\\slash",
    "overlong\xc0\xaf",
    "surrogate\xed\xa0\x80",
    "c1-\xc2\x9b"
    "2J",
    "fine-\xc3\xa9t\xc3\xa9",
};

// Every line of `out` parsed by a strict parser (nlohmann rejects invalid UTF-8); fails the test if any
// line is not one JSON object.
std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> docs;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    try {
      docs.push_back(nlohmann::json::parse(line));
      EXPECT_TRUE(docs.back().is_object()) << line;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << e.what() << ": " << line;
    }
  }
  return docs;
}

class HostileNames : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(tree);
    std::string listed;
    for (std::size_t i = 0; i < kHostileNames.size(); ++i) {
      const std::string path = (tree / kHostileNames[i]).string();
      write_text(path, "listed file " + std::to_string(i));
      const auto r = run_command({dijkctl(), "hash", "--json", path});
      ASSERT_EQ(r.status, 0) << r.out << r.err;
      const auto docs = json_lines(r.out);
      ASSERT_EQ(docs.size(), 1u) << r.out;
      listed += docs[0].at("md5").get<std::string>() + "\n";
    }
    write_text(dir.file("list.txt"), listed);
    const auto r = run_command({hotline(), "import", "--name", "t", "--out", set, dir.file("list.txt")});
    ASSERT_EQ(r.status, 0) << r.err;
  }

  TempDir dir;
  std::filesystem::path tree = dir.path() / "tree";
  std::string set = dir.file("t.set");
};

TEST_F(HostileNames, ScanJsonStaysValidJsonWithEveryName) {
  ::mkfifo((tree / "fifo-\xff\n").c_str(), 0600);  // a problem record with a hostile name too
  const auto r = run_command({dijkctl(), "scan", "--json", "--set", set, tree.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  std::size_t hits = 0, problems = 0, summaries = 0;
  for (const auto& j : json_lines(r.out)) {
    if (j.contains("hash")) ++hits;
    if (j.contains("problem")) ++problems;
    if (j.contains("summary")) {
      ++summaries;
      for (const auto& [key, value] : j.at("problems").items())
        EXPECT_EQ(key.find(' '), std::string::npos) << "keys are snake_case: " << key;
    }
  }
  EXPECT_EQ(hits, kHostileNames.size()) << r.out;
  EXPECT_EQ(problems, 1u) << r.out;
  EXPECT_EQ(summaries, 1u) << r.out;
  // Valid UTF-8 names arrive unchanged; invalid bytes as U+FFFD (docs/formats.md).
  EXPECT_NE(r.out.find("fine-\xc3\xa9t\xc3\xa9"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad\xef\xbf\xbd\xef\xbf\xbd"), std::string::npos) << r.out;
}

TEST_F(HostileNames, HashJsonStaysValidJsonWithEveryName) {
  std::vector<std::string> argv{dijkctl(), "hash", "--json"};
  for (const auto& name : kHostileNames) argv.push_back((tree / name).string());
  argv.push_back((tree / "missing\xff").string());
  const auto r = run_command(argv);
  EXPECT_EQ(r.status, 2) << "one file is missing";
  const auto docs = json_lines(r.out);
  ASSERT_EQ(docs.size(), kHostileNames.size() + 1) << r.out;
  EXPECT_TRUE(docs.back().contains("error")) << r.out;
  EXPECT_EQ(docs.back().at("path"), (tree / "missing\xef\xbf\xbd").string());
}

TEST_F(HostileNames, TextOutputEscapesNamesSoNoneForgesALineOrReachesTheTerminal) {
  const auto r = run_command({dijkctl(), "scan", "--quiet", "--set", set, tree.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  std::istringstream in(r.out);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines)
    EXPECT_EQ(line.rfind("HIT " + tree.string() + "/", 0), 0u) << "a forged or broken line: " << line;
  EXPECT_EQ(lines, kHostileNames.size()) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "ESC reached the terminal";
  EXPECT_EQ(r.out.find("\xc2\x9b"), std::string::npos) << "C1 CSI reached the terminal";
  EXPECT_NE(r.out.find("/new\\nHIT forged"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/esc\\x1b[31mred"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/bad\\xff\\xfe:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/quote\"back\\\\slash:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/fine-\xc3\xa9t\xc3\xa9:"), std::string::npos) << "valid UTF-8 stays readable";

  const auto hash = run_command({dijkctl(), "hash", (tree / kHostileNames[2]).string()});
  EXPECT_EQ(hash.status, 0);
  EXPECT_EQ(hash.out.rfind(tree.string() + "/new\\nHIT forged: md5 0 list x\n  size", 0), 0u) << hash.out;
}

// A verb given --json answers in JSON even when it fails: one object with "error", the same exit code.
TEST(JsonFailures, AreJsonObjectsOnStdoutWithTheExitCodeUnchanged) {
  TempDir dir;
  auto r = run_command({dijkctl(), "scan", "--json", "--set", dir.file("no-such.set"), dir.path().string()});
  EXPECT_EQ(r.status, 2);
  auto docs = json_lines(r.out);
  ASSERT_EQ(docs.size(), 1u) << r.out;
  EXPECT_NE(docs[0].at("error").get<std::string>().find("no-such.set"), std::string::npos) << r.out;
  EXPECT_EQ(docs[0].at("exit"), 2);

  r = run_command({dijkctl(), "scan", "--json", "--set", dir.file("no-such.set")});  // no paths
  EXPECT_EQ(r.status, 64);
  docs = json_lines(r.out);
  ASSERT_EQ(docs.size(), 1u) << r.out;
  EXPECT_NE(docs[0].at("error").get<std::string>().find("no paths"), std::string::npos) << r.out;
  EXPECT_EQ(docs[0].at("exit"), 64);

  // No --set and no readable config: the error says both.
  r = run_command({dijkctl(), "scan", "--json", "--config", dir.file("no-such.toml"), dir.path().string()});
  EXPECT_EQ(r.status, 2);
  docs = json_lines(r.out);
  ASSERT_EQ(docs.size(), 1u) << r.out;
  EXPECT_NE(docs[0].at("error").get<std::string>().find("--set"), std::string::npos) << r.out;
}

// A file that shrinks while hashed: the digest would be of no state the file ever had (issue #13.14).
TEST(HashWhileWritten, AFileThatShrinksWhileReadIsRefusedNotHashed) {
  TempDir dir;
  const std::string path = std::filesystem::canonical(dir.path()).string() + "/growing-log";
  for (const bool json : {false, true}) {
    write_text(path, std::string(3 << 20, 'x'));  // three reads of dijkctl's 1 MiB buffer
    std::vector<std::string> argv{"/usr/bin/env",
                                  std::string("LD_PRELOAD=") + SHRINK_ON_READ,
                                  "DIJK_TEST_SHRINK_PATH=" + path,
                                  "ASAN_OPTIONS=verify_asan_link_order=0",
                                  dijkctl(),
                                  "hash"};
    if (json) argv.push_back("--json");
    argv.push_back(path);
    const auto r = run_command(argv);
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    EXPECT_EQ(r.out.find("md5"), std::string::npos) << "no digest of a partial read: " << r.out;
    EXPECT_NE((json ? r.out : r.err).find("changed while read"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(std::filesystem::file_size(path), (3u << 20) / 2) << "the shim did truncate it";
  }
}

}  // namespace
}  // namespace dijk::test
