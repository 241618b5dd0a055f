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

// A heartbeat rides in a report, or alone in one without hits; the inbox keeps only the members it knows,
// checked. One that is wrong costs the heartbeat, never the hits it came with.
std::string with_heartbeat(const std::string& hits, const std::string& beat) {
  return R"({"format":"dijk-hits/1","hits":[)" + hits + R"(],"heartbeat":)" + beat + "}";
}

TEST(InboxHeartbeat, ARecognisedHeartbeatIsKeptWithOrWithoutHits) {
  const std::string beat =
      R"({"appliance":"a1","sent_unix":1764892800,"software":"0.1.0","set_version":42,"feed_state":"ok",)"
      R"("last_sync_unix":1764892700,"backlog":3,"files_hashed":1000,"hits":7,"drops":2,"newer":"x"})";
  for (const std::string& hits : {std::string(), hit("a1", 5)}) {
    const auto r = parse_report(with_heartbeat(hits, beat), "a1");
    ASSERT_EQ(r.status, 0) << r.reason;
    EXPECT_EQ(r.hits.size(), hits.empty() ? 0u : 1u);
    ASSERT_TRUE(r.heartbeat) << r.heartbeat_error;
    EXPECT_EQ(r.heartbeat->set_version, 42u);
    EXPECT_EQ(r.heartbeat->backlog, 3u);
    EXPECT_EQ(r.heartbeat->files_hashed, 1000u);
    EXPECT_EQ(r.heartbeat->last_sync_unix, 1764892700);
    EXPECT_FALSE(to_json(*r.heartbeat).contains("newer")) << "only known members are stored";
  }
  // Without dijkd's counters (dijkd not answering): they stay absent, not zero.
  const auto bare = parse_report(with_heartbeat("", R"({"appliance":"a1","set_version":1})"), "a1");
  ASSERT_TRUE(bare.heartbeat);
  EXPECT_FALSE(bare.heartbeat->files_hashed);
  EXPECT_FALSE(to_json(*bare.heartbeat).contains("drops"));
}

TEST(InboxHeartbeat, AHostileHeartbeatIsDroppedAndTheHitsStand) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"appliance":"a2","set_version":1})", "another appliance"},
      {R"({"set_version":1})", "no appliance"},
      {R"("a1")", "not an object"},
      {R"({"appliance":"a1","set_version":-1})", "a negative version"},
      {R"({"appliance":"a1","set_version":1.5})", "a fractional version"},
      {R"({"appliance":"a1","backlog":9223372036854775808})", "a count beyond 2^63-1"},
      {R"({"appliance":"a1","software":")" + std::string(65, 'v') + R"("})", "a long software string"},
      {R"({"appliance":"a1","feed_error":")" + std::string(513, 'e') + R"("})", "a long error"},
      {R"({"appliance":"a1","feed_state":["ok"]})", "a state that is no string"},
      {R"({"appliance":"a1","hits":"7"})", "a count that is a string"},
  };
  for (const auto& [beat, what] : cases) {
    const auto r = parse_report(with_heartbeat(hit("a1", 5), beat), "a1");
    EXPECT_EQ(r.status, 0) << what;
    EXPECT_EQ(r.hits.size(), 1u) << what;
    EXPECT_FALSE(r.heartbeat) << what;
    EXPECT_FALSE(r.heartbeat_error.empty()) << what;
  }
  // Text from the appliance is kept as it was: the table escapes it when printed.
  const auto r = parse_report(
      with_heartbeat("", R"({"appliance":"a1","feed_state":"failing","feed_error":"\u001b[2J\nforged"})"),
      "a1");
  ASSERT_TRUE(r.heartbeat);
  EXPECT_EQ(r.heartbeat->feed_error, "\x1b[2J\nforged");
}

TEST(InboxStore, KeepsTheNewestHeartbeatOfEachAppliance) {
  journal::testing::TempDir tmp;
  SqliteInboxStore store(tmp.path() / "inbox.db");
  store.store_heartbeat({"a2", 100, R"({"v":1})"});
  store.store_heartbeat({"a1", 100, R"({"v":1})"});
  store.store_heartbeat({"a1", 300, R"({"v":3})"});
  store.store_heartbeat({"a1", 200, R"({"v":2})"});  // late, older: ignored
  std::vector<StoredHeartbeat> beats;
  store.list_heartbeats([&](const StoredHeartbeat& b) { beats.push_back(b); });
  ASSERT_EQ(beats.size(), 2u);
  EXPECT_EQ(beats[0].appliance, "a1");
  EXPECT_EQ(beats[0].received_at, 300);
  EXPECT_EQ(beats[0].heartbeat, R"({"v":3})");
  EXPECT_EQ(beats[1].appliance, "a2");
  EXPECT_EQ(store.count(), 0u) << "heartbeats are no hits";
}

}  // namespace
}  // namespace dijk::inbox
