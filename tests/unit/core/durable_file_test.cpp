#include "core/durable_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

namespace dijk {
namespace {

namespace fs = std::filesystem;

class DurableFileTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) / ("durable_file_" + std::to_string(::getpid()) + "_" +
                                           testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
};

TEST_F(DurableFileTest, ReplacesTheWholeFileWithTheGivenModeAndLeavesNothingElse) {
  const auto target = dir_ / "state";
  std::ofstream(target) << "an old and much longer content that must not survive in part";
  ::chmod(target.c_str(), 0644);

  write_file_durably(target, std::string_view("new"), 0600);

  EXPECT_EQ(read(target), "new");
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(names(), std::vector<std::string>{"state"});
}

TEST_F(DurableFileTest, WritesInPiecesAndCreatesAMissingFile) {
  const auto target = dir_ / "set.bin";
  DurableFile file(target, 0644);
  const std::uint8_t header[] = {1, 2, 3};
  file.write(std::span<const std::uint8_t>(header));
  file.write(std::string_view("body"));
  EXPECT_FALSE(fs::exists(target)) << "nothing is visible before commit";
  file.commit();
  EXPECT_EQ(read(target), std::string("\x01\x02\x03") + "body");
  EXPECT_EQ(names(), std::vector<std::string>{"set.bin"});
}

TEST_F(DurableFileTest, AnUncommittedWriteLeavesTheOldFileAndNoTemporaryFile) {
  const auto target = dir_ / "key.pem";
  std::ofstream(target) << "old";
  {
    DurableFile file(target, 0600);
    file.write(std::string_view("half of a new"));
  }  // an error between write and commit unwinds through here
  EXPECT_EQ(read(target), "old");
  EXPECT_EQ(names(), std::vector<std::string>{"key.pem"});
}

TEST_F(DurableFileTest, AFailedRenameThrowsNamingTheFileAndCleansUp) {
  const auto target = dir_ / "occupied";
  fs::create_directories(target / "child");  // rename(2) cannot replace a non-empty directory
  try {
    write_file_durably(target, std::string_view("x"), 0644);
    FAIL() << "expected a system_error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("occupied"), std::string::npos) << e.what();
  }
  EXPECT_EQ(names(), std::vector<std::string>{"occupied"});
}

TEST_F(DurableFileTest, AMissingDirectoryThrowsNamingIt) {
  const auto target = dir_ / "no-such-dir" / "file";
  try {
    write_file_durably(target, std::string_view("x"), 0644);
    FAIL() << "expected a system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("no-such-dir"), std::string::npos) << e.what();
  }
}

TEST_F(DurableFileTest, ExistingModeOrKeepsTheFilesBitsOrGivesTheFallback) {
  const auto target = dir_ / "config.toml";
  EXPECT_EQ(existing_mode_or(target, 0644), 0644u);
  std::ofstream(target) << "x";
  ::chmod(target.c_str(), 0640);
  EXPECT_EQ(existing_mode_or(target, 0644), 0640u);
}

TEST_F(DurableFileTest, RenameDurablyReplacesTheTargetAndFailsNamingBoth) {
  std::ofstream(dir_ / "next.set") << "new";
  std::ofstream(dir_ / "current.set") << "old";
  rename_durably(dir_ / "next.set", dir_ / "current.set");
  EXPECT_EQ(read(dir_ / "current.set"), "new");
  EXPECT_EQ(names(), std::vector<std::string>{"current.set"});
  try {
    rename_durably(dir_ / "next.set", dir_ / "current.set");
    FAIL() << "expected a system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("next.set"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(dir_ / "current.set"), "new");
}

TEST_F(DurableFileTest, LinkDurablyReplacesTheNameWithALinkAndKeepsTheOriginal) {
  std::ofstream(dir_ / "current.set") << "serving";
  std::ofstream(dir_ / "previous.set") << "older";
  std::ofstream(dir_ / "previous.set.tmp") << "litter of a crash";
  link_durably(dir_ / "current.set", dir_ / "previous.set");
  EXPECT_EQ(read(dir_ / "previous.set"), "serving");
  EXPECT_TRUE(fs::equivalent(dir_ / "current.set", dir_ / "previous.set")) << "one file, two names";
  EXPECT_EQ(names(), (std::vector<std::string>{"current.set", "previous.set"}));
}

TEST_F(DurableFileTest, ExchangeDurablySwapsTwoNames) {
  std::ofstream(dir_ / "current.set") << "bad";
  std::ofstream(dir_ / "previous.set") << "good";
  exchange_durably(dir_ / "previous.set", dir_ / "current.set");
  EXPECT_EQ(read(dir_ / "current.set"), "good");
  EXPECT_EQ(read(dir_ / "previous.set"), "bad");
  EXPECT_THROW(exchange_durably(dir_ / "missing", dir_ / "current.set"), std::system_error);
  EXPECT_EQ(read(dir_ / "current.set"), "good");
}

TEST_F(DurableFileTest, AppendedLinesEndTornOnesAndKeepTheMode) {
  const fs::path log = dir_ / "audit.log";
  append_line_durably(log, "one", 0600);
  append_line_durably(log, "two\n", 0600);
  EXPECT_EQ(read(log), "one\ntwo\n");
  EXPECT_EQ(fs::status(log).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  {
    std::ofstream torn(log, std::ios::app);  // a crash mid-line
    torn << "thr";
  }
  append_line_durably(log, "four", 0600);
  EXPECT_EQ(read(log), "one\ntwo\nthr\nfour\n");
}

TEST_F(DurableFileTest, AppendToAnUnwritablePathThrowsNamingIt) {
  try {
    append_line_durably(dir_ / "missing" / "x.log", "line", 0600);
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing/x.log"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dijk
