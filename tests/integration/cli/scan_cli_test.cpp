// dijkctl scan and hash as a hosting provider runs them over a real tree of files.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "control/journal/journal_reader.h"
#include "hashcore/digest/multibuffer/lane_isa.h"
#include "tests/integration/cli/cli_paths.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

const std::string kAbcMd5 = "900150983cd24fb0d6963f7d28e17f72";

// A tree of files of many sizes (0 bytes, under and over the read chunk), some listed, one allow-listed.
class ScanCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir.path() / "tree/a/b");
    std::mt19937 rng(9);
    std::string listed, allowed;
    for (int i = 0; i < 120; ++i) {
      const std::size_t size = i == 0 ? 0 : (i % 7 == 0 ? 700000 + rng() % 300000 : rng() % 5000);
      std::string bytes(size, '\0');
      for (auto& c : bytes) c = static_cast<char>(rng());
      const std::string path = (dir.path() /
                                (i % 3 == 0   ? "tree"
                                 : i % 3 == 1 ? "tree/a"
                                              : "tree/a/b") /
                                ("f" + std::to_string(i)))
                                   .string();
      write_text(path, bytes);
      if (i % 10 == 3) {
        listed += md5_of(path) + "\n";
        expected_hits.insert(path);
      }
      if (i == 13) allowed = md5_of(path) + "\n";
    }
    expected_hits.erase((dir.path() / "tree/a/f13").string());
    write_text(dir.file("list.txt"), listed);
    write_text(dir.file("allow.txt"), allowed);
    const auto r = run_command({hotline(), "import", "--name", "t", "--allow", dir.file("allow.txt"), "--out",
                                set, dir.file("list.txt")});
    ASSERT_EQ(r.status, 0) << r.err;
  }

  static std::string md5_of(const std::string& path) {
    const auto r = run_command({dijkctl(), "hash", "--json", path});
    const auto at = r.out.find("\"md5\":\"");
    return r.out.substr(at + 7, 32);
  }

  std::set<std::string> hit_paths(const std::string& json_out) {
    std::set<std::string> out;
    for (const auto& line : lines_with(json_out, "\"hash\":")) {
      const auto at = line.find("\"path\":\"") + 8;
      out.insert(line.substr(at, line.find('"', at) - at));
    }
    return out;
  }

  TempDir dir;
  std::string set = dir.file("t.set");
  std::set<std::string> expected_hits;
};

TEST_F(ScanCli, ReportsExactlyTheListedFilesWithIoUringAndWithPread) {
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, {"--no-uring"}, {"--threads", "1", "--in-flight", "1"}}) {
    std::vector<std::string> argv{dijkctl(), "scan", "--json", "--set", set};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(dir.file("tree"));
    const auto r = run_command(argv);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(hit_paths(r.out), expected_hits);
    EXPECT_NE(r.out.find("\"files\":120,"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"allow_listed\":1,"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"errors\":0,"), std::string::npos) << r.out;
  }
}

// The lanes hash MD5 of many files at once; each choice finds the same files, and the summary says which
// hashed. A CPU without AVX-512 gets the widest it has; io_uring refused here means pread, without lanes.
TEST_F(ScanCli, EveryLaneChoiceFindsTheSameFilesAndTheSummaryNamesIt) {
  for (const std::string lanes : {"off", "avx2", "avx512", "auto"}) {
    const auto r =
        run_command({dijkctl(), "scan", "--json", "--set", set, "--lanes", lanes, dir.file("tree")});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(hit_paths(r.out), expected_hits) << lanes;
    const auto summary = lines_with(r.out, "\"summary\":\"scan\"");
    ASSERT_EQ(summary.size(), 1u) << r.out;
    if (summary[0].find("\"reader\":\"io_uring") == std::string::npos) continue;
    // What this CPU gives for the choice: never wider than it has (no AVX2: none at all).
    const auto isa = digest_lanes::lane_isa_for_setting(lanes);
    if (isa == digest_lanes::LaneIsa::none)
      EXPECT_EQ(summary[0].find("lanes"), std::string::npos) << summary[0];
    else
      EXPECT_NE(summary[0].find("MD5 in " + std::string(digest_lanes::lane_isa_name(isa)) + " lanes"),
                std::string::npos)
          << summary[0];
  }
  const auto bad = run_command({dijkctl(), "scan", "--set", set, "--lanes", "sse", dir.file("tree")});
  EXPECT_EQ(bad.status, 64) << bad.err;
  EXPECT_NE(bad.err.find("--lanes must be auto, off, avx2 or avx512"), std::string::npos) << bad.err;
}

