// Safe publishing as a hotline engineer meets it: a retraction sticks through later publishes of the master
// set until it is undone, a publish that would empty a list is refused, --dry-run says exactly what would
// change, and `history` tells who did what and why.
#include <gtest/gtest.h>

#include <cstdio>

#include "control/feed/content.h"
#include "control/feed/files.h"
#include "control/feed/ledger.h"
#include "tests/integration/cli/cli_paths.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

std::string md5_hex(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%032x", i);
  return buf;
}

class HotlineLedgerCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto r = run({"keygen", "--keys", keys, "--feed-name", "demo"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), hotline());
    return run_command(args);
  }
  // A set file holding md5 hashes first..last in list `name`.
  std::string make_set(const std::string& file, int first, int last, const std::string& name = "A") {
    std::string text;
    for (int i = first; i <= last; ++i) text += md5_hex(i) + "\n";
    write_text(dir.file(file + ".txt"), text);
    const auto r = run({"import", "--name", name, "--out", dir.file(file), dir.file(file + ".txt")});
    EXPECT_EQ(r.status, 0) << r.err;
    return dir.file(file);
  }
  CommandResult publish(const std::string& set, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"publish", "--feed", feed, "--keys", keys, "--set", set, "--by", "ann"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  feed::Manifest manifest() {
    return feed::parse_manifest_file(feed::read_text_file(feed + "/manifest", 1 << 20)).manifest;
  }
  // Whether the published version's snapshot holds md5 hash `i`.
  bool published(int i) {
    const auto snapshot =
        feed::decode_snapshot(feed::read_file(feed + "/" + manifest().snapshot.name, 1 << 30));
    const auto d = feed::parse_digest_label(md5_hex(i));
    for (const auto& e : snapshot.exact[static_cast<std::size_t>(Algorithm::md5)]) {
      if (std::equal(e.bytes.begin(), e.bytes.begin() + 16, d->bytes.begin())) return true;
    }
    return false;
  }
  TempDir dir;
  std::string keys = dir.file("keys");
  std::string feed = dir.file("feed");
};

