// The reporter's reading of inbox answers (which refusals quarantine hits) and the quarantine's files.
#include "control/reporter/quarantine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "control/reporter/refusal.h"
#include "tests/unit/journal/journal_test_dir.h"

namespace dijk::reporter {
namespace {

using nlohmann::json;

TEST(RefusalClassification, OnlyClientErrorsButTimeoutAndTooManyRequestsAreForGood) {
  EXPECT_EQ(classify_status(200), Verdict::stored);
  for (long s : {400L, 401L, 403L, 404L, 409L, 413L, 422L, 451L, 499L}) {
    EXPECT_EQ(classify_status(s), Verdict::refused) << s;
  }
  // No answer, a timeout, throttling, server trouble, or anything unexpected: resend later.
  for (long s : {0L, 408L, 429L, 500L, 502L, 503L, 504L, 201L, 204L, 301L, 302L, 399L, 500L, 599L, 600L}) {
    EXPECT_EQ(classify_status(s), Verdict::transient) << s;
  }
}

TEST(RefusalReason, TakesTheInboxsErrorTextAndKeepsItShortAndPrintable) {
  EXPECT_EQ(refusal_reason(R"({"error":"hit from appliance 'x' on another's certificate"})"),
            "hit from appliance 'x' on another's certificate");
  EXPECT_EQ(refusal_reason("plain text"), "plain text");
  EXPECT_EQ(refusal_reason(""), "(no reason given)");
  // Hostile bodies: binary, invalid UTF-8, megabytes, JSON whose error is not a string.
  std::string binary = "\x01\xff\xfe\n\r\x7f\"\\";
  const auto r = refusal_reason(binary);
  for (char c : r) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);
  EXPECT_LE(refusal_reason(std::string(5'000'000, 'a')).size(), kMaxReasonBytes);
  EXPECT_LE(refusal_reason(R"({"error":")" + std::string(10'000, 'b') + R"("})").size(), kMaxReasonBytes);
  EXPECT_EQ(refusal_reason(R"({"error":42})"), R"({"error":42})");
  // Whatever the body, the reason goes into JSON (status, dijkctl --json) without an exception.
  const json with_reason{{"reason", refusal_reason("\xc3\x28 bad utf-8")}};
  EXPECT_NO_THROW(with_reason.dump());
}

QuarantinedHit sample(std::uint64_t id) {
  QuarantinedHit q;
  q.id = id;
  q.key = "appliance-1:" + std::to_string(id);
  q.status = 403;
  q.reason = "forbidden";
  q.quarantined_unix = q.last_refused_unix = 1'700'000'000;
  q.hit = json{{"key", q.key}, {"hash", "ab"}, {"filename", "\xff\xfe raw bytes"}};
  return q;
}

TEST(QuarantineStore, KeepsRefusedHitsDurablyAndSurvivesAReopen) {
  journal::testing::TempDir tmp;
  const auto dir = tmp.path() / "q";
  {
    QuarantineStore store(dir);
    EXPECT_EQ(store.size(), 0u);
    store.add(sample(900));
    store.add(sample(40));
  }
  QuarantineStore store(dir);  // as after a restart
  const auto listed = store.list();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, 40u);  // by id
  EXPECT_EQ(listed[1].key, "appliance-1:900");
  EXPECT_EQ(listed[1].status, 403);
  EXPECT_EQ(listed[1].reason, "forbidden");
  EXPECT_EQ(listed[1].hit["hash"], "ab");
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(e.path().extension(), ".json") << "no temporary left behind: " << e.path();
  }
  // Raw bytes in the hit do not break the file or the JSON made from it.
  EXPECT_NO_THROW(to_json(listed[0]).dump());
}

TEST(QuarantineStore, RetryMarksAndTheOutcomeDecidesWhetherTheHitStays) {
  journal::testing::TempDir tmp;
  QuarantineStore store(tmp.path() / "q");
  store.add(sample(1));
  store.add(sample(2));
  EXPECT_EQ(store.request_retry(7), 0u);  // unknown id
  EXPECT_TRUE(store.pending_retries().empty());
  EXPECT_EQ(store.request_retry(1), 1u);
  ASSERT_EQ(store.pending_retries().size(), 1u);
  store.refused_again(1, 422, "still no", 1'700'000'100);
  auto listed = store.list();
  EXPECT_EQ(listed[0].refusals, 2u);
  EXPECT_EQ(listed[0].status, 422);
  EXPECT_EQ(listed[0].reason, "still no");
  EXPECT_FALSE(listed[0].retry_requested);
  EXPECT_EQ(store.request_retry(std::nullopt), 2u);
  store.delivered(2, 1'700'000'200);
  EXPECT_EQ(store.size(), 1u);
  // A hit dropped while its resend was under way is not brought back by the outcome.
  store.refused_again(2, 403, "late", 1'700'000'300);
  EXPECT_EQ(store.size(), 1u);
  std::ifstream audit(store.audit_log());
  std::string line;
  ASSERT_TRUE(std::getline(audit, line));
  const auto entry = json::parse(line);
  EXPECT_EQ(entry["action"], "delivered");
  EXPECT_EQ(entry["id"], 2);
}

TEST(QuarantineStore, DropRemovesIntoTheAuditLogWithTheReason) {
  journal::testing::TempDir tmp;
  QuarantineStore store(tmp.path() / "q");
  for (std::uint64_t id : {5u, 6u, 7u}) store.add(sample(id));
  EXPECT_EQ(store.drop(99, "nothing", 1), 0u);
  EXPECT_EQ(store.drop(6, "wrong appliance id, reissued", 1'700'000'500), 1u);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.drop(std::nullopt, "end of case", 1'700'000'600), 2u);
  EXPECT_EQ(store.size(), 0u);
  std::ifstream audit(store.audit_log());
  std::vector<json> lines;
  for (std::string line; std::getline(audit, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["id"], 6);
  EXPECT_EQ(lines[0]["action"], "dropped");
  EXPECT_EQ(lines[0]["why"], "wrong appliance id, reissued");
  EXPECT_EQ(lines[0]["reason"], "forbidden");  // the inbox's reason stays beside the admin's
  EXPECT_EQ(lines[0]["hit"]["hash"], "ab");    // the evidence itself is in the log
  EXPECT_EQ(lines[0]["at_unix"], 1'700'000'500);
}

TEST(QuarantineStore, AnUnreadableFileIsListedNotHidden) {
  journal::testing::TempDir tmp;
  QuarantineStore store(tmp.path() / "q");
  std::ofstream(tmp.path() / "q" / "12.json") << "{ not json";
  std::ofstream(tmp.path() / "q" / "notes.txt") << "ignored";
  const auto listed = store.list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, 12u);
  EXPECT_NE(listed[0].reason.find("unreadable"), std::string::npos);
  EXPECT_EQ(store.request_retry(12), 0u);  // nothing to resend
  EXPECT_EQ(store.drop(12, "corrupt", 1), 1u);
  EXPECT_EQ(store.size(), 0u);
}

}  // namespace
}  // namespace dijk::reporter