TEST_F(ScanCli, HitLinesCarryTheDocumentedKeys) {
  const auto r = run_command({dijkctl(), "scan", "--json", "--set", set, dir.file("tree/f3")});
  ASSERT_EQ(r.status, 1);
  const auto lines = lines_with(r.out, "\"path\":");
  ASSERT_EQ(lines.size(), 1u);
  for (const char* key : {"\"path\":", "\"size\":", "\"algorithm\":\"md5\"", "\"hash\":", "\"list\":\"t\""}) {
    EXPECT_NE(lines[0].find(key), std::string::npos) << key << " in " << lines[0];
  }
}

TEST_F(ScanCli, NoHitsExitsZero) {
  write_text(dir.file("clean"), "nothing listed here");
  const auto r = run_command({dijkctl(), "scan", "--set", set, dir.file("clean")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("Files scanned:   1"), std::string::npos) << r.err;
}

TEST_F(ScanCli, BrokenLinksLoopsAndSpecialFilesAreNamedAndCountedNeverFatal) {
  const auto tree = dir.path() / "tree";
  std::filesystem::create_symlink("nowhere", tree / "dangling");
  std::filesystem::create_directory_symlink("..", tree / "a/up");
  std::filesystem::create_symlink("self", tree / "self");  // ELOOP
  ASSERT_EQ(::mkfifo((tree / "fifo").c_str(), 0600), 0);
  const auto r = run_command({dijkctl(), "scan", "--json", "--set", set, tree.string()});
  EXPECT_EQ(r.status, 1) << "hits still win over errors";
  EXPECT_EQ(hit_paths(r.out), expected_hits);
  // With --json each problem is a JSON record on stdout, and the summary's keys are snake_case.
  std::multiset<std::string> problems;
  for (const auto& line : lines_with(r.out, "\"problem\":")) {
    const auto j = nlohmann::json::parse(line);
    const std::string path = j.at("path");
    EXPECT_FALSE(j.at("detail").get<std::string>().empty()) << line;
    problems.insert(path.substr(path.rfind('/') + 1) + " " + j.at("problem").get<std::string>() +
                    (j.at("error").get<bool>() ? " error" : ""));
  }
  EXPECT_EQ(problems, (std::multiset<std::string>{"dangling vanished error", "up symlink_loop error",
                                                  "self symlink_loop error", "fifo special_file"}))
      << r.out;
  EXPECT_NE(r.out.find("\"vanished\":1,\"symlink_loop\":2,\"special_file\":1"), std::string::npos) << r.out;
  // Without --json they are named on stderr, for people.
  const auto text = run_command({dijkctl(), "scan", "--set", set, tree.string()});
  EXPECT_NE(text.err.find("dangling: vanished (dangling symbolic link)"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("a/up: symlink loop"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("self: symlink loop"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("fifo: special file (fifo)"), std::string::npos) << text.err;
}

TEST_F(ScanCli, ErrorsWithoutHitsExitTwo) {
  const auto r = run_command({dijkctl(), "scan", "--set", set, dir.file("does-not-exist")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("does-not-exist: vanished"), std::string::npos) << r.err;
}

TEST_F(ScanCli, UnreadableFileIsNamedWhenNotRoot) {
  if (::geteuid() == 0 && ::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "root without setpriv";
  write_text(dir.file("secret"), "abc");
  ::chmod(dir.file("secret").c_str(), 0);
  ::chmod(dir.path().c_str(), 0755);
  ::chmod(set.c_str(), 0644);
  std::vector<std::string> argv{dijkctl(), "scan", "--set", set, dir.file("secret")};
  if (::geteuid() == 0)
    argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  const auto r = run_command(argv);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("secret: unreadable (Permission denied)"), std::string::npos) << r.err;
}

TEST_F(ScanCli, CorruptSetFilesAreRefusedWithAClearMessage) {
  std::string bytes = read_text(set);
  write_text(dir.file("truncated.set"), bytes.substr(0, bytes.size() - 10));
  bytes[bytes.size() - 1] = static_cast<char>(bytes.back() ^ 1);
  write_text(dir.file("flipped.set"), bytes);
  auto r = run_command({dijkctl(), "scan", "--set", dir.file("truncated.set"), dir.file("tree")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("truncated or extended"), std::string::npos) << r.err;
  r = run_command({dijkctl(), "scan", "--set", dir.file("flipped.set"), dir.file("tree")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("content checksum mismatch"), std::string::npos) << r.err;
}

TEST_F(ScanCli, ExcludedDirectoriesAreNotEnteredAndIncludeKeepsOnlyMatchingFiles) {
  // Excluding "b" prunes tree/a/b whole (it is a directory name), so its listed files are not reported.
  auto r = run_command({dijkctl(), "scan", "--json", "--set", set, "--exclude", "b", dir.file("tree")});
  std::set<std::string> outside_b;
  for (const auto& p : expected_hits)
    if (p.find("/tree/a/b/") == std::string::npos) outside_b.insert(p);
  ASSERT_LT(outside_b.size(), expected_hits.size());
  EXPECT_EQ(hit_paths(r.out), outside_b);
  auto summary = nlohmann::json::parse(lines_with(r.out, "\"summary\":").at(0));
  EXPECT_EQ(summary.at("files"), 80) << "40 files live in tree/a/b";
  EXPECT_EQ(summary.at("excluded"), 1) << "one directory pruned, not its 40 files one by one";
  // --include takes files by name; a pattern with a slash matches the whole path.
  r = run_command({dijkctl(), "scan", "--json", "--set", set, "--include", "f3", "--include", "*/a/f13",
                   dir.file("tree")});
  summary = nlohmann::json::parse(lines_with(r.out, "\"summary\":").at(0));
  EXPECT_EQ(summary.at("files"), 2);
  EXPECT_EQ(hit_paths(r.out), (std::set<std::string>{dir.file("tree/f3")})) << "f13 is allow-listed";
  EXPECT_EQ(summary.at("excluded"), 118);
}

TEST_F(ScanCli, PathsComeFromAListFileOrStdinAndRepeatsAreWalkedOnce) {
  write_text(dir.file("list"),
             dir.file("tree/f3") + "\n\n" + dir.file("tree/a") + "\n" + dir.file("tree/f3") + "\n");
  auto r = run_command(
      {dijkctl(), "scan", "--json", "--set", set, "--files-from", dir.file("list"), dir.file("tree/a")});
  auto summary = nlohmann::json::parse(lines_with(r.out, "\"summary\":").at(0));
  EXPECT_EQ(summary.at("files"), 81) << "tree/a (80 files) and f3, each once";
  EXPECT_EQ(summary.at("errors"), 0) << "a path named twice is no symlink loop: " << r.out;
  EXPECT_EQ(lines_with(r.out, "\"problem\":").size(), 0u) << r.out;
  std::set<std::string> want{dir.file("tree/f3")};
  for (const auto& p : expected_hits)
    if (p.find("/tree/a/") != std::string::npos) want.insert(p);
  EXPECT_EQ(hit_paths(r.out), want);
  // The same from stdin.
  r = run_command(
      {"/bin/sh", "-c", dijkctl() + " scan --json --set " + set + " --files-from - < " + dir.file("list")});
  summary = nlohmann::json::parse(lines_with(r.out, "\"summary\":").at(0));
  EXPECT_EQ(summary.at("files"), 81) << r.err;
  r = run_command({dijkctl(), "scan", "--set", set, "--files-from", dir.file("missing-list")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
}

TEST_F(ScanCli, ReportJournalsEveryHitWithOwnerAndMtimeForTheReporter) {
  const std::string config = dir.file("dijk.toml");
  write_text(config, "appliance_id = \"scan-test\"\n[paths]\nset = \"" + set + "\"\nstate = \"" +
                         dir.file("state") + "\"\njournal = \"" + dir.file("journal-wire") +
                         "\"\n[[reporting.journals]]\nname = \"scan\"\ndir = \"" + dir.file("journal-scan") +
                         "\"\n");
  // No --set: the config's paths.set is the set.
  auto r = run_command({dijkctl(), "scan", "--json", "--config", config, "--report", dir.file("tree")});
  ASSERT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_EQ(hit_paths(r.out), expected_hits);
  std::set<std::string> journalled;
  journal::JournalReader reader(dir.file("journal-scan"));
  while (auto e = reader.next()) {
    EXPECT_EQ(e->record.appliance_id, "scan-test");
    EXPECT_EQ(e->record.hit.source, HitSource::file);
    ASSERT_TRUE(e->record.hit.file_stat);
    struct stat st {};
    ASSERT_EQ(::stat(e->record.hit.path.c_str(), &st), 0);
    EXPECT_EQ(e->record.hit.file_stat->owner_uid, st.st_uid);
    EXPECT_EQ(e->record.hit.file_stat->mtime_ns,
              std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec);
    journalled.insert(e->record.hit.path);
  }
  EXPECT_EQ(journalled, expected_hits);
  // No such journal in the config: refused before scanning, saying what to add.
  r = run_command(
      {dijkctl(), "scan", "--config", config, "--report", "--journal", "spool", dir.file("tree")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("[[reporting.journals]]"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// The config's hashing.pdq_max_distance is the radius a scan matches PDQ at, as in the daemons (the scan
// used the published 31 whatever the config said): a shrunk copy of a listed photo, 16 bits away in the
// reference hashes (tests/data/pdq/expected.csv), is a hit at 31 and none at 8.
TEST(ScanCliPdq, TheConfigsPdqRadiusDecides) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "tree");
  std::filesystem::copy_file(
      std::string(DIJK_SOURCE_DIR) + "/tests/data/pdq/images/bridge-mods__shrink-a-lot.jpg",
      dir.file("tree/upload.jpg"));
  write_text(dir.file("orig.pdq"), "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n");
  const std::string set = dir.file("p.set");
  const auto imported = run_command({hotline(), "import", "--name", "p", "--out", set, dir.file("orig.pdq")});
  ASSERT_EQ(imported.status, 0) << imported.err;
  const auto scan_at = [&](int radius) {
    const std::string config = dir.file("dijk-" + std::to_string(radius) + ".toml");
    write_text(config, "[paths]\nset = \"" + set +
                           "\"\n[hashing]\npdq_max_distance = " + std::to_string(radius) + "\n");
    return run_command({dijkctl(), "scan", "--json", "--config", config, dir.file("tree")});
  };
  auto r = scan_at(31);
  EXPECT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_EQ(lines_with(r.out, "\"hash\":").size(), 1u) << r.out;
  r = scan_at(8);
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_TRUE(lines_with(r.out, "\"hash\":").empty()) << r.out;
}

TEST(HashCli, PrintsSizeTypeAndAllDigests) {
  TempDir dir;
  write_text(dir.file("abc"), "abc");
  const auto r = run_command({dijkctl(), "hash", "--json", dir.file("abc")});
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "{\"path\":\"" + dir.file("abc") + "\",\"size\":3,\"type\":\"unknown\",\"md5\":\"" +
                       kAbcMd5 +
                       "\",\"sha1\":\"a9993e364706816aba3e25717850c26c9cd0d89d\",\"sha256\":"
                       "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}\n");
  const auto missing = run_command({dijkctl(), "hash", dir.file("nope")});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace dijk::test