TEST_F(HotlineLedgerCli, RetractionSurvivesThreeLaterPublishesUntilUnretracted) {
  const auto set = make_set("master.set", 1, 100);
  ASSERT_EQ(publish(set).status, 0);
  auto r = run({"retract", "--feed", feed, "--keys", keys, "--reason", "stock photo", md5_hex(7)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(published(7));
  for (int i = 0; i < 3; ++i) {
    r = publish(set);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("1 retracted hashes held back"), std::string::npos) << r.out;
    EXPECT_FALSE(published(7)) << "publish " << i;
    EXPECT_TRUE(published(8));
  }
  EXPECT_EQ(manifest().version, 5u);
  r = run({"unretract", "--keys", keys, "--reason", "checked: it is listed rightly", md5_hex(7)});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(publish(set).status, 0);
  EXPECT_TRUE(published(7));
}

TEST_F(HotlineLedgerCli, RetractWarnsForAHashInNoListAndStillKeepsItOut) {
  ASSERT_EQ(publish(make_set("a.set", 1, 10)).status, 0);
  const auto r = run({"retract", "--feed", feed, "--keys", keys, "--reason", "r", md5_hex(500)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("warning: md5:" + md5_hex(500) + " is in no list of the current version"),
            std::string::npos)
      << r.err;
  // Added to the master set later, it stays out all the same.
  ASSERT_EQ(publish(make_set("b.set", 1, 10), {"--max-removal", "0"}).status, 0);
  ASSERT_EQ(publish(make_set("c.set", 1, 500)).status, 0);
  EXPECT_FALSE(published(500));
  EXPECT_TRUE(published(499));
}

TEST_F(HotlineLedgerCli, UnretractNeedsAReasonAndSaysWhenNothingWasRetracted) {
  EXPECT_EQ(run({"unretract", "--keys", keys, md5_hex(1)}).status, 64);
  const auto r = run({"unretract", "--keys", keys, "--reason", "x", md5_hex(1)});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("is not retracted; nothing to undo"), std::string::npos) << r.err;
}

TEST_F(HotlineLedgerCli, MassRemovalIsRefusedUnlessAllowed) {
  ASSERT_EQ(publish(make_set("full.set", 1, 100)).status, 0);
  const auto broken = make_set("broken.set", 1, 60);
  auto r = publish(broken);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(
      r.err.find("list `A` would lose 40 of its 100 hashes, more than --max-removal 10%; nothing published"),
      std::string::npos)
      << r.err;
  EXPECT_EQ(manifest().version, 1u);
  // Ten of a hundred is within the default share; forty is within an explicit 50%.
  r = publish(make_set("ninety.set", 1, 90));
  EXPECT_EQ(r.status, 0) << r.err;
  r = publish(broken, {"--max-removal", "50%"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = publish(make_set("tiny.set", 1, 2), {"--allow-mass-removal"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(manifest().version, 4u);
  EXPECT_EQ(publish(broken, {"--max-removal", "101"}).status, 64);
}

TEST_F(HotlineLedgerCli, DryRunOutputIsExactAndWritesNothing) {
  ASSERT_EQ(publish(make_set("v1.set", 1, 10)).status, 0);
  ASSERT_EQ(run({"retract", "--feed", feed, "--keys", keys, "--reason", "fp", md5_hex(3)}).status, 0);
  // The next set drops 10, adds 11 and 12 to A, and adds a new list B.
  std::string text;
  for (int i = 1; i <= 12; ++i) text += i == 10 ? "" : md5_hex(i) + "\n";
  write_text(dir.file("v2.txt"), text);
  write_text(dir.file("b.txt"), md5_hex(40) + "\n");
  ASSERT_EQ(
      run({"import", "--name", "A", "--category", "A1", "--out", dir.file("v2.set"), dir.file("v2.txt")})
          .status,
      0);
  ASSERT_EQ(run({"import", "--name", "B", "--base", dir.file("v2.set"), "--out", dir.file("v2.set"),
                 dir.file("b.txt")})
                .status,
            0);
  const auto r = publish(dir.file("v2.set"), {"--dry-run"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "dry run: version 3 would hold 11 hashes: +3 -1\n"
            "  list A (A1): 9 -> 10, +2 -1\n"
            "  list B: 0 -> 1, +1 -0\n"
            "  allow-list: +0 -0\n"
            "  held back (retracted in the ledger): 1\n"
            "nothing published\n");
  EXPECT_EQ(manifest().version, 2u);
}

TEST_F(HotlineLedgerCli, HistoryListsEachVersionAndRetractionWithItsReason) {
  const auto set = make_set("s.set", 1, 20);
  ASSERT_EQ(publish(set, {"--note", "first import"}).status, 0);
  ASSERT_EQ(
      run({"retract", "--feed", feed, "--keys", keys, "--by", "bob", "--reason", "stock\nphoto", md5_hex(2)})
          .status,
      0);
  ASSERT_EQ(run({"unretract", "--keys", keys, "--by", "cy", "--reason", "wrong call", md5_hex(2)}).status, 0);
  const auto r = run({"history", "--keys", keys});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto has = [&](const std::string& s) { return r.out.find(s) != std::string::npos; };
  EXPECT_TRUE(has("version 1 published by ann: 20 hashes, +20 -0; note: first import\n")) << r.out;
  // The reason is escaped: a newline in it cannot forge a history line.
  EXPECT_TRUE(has("retract by bob, 1 hashes: stock\\nphoto\n    md5:" + md5_hex(2) + "\n")) << r.out;
  EXPECT_TRUE(
      has("version 2 published by bob: 19 hashes, +0 -1, 1 held back; note: retract: stock\\nphoto\n"))
      << r.out;
  EXPECT_TRUE(has("unretract by cy, 1 hashes: wrong call\n")) << r.out;
  EXPECT_TRUE(has("0 hashes retracted now\n")) << r.out;
  EXPECT_TRUE(has("Z  version 1 published")) << r.out;  // ISO times
}

TEST_F(HotlineLedgerCli, DamagedLedgerLinesAreNamedAndTheRestStillHolds) {
  ASSERT_EQ(publish(make_set("s.set", 1, 20)).status, 0);
  ASSERT_EQ(run({"retract", "--feed", feed, "--keys", keys, "--reason", "r", md5_hex(5)}).status, 0);
  const std::string ledger = feed::read_text_file(keys + "/ledger", 1 << 20);
  write_text(keys + "/ledger",
             "garbage line\n" + ledger + "retract\ttime=1\thashes=md5:zz\n" + "publish\ttime=");
  auto r = run({"history", "--keys", keys});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/ledger:1: unknown record kind"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/ledger:5: bad hash in the hash list"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/ledger:6: incomplete last line"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("1 hashes retracted now"), std::string::npos) << r.out;
  // The next record starts on its own line, and the retraction still holds.
  ASSERT_EQ(publish(dir.file("s.set")).status, 0);
  EXPECT_FALSE(published(5));
  r = run({"history", "--keys", keys});
  EXPECT_NE(r.out.find("version 3 published"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace dijk::test
