// The status verb's shape: why a daemon counts as degraded (dijkctl status's exit code), the feed's expiry
// as a date, and the build info gauge both daemons export.
#include "config/admin/status.h"

#include <gtest/gtest.h>

#include "config/metrics/registry.h"
#include "config/metrics/status_metrics.h"

namespace {

using dijk::admin::DaemonStatus;

DaemonStatus healthy() {
  DaemonStatus s;
  s.daemon = "dijk-control";
  s.version = "1.2.3";
  s.set = dijk::admin::SetStatus{5, 100, 60, "/var/lib/dijk/sets/current.set"};
  s.feed = dijk::admin::FeedStatus{true, 30, ""};
  s.reporter = dijk::admin::ReporterStatus{};
  return s;
}

TEST(Status, ProblemsNameEachReasonAndNothingWhenHealthy) {
  EXPECT_TRUE(dijk::admin::problems_of(healthy()).empty());
  auto s = healthy();
  s.set.reset();
  s.feed = dijk::admin::FeedStatus{false, std::nullopt, "transport: timed out"};
  s.reporter->alarm = "3 hits undelivered for 4000 s";
  EXPECT_EQ(dijk::admin::problems_of(s),
            (std::vector<std::string>{"no set: nothing matches", "feed unhealthy: transport: timed out",
                                      "alarm: 3 hits undelivered for 4000 s"}));
  // A feed left unconfigured is a choice: sets imported by hand.
  s = healthy();
  s.feed = dijk::admin::FeedStatus{false, std::nullopt, "no feed configured (feed.url is empty)"};
  s.feed->configured = false;
  EXPECT_TRUE(dijk::admin::problems_of(s).empty());
  s.config = dijk::admin::ConfigStatus{};
  s.config->file_differs = {"feed.interval_s"};
  EXPECT_TRUE(dijk::admin::problems_of(s).empty()) << "a file edited but not reloaded is news, not a fault";
  s.config->file_error = "/etc/dijk/dijk.toml:3:1: error: x";
  EXPECT_EQ(dijk::admin::problems_of(s).size(), 1u);
  EXPECT_EQ(to_json(s)["problems"].size(), 1u);
}

TEST(Status, FeedExpiryIsADateAndLagIsVersionsBehind) {
  auto s = healthy();
  s.feed->installed_version = 5;
  s.feed->feed_version = 7;
  s.feed->expires_unix = 1'796'036'400;
  const auto j = to_json(s);
  EXPECT_EQ(j["feed"]["expires"], "2026-11-30T11:00:00Z");
  EXPECT_EQ(j["feed"]["lag_versions"], 2);
  EXPECT_TRUE(to_json(healthy())["feed"]["expires"].is_null());
}

TEST(Status, BuildInfoGaugeCarriesTheVersion) {
  dijk::metrics::Registry registry;
  dijk::metrics::export_status(registry, [] { return healthy(); });
  const auto text = dijk::metrics::render_prometheus(registry.collect());
  EXPECT_NE(
      text.find(
          "# TYPE dijk_build_info gauge\ndijk_build_info{daemon=\"dijk-control\",version=\"1.2.3\"} 1\n"),
      std::string::npos)
      << text;
}

}  // namespace
