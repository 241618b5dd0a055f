// The retraction ledger's text form: records round-trip with any bytes in who and why, hostile or damaged
// lines are named and skipped without hiding the rest, and the retracted set follows retract/unretract.
#include "control/feed/ledger.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace dijk::feed {
namespace {

Digest md5(std::uint8_t last) {
  Digest d;
  d.algorithm = Algorithm::md5;
  d.bytes[15] = last;
  return d;
}

LedgerRecord retraction(LedgerKind kind, std::vector<Digest> hashes, std::string note) {
  LedgerRecord r;
  r.kind = kind;
  r.time = 1'800'000'000;
  r.by = "ann";
  r.note = std::move(note);
  r.hashes = std::move(hashes);
  return r;
}

TEST(Ledger, RecordsRoundTripWithAnyBytesInTheirText) {
  LedgerRecord r = retraction(LedgerKind::retract, {md5(1), md5(2)}, "a\tb\nc%d\r\x01\xff");
  r.by = "eve\nretract\ttime=1";
  const std::string line = render_ledger_record(r);
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, whatever the note holds
  const auto parsed = parse_ledger(line);
  ASSERT_EQ(parsed.records.size(), 1u);
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.records[0].note, r.note);
  EXPECT_EQ(parsed.records[0].by, r.by);
  ASSERT_EQ(parsed.records[0].hashes.size(), 2u);
  EXPECT_EQ(parsed.records[0].hashes[1].bytes[15], 2);

  LedgerRecord p;
  p.kind = LedgerKind::publish;
  p.time = 5;
  p.version = 7;
  p.total = 100;
  p.added = 3;
  p.removed = 1;
  p.held = 2;
  const auto q = parse_ledger(render_ledger_record(p)).records.at(0);
  EXPECT_EQ(q.version, 7u);
  EXPECT_EQ(q.total, 100u);
  EXPECT_EQ(q.added, 3u);
  EXPECT_EQ(q.removed, 1u);
  EXPECT_EQ(q.held, 2u);
}

TEST(Ledger, HostileLinesAreNamedAndSkipped) {
  const std::string good = render_ledger_record(retraction(LedgerKind::retract, {md5(9)}, "ok"));
  const std::string text =
      "retract\n"                                   // 1: no time, no hashes
      "bogus\ttime=1\n"                             // 2
      "retract\ttime=1\tnote=%G0\thashes=md5:00\n"  // 3: bad escape
      "retract\ttime=1\thashes=md5:" +
      std::string(32, 'z') + "\n" +    // 4: bad hash
      "publish\ttime=1\tversion=-1\n"  // 5: not a number
      "retract\ttime=99999999999999999999\thashes=md5:" +
      std::string(32, '0') + "\n" +                                           // 6: out of range
      "publish\ttime=1\tnote\n" +                                             // 7: field without '='
      "retract\ttime=1\tnote=%\thashes=md5:" + std::string(32, '0') + "\n" +  // 8: cut escape
      good +                                                                  // 9
      "retract\ttime=1\thashes=md5:" + std::string(32, '0');                  // 10: torn
  const auto parsed = parse_ledger(text);
  ASSERT_EQ(parsed.records.size(), 1u);
  EXPECT_EQ(parsed.records[0].note, "ok");
  std::vector<std::uint64_t> lines;
  for (const auto& p : parsed.problems) lines.push_back(p.line);
  EXPECT_EQ(lines, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 10}));
  EXPECT_EQ(parsed.problems.back().reason, "incomplete last line (torn write), ignored");
}

TEST(Ledger, CapsBoundWhatAHostileLedgerCanMakeItHold) {
  LedgerLimits limits;
  limits.max_hashes_per_record = 2;
  limits.max_text_bytes = 8;
  limits.max_line_bytes = 400;
  const auto too_many = render_ledger_record(retraction(LedgerKind::retract, {md5(1), md5(2), md5(3)}, ""));
  const auto long_note = render_ledger_record(retraction(LedgerKind::retract, {md5(1)}, std::string(9, 'x')));
  const auto long_line = render_ledger_record(retraction(LedgerKind::retract, {md5(1)}, "")).substr(0, 10) +
                         std::string(500, 'x') + "\n";
  const auto parsed = parse_ledger(too_many + long_note + long_line, limits);
  EXPECT_TRUE(parsed.records.empty());
  ASSERT_EQ(parsed.problems.size(), 3u);
  EXPECT_EQ(parsed.problems[0].reason, "more hashes than the cap");
  EXPECT_EQ(parsed.problems[1].reason, "note longer than the cap");
  EXPECT_EQ(parsed.problems[2].reason, "line longer than the cap");
}

TEST(Ledger, RetractedSetFollowsRetractAndUnretractInOrder) {
  const std::vector<LedgerRecord> records{
      retraction(LedgerKind::retract, {md5(1), md5(2)}, "first"),
      retraction(LedgerKind::unretract, {md5(1)}, "wrong"),
      retraction(LedgerKind::retract, {md5(3)}, "second"),
      retraction(LedgerKind::retract, {md5(2)}, "again"),
  };
  const RetractedSet set(records);
  EXPECT_EQ(set.size(), 2u);
  EXPECT_FALSE(set.contains(md5(1)));
  ASSERT_NE(set.retraction(md5(2)), nullptr);
  EXPECT_EQ(set.retraction(md5(2))->note, "again");  // the latest reason
  EXPECT_TRUE(set.contains(md5(3)));
  Digest sha1 = md5(3);
  sha1.algorithm = Algorithm::sha1;  // same bytes, other algorithm: another hash
  EXPECT_FALSE(set.contains(sha1));
}

TEST(Ledger, AppendClosesATornLineAndKeepsEarlierRecords) {
  test::TempDir dir;
  const Ledger ledger(dir.path().string());
  ledger.append(retraction(LedgerKind::retract, {md5(1)}, "one"));
  {
    std::FILE* f = std::fopen(ledger.path().c_str(), "a");
    std::fputs("retract\ttime=3\thashes=md5:", f);  // a crash mid-append
    std::fclose(f);
  }
  ledger.append(retraction(LedgerKind::retract, {md5(2)}, "two"));
  const auto parsed = ledger.read();
  ASSERT_EQ(parsed.records.size(), 2u);
  EXPECT_EQ(parsed.records[1].note, "two");
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_EQ(parsed.problems[0].line, 2u);
}

TEST(Ledger, DigestLabelsTakeTheAlgorithmOrTheLength) {
  EXPECT_EQ(parse_digest_label("md5:" + std::string(32, '0'))->algorithm, Algorithm::md5);
  EXPECT_EQ(parse_digest_label(std::string(40, 'a'))->algorithm, Algorithm::sha1);
  EXPECT_FALSE(parse_digest_label("sha1:" + std::string(32, '0')));
  EXPECT_FALSE(parse_digest_label("pdq:" + std::string(64, '0')));
  EXPECT_FALSE(parse_digest_label(""));
  EXPECT_EQ(digest_label(md5(0xab)), "md5:" + std::string(30, '0') + "ab");
}

}  // namespace
}  // namespace dijk::feed
