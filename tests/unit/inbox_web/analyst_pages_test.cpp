// Every value on the analysts' pages came from an appliance, the feed's ledger or the request: a hostile
// one shows as text, never as markup, and cannot break out of an attribute.
#include "apps/dijk-hotline/inbox/web/analyst_pages.h"

#include <gtest/gtest.h>

namespace dijk::web {
namespace {

const std::string kHostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>'\x1b[31m";

TEST(AnalystPages, HostileHitFieldsAreText) {
  HitsResult hits;
  HitRow r;
  r.received_at = 1'764'000'000;
  r.appliance = kHostile;
  r.source = kHostile;
  r.list = kHostile;
  r.category = kHostile;
  r.algorithm = kHostile;
  r.hash = kHostile;
  r.name = kHostile;
  r.action = kHostile;
  hits.rows.push_back(r);
  hits.matched = 1;
  const std::string page =
      hits_page(kHostile, hits, {{"appliance", kHostile}, {"since", "\" autofocus x=\""}}, 0);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("\" autofocus"), std::string::npos);
  EXPECT_EQ(page.find('\x1b'), std::string::npos);
  EXPECT_NE(
      page.find(
          "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&#39;\\x1b[31m"),
      std::string::npos)
      << page;
  EXPECT_NE(page.find("2025-11-24T16:00:00Z"), std::string::npos);
}

TEST(AnalystPages, HostileFleetAndLedgerAreText) {
  const std::string fleet =
      fleet_page("alice", {{kHostile, 1'764'000'000, 3, kHostile}}, kHostile, 1'764'000'060);
  EXPECT_EQ(fleet.find("<script"), std::string::npos);
  EXPECT_EQ(fleet.find("<img"), std::string::npos);
  // The link to the appliance's hits carries its id percent-encoded.
  EXPECT_NE(fleet.find("/hits?appliance=%3Cscript%3Ealert%281%29"), std::string::npos) << fleet;
  EXPECT_NE(fleet.find("60s ago"), std::string::npos);

  FeedHistory h;
  h.configured = true;
  feed::LedgerRecord rec;
  rec.kind = feed::LedgerKind::retract;
  rec.by = kHostile;
  rec.note = kHostile;
  h.records.push_back(rec);
  h.problems.push_back({7, kHostile});
  const std::string page = feed_page("alice", h);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("ledger line 7"), std::string::npos);
  EXPECT_EQ(error_page(400, kHostile).find("<script"), std::string::npos);
}

TEST(AnalystPages, InvalidUtf8ShowsEscaped) {
  EXPECT_EQ(html_text("a\xff<b"), "a\\xff&lt;b");
  EXPECT_EQ(html_text("caf\xc3\xa9"), "caf\xc3\xa9");
}

}  // namespace
}  // namespace dijk::web
