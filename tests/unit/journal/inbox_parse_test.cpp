#include <gtest/gtest.h>

#include "apps/dijk-hotline/inbox/http_request.h"
#include "apps/dijk-hotline/inbox/report_parse.h"
#include "apps/dijk-hotline/inbox/sqlite_inbox_store.h"
#include "tests/unit/journal/journal_test_dir.h"

namespace dijk::inbox {
namespace {

TEST(InboxHttpHead, ParsesAReporterRequest) {
  const auto p = parse_request_head(
      "POST /v1/hits HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nContent-Type: application/json\r\n"
      "Content-Length: 42\r\n\r\n");
  ASSERT_EQ(p.status, 0) << p.reason;
  EXPECT_EQ(p.head.method, "POST");
  EXPECT_EQ(p.head.target, "/v1/hits");
  EXPECT_EQ(p.head.content_length, 42u);
  EXPECT_FALSE(p.head.close);
}

TEST(InboxHttpHead, HostileHeadsGetClearErrors) {
  const std::pair<std::string, int> cases[] = {
      {"GARBAGE\r\n\r\n", 400},
      {"POST /v1/hits HTTP/2.0\r\n\r\n", 505},
      {"POST v1/hits HTTP/1.1\r\n\r\n", 400},
      {"POST /v1/hits HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST /v1/hits HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
      {"POST /v1/hits HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"POST /v1/hits HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n", 413},
      {"POST /v1/hits HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
      {"POST /v1/hits HTTP/1.1\r\nNoColon\r\n\r\n", 400},
      {"POST /v1/hits HTTP/1.1\r\nBad Name: x\r\n\r\n", 400},
      {"POST /" + std::string(5000, 'a') + " HTTP/1.1\r\n\r\n", 414},
      {"POST /v1/hits HTTP/1.1\r\n" + std::string(100, 'x') + "\r\n", 400},
  };
  for (const auto& [head, status] : cases)
    EXPECT_EQ(parse_request_head(head).status, status) << head.substr(0, 60);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
  EXPECT_EQ(parse_request_head(many + "\r\n").status, 431);
  EXPECT_TRUE(parse_request_head("GET /v1/health HTTP/1.0\r\n\r\n").head.close);
  EXPECT_TRUE(parse_request_head("GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n").head.close);
}

std::string hit(const std::string& appliance, std::uint64_t pos) {
  return R"({"key":")" + appliance + ":" + std::to_string(pos) + R"(","appliance":")" + appliance +
         R"(","position":)" + std::to_string(pos) +
         R"(,"time_ns":5,"algorithm":"sha256","hash":"ab12","list":"l"})";
}

TEST(InboxReportParse, AcceptsAValidReportAndRejectsOthersHits) {
  const std::string body = R"({"format":"dijk-hits/1","hits":[)" + hit("a1", 0) + "," + hit("a1", 90) + "]}";
  const auto r = parse_report(body, "a1");
  ASSERT_EQ(r.status, 0) << r.reason;
  ASSERT_EQ(r.hits.size(), 2u);
  EXPECT_EQ(r.hits[1].key, "a1:90");
  EXPECT_EQ(parse_report(body, "a2").status, 403);
  EXPECT_EQ(parse_report("not json", "a1").status, 400);
  EXPECT_EQ(parse_report(R"({"format":"other","hits":[]})", "a1").status, 400);
  EXPECT_EQ(parse_report(std::string(100, '[') + std::string(100, ']'), "a1").status, 400);
  std::string wrong_key = hit("a1", 5);
  wrong_key.replace(wrong_key.find("a1:5"), 4, "a1:6");
  EXPECT_EQ(parse_report(R"({"format":"dijk-hits/1","hits":[)" + wrong_key + "]}", "a1").status, 422);
}

// A hit of a journal other than dijkd's names it and is keyed appliance:journal:position; the same
// position in two journals is two hits.
std::string journal_hit(const std::string& journal, const std::string& key, std::uint64_t pos) {
  return R"({"key":")" + key + R"(","appliance":"a1","journal":")" + journal + R"(","position":)" +
         std::to_string(pos) + R"(,"time_ns":5,"algorithm":"sha256","hash":"ab12"})";
}
std::string report_of(const std::string& hits) {
  return R"({"format":"dijk-hits/1","hits":[)" + hits + "]}";
}

TEST(InboxReportParse, AcceptsAJournalsKeyAndRefusesOnesThatDoNotMatch) {
  const auto r = parse_report(report_of(hit("a1", 7) + "," + journal_hit("api", "a1:api:7", 7)), "a1");
  ASSERT_EQ(r.status, 0) << r.reason;
  ASSERT_EQ(r.hits.size(), 2u);
  EXPECT_EQ(r.hits[0].key, "a1:7");
  EXPECT_EQ(r.hits[1].key, "a1:api:7");
  EXPECT_EQ(r.hits[1].journal, "api");
  // "wire" named outright keeps the key without a journal.
  EXPECT_EQ(parse_report(report_of(journal_hit("wire", "a1:7", 7)), "a1").status, 0);
}

TEST(InboxReportParse, HostileJournalNamesAndKeysAreRefused) {
  const std::pair<std::string, const char*> cases[] = {
      {journal_hit("api", "a1:7", 7), "a journal's hit keyed as a wire hit"},
      {journal_hit("api", "a1:other:7", 7), "another journal in the key"},
      {journal_hit("api", "a1:api:8", 7), "another position in the key"},
      {journal_hit("wire", "a1:wire:7", 7), "wire keyed with its name"},
      {journal_hit("API", "a1:API:7", 7), "upper case"},
      {journal_hit("a:b", "a1:a:b:7", 7), "a colon in the name"},
      {journal_hit("", "a1::7", 7), "an empty name"},
      {journal_hit(std::string(33, 'a'), "a1:" + std::string(33, 'a') + ":7", 7), "too long"},
      {journal_hit("a\\u0000b", "a1:a\\u0000b:7", 7), "a NUL"},
      {R"({"key":"a1:7","appliance":"a1","journal":7,"position":7,"time_ns":5,"algorithm":"sha256","hash":"ab"})",
       "a journal that is no string"},
  };
  for (const auto& [h, what] : cases) EXPECT_EQ(parse_report(report_of(h), "a1").status, 422) << what;
}

TEST(InboxStore, DeduplicatesByIdempotencyKey) {
  journal::testing::TempDir tmp;
  SqliteInboxStore store(tmp.path() / "inbox.db");
  const std::string body = R"({"format":"dijk-hits/1","hits":[)" + hit("a1", 0) + "," + hit("a1", 90) + "]}";
  const auto r = parse_report(body, "a1");
  auto s = store.store(r.hits, 100);
  EXPECT_EQ(s.accepted, 2u);
  EXPECT_EQ(s.duplicates, 0u);
  s = store.store(r.hits, 200);
  EXPECT_EQ(s.accepted, 0u);
  EXPECT_EQ(s.duplicates, 2u);
  EXPECT_EQ(store.count(), 2u);
  int listed = 0;
  store.list(100, [&](const StoredHit& h) {
    EXPECT_EQ(h.received_at, 100);  // the first delivery's time is kept
    ++listed;
  });
  EXPECT_EQ(listed, 2);
  store.list(101, [&](const StoredHit&) { ADD_FAILURE(); });
}

}  // namespace
}  // namespace dijk::inbox
