// dijk-hotline hits as an analyst reads it: filters, a table with ISO times, CSV and JSON with the same
// fields, counts; and appliance-sent text that cannot drive the terminal or break a CSV row.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/dijk-hotline/inbox/sqlite_inbox_store.h"
#include "tests/integration/cli/cli_paths.h"
#include "tests/support/test_support.h"

namespace dijk::test {
namespace {

constexpr std::int64_t kDay = 1'764'892'800;  // 2025-12-05T00:00:00Z

class InboxHitsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    inbox::SqliteInboxStore store(db);
    // a1: two wire hits on A at 01:00 and 03:00; a2: one scan hit on B at 05:00, with a hostile URL.
    add(store, "a1", 0, "wire", "A", "0123456789abcdef0123456789abcdef", "http://up.example/x.jpg",
        kDay + 3600);
    add(store, "a1", 1, "wire", "A", "00000000000000000000000000000001", "http://up.example/y,\"z\".jpg",
        kDay + 3 * 3600);
    add(store, "a2", 0, "scan", "B", "0123456789ABCDEF0123456789ABCDEF", "http://evil/\x1b[2J\nforged",
        kDay + 5 * 3600);
  }
  void add(inbox::InboxStore& store, const std::string& appliance, std::uint64_t position,
           const std::string& source, const std::string& list, const std::string& hash,
           const std::string& url, std::int64_t received) {
    nlohmann::json hit{{"key", appliance + ":" + std::to_string(position)},
                       {"appliance", appliance},
                       {"position", position},
                       {"time_ns", static_cast<std::uint64_t>(received - 60) * 1'000'000'000},
                       {"source", source},
                       {"kind", "exact"},
                       {"algorithm", "md5"},
                       {"hash", hash},
                       {"list", list},
                       {"category", "A1"},
                       {"url", url},
                       {"set_version", 7},
                       {"newer_field", "x"}};
    inbox::InboxHit h;
    h.key = hit["key"];
    h.appliance = appliance;
    h.position = position;
    h.algorithm = "md5";
    h.hash = hash;
    h.list = list;
    h.report = hit.dump();
    store.store({h}, received);
  }
  CommandResult hits(std::vector<std::string> args) {
    args.insert(args.begin(), {hotline(), "hits", "--db", db});
    return run_command(args);
  }
  std::size_t lines(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
  }
  TempDir dir;
  std::string db = dir.file("inbox.db");
};

TEST_F(InboxHitsCli, TableHasIsoTimesAndEscapesEveryField) {
  const auto r = hits({});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), 4u) << r.out;  // header + 3: the newline in the URL did not forge a row
  EXPECT_EQ(r.out.rfind("RECEIVED              TIME                  APPLIANCE  SOURCE  LIST", 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("2025-12-05T01:00:00Z  2025-12-05T00:59:00Z  a1         wire    A"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("http://evil/\\x1b[2J\\nforged\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
}

TEST_F(InboxHitsCli, FiltersCombine) {
  EXPECT_EQ(lines(hits({"--appliance", "a1"}).out), 3u);
  EXPECT_EQ(lines(hits({"--list", "B"}).out), 2u);
  EXPECT_EQ(lines(hits({"--source", "wire", "--list", "B"}).out), 1u);
  EXPECT_EQ(lines(hits({"--hash", "0123456789abcdef0123456789ABCDEF"}).out), 3u);  // any case
  EXPECT_EQ(lines(hits({"--since", "2025-12-05T03:00Z"}).out), 3u);                // inclusive
  EXPECT_EQ(lines(hits({"--until", "2025-12-05T03:00:00Z"}).out), 2u);             // exclusive
  EXPECT_EQ(lines(hits({"--since", "2025-12-05T02:00", "--until", "2025-12-05T04:00"}).out), 2u);
  EXPECT_EQ(lines(hits({"--since", std::to_string(kDay + 5 * 3600)}).out), 2u);  // unix seconds still work
  EXPECT_EQ(lines(hits({"--since", "1h"}).out), 1u);  // relative: nothing that recent
  const auto newest = hits({"--limit", "1", "--csv", "--appliance", "a1"});
  EXPECT_EQ(lines(newest.out), 2u);
  EXPECT_NE(newest.out.find("a1:1"), std::string::npos) << newest.out;
  const auto bad = hits({"--since", "yesterday"});
  EXPECT_EQ(bad.status, 64);
  EXPECT_NE(bad.err.find("--since wants YYYY-MM-DD"), std::string::npos) << bad.err;
  EXPECT_EQ(hits({"--csv", "--json"}).status, 64);
}

TEST_F(InboxHitsCli, CsvAndJsonCarryTheSameFieldsAndCsvQuotes) {
  const auto csv = hits({"--csv", "--appliance", "a1"});
  ASSERT_EQ(csv.status, 0);
  std::istringstream in(csv.out);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("received_at,key,appliance,position,time_ns,source,", 0), 0u);
  EXPECT_NE(header.find(",received,time"), std::string::npos);
  EXPECT_NE(csv.out.find(",\"http://up.example/y,\"\"z\"\".jpg\","), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find(",2025-12-05T03:00:00Z,2025-12-05T02:59:00Z,7,"), std::string::npos) << csv.out;

  const auto json = hits({"--json", "--list", "B"});
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["received"], "2025-12-05T05:00:00Z");
  EXPECT_EQ(j["received_at"], kDay + 5 * 3600);
  EXPECT_EQ(j["url"], "http://evil/\x1b[2J\nforged");  // JSON escapes it itself
  std::string csv_fields = header + ",";
  for (const auto& [key, value] : j.items()) {
    if (key == "newer_field") continue;
    EXPECT_NE(csv_fields.find(key + ","), std::string::npos) << key << " is in JSON but not in CSV";
  }
  EXPECT_FALSE(j.contains("client_ip"));  // only what the hit has
  EXPECT_EQ(j["set_version"], 7);
  EXPECT_EQ(j["newer_field"], "x");  // a field this version does not know is kept in JSON
  EXPECT_NE(csv.out.find(",7,"), std::string::npos) << csv.out;
}

TEST_F(InboxHitsCli, CountsPerApplianceAndPerList) {
  const auto r = hits({"--counts"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "APPLIANCE  HITS\n"
            "a1         2\n"
            "a2         1\n"
            "\n"
            "LIST  HITS\n"
            "A     2\n"
            "B     1\n"
            "\n"
            "total  3\n");
}

}  // namespace
}  // namespace dijk::test
