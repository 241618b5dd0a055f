// Rendering, diffing and in-place editing of the config.
#include "config/schema/render.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "config/schema/loader.h"

namespace {

TEST(ConfigRender, RenderedDefaultsLoadBackToDefaults) {
  const auto text = dijk::render_toml(dijk::Config{});
  const auto r = dijk::load_config_text(text, "rendered");
  ASSERT_TRUE(r.ok()) << r.error_text() << text;
  EXPECT_EQ(r.config, dijk::Config{});
}

TEST(ConfigRender, RenderedCustomConfigRoundTrips) {
  dijk::Config c;
  c.appliance_id = "fra1";
  c.dataplane.ports = {{"a", "0000:03:00.0"}, {"b", "net_null0"}};
  c.dataplane.mode = dijk::CaptureMode::kInline;
  c.reporting.privacy.filename = dijk::FieldPolicy::omit;
  const auto r = dijk::load_config_text(dijk::render_toml(c), "rendered");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config, c);
}

TEST(ConfigDiff, ChangedKeysAndWhatNeedsARestart) {
  dijk::Config a;
  dijk::Config b;
  b.hashing.pdq = false;
  b.dataplane.eal.memory_mb = 2048;
  b.dataplane.ports = {{"a", "net_null0"}};
  b.feed.interval_s = 60;
  EXPECT_EQ(dijk::changed_keys(a, b), (std::vector<std::string>{"dataplane.eal.memory_mb", "dataplane.ports",
                                                                "feed.interval_s", "hashing.pdq"}));
  EXPECT_EQ(dijk::restart_required(a, b),
            (std::vector<std::string>{"dataplane.eal.memory_mb", "dataplane.ports"}));
  EXPECT_TRUE(dijk::restart_required(a, a).empty());
}

TEST(ConfigDiff, LiveApplicableKeepsEveryRestartKeyAndNothingElse) {
  dijk::Config running;
  dijk::Config next;
  next.dataplane.eal.hugepages = false;
  next.dataplane.ports = {{"a", "net_null0"}, {"b", "net_null1"}};
  next.dataplane.lcores = {4};
  next.dataplane.mode = dijk::CaptureMode::kInline;
  next.dataplane.flow_table_cap = 4096;
  next.dataplane.reassembly_memory_mb = 32;
  next.admin.group = "wheel";
  next.metrics.listen = "127.0.0.1:1";
  next.hashing.pdq = false;
  next.dataplane.http_ports = {81};
  EXPECT_EQ(dijk::restart_required(running, next).size(), 8u);
  const auto live = dijk::live_applicable(running, next);
  EXPECT_TRUE(dijk::restart_required(running, live).empty());
  EXPECT_EQ(dijk::changed_keys(running, live),
            (std::vector<std::string>{"dataplane.http_ports", "hashing.pdq"}));
}

TEST(ConfigEdit, ReplacesOnlyTheValueKeepingComments) {
  const std::string text = "# top\n[feed]\ninterval_s = 300   # poll\nurl = \"\"\n";
  const auto e = dijk::set_key_in_text(text, "feed.interval_s", "60");
  ASSERT_EQ(e.error, "");
  EXPECT_EQ(e.text, "# top\n[feed]\ninterval_s = 60   # poll\nurl = \"\"\n");
}

TEST(ConfigEdit, BareWordsBecomeStrings) {
  const auto e = dijk::set_key_in_text("[dataplane]\nmode = \"mirror\"\n", "dataplane.mode", "inline");
  EXPECT_EQ(e.text, "[dataplane]\nmode = \"inline\"\n");
}

TEST(ConfigEdit, AddsMissingKeyUnderItsTable) {
  const auto e = dijk::set_key_in_text("[hashing]\npdq = true\n", "hashing.max_pixels", "1000");
  EXPECT_EQ(e.text, "[hashing]\nmax_pixels = 1000\npdq = true\n");
}

TEST(ConfigEdit, AddsTableWhenOnlyASubTableExists) {
  const auto e = dijk::set_key_in_text("[dataplane.eal]\nhugepages = true\n", "dataplane.mode", "inline");
  EXPECT_EQ(e.text, "[dataplane.eal]\nhugepages = true\n\n[dataplane]\nmode = \"inline\"\n");
  EXPECT_TRUE(
      dijk::load_config_text("[dataplane.eal]\nhugepages = true\n\n[dataplane]\nmode = \"mirror\"\n", "x")
          .ok());
}

TEST(ConfigEdit, RootKeyGoesBeforeTheFirstTable) {
  const auto e = dijk::set_key_in_text("# hi\n[feed]\n", "appliance_id", "box-7");
  EXPECT_EQ(e.text, "# hi\nappliance_id = \"box-7\"\n[feed]\n");
}

TEST(ConfigEdit, UnknownKeyRefusedWithSuggestion) {
  const auto e = dijk::set_key_in_text("", "hashing.pqd", "false");
  EXPECT_EQ(e.error, "unknown key 'hashing.pqd', did you mean 'hashing.pdq'?");
  EXPECT_EQ(dijk::set_key_in_text("", "dataplane.ports", "[]").error,
            "'dataplane.ports' is a list of [[dataplane.ports]] tables: edit the file");
}

TEST(ConfigEdit, ArraysAndUnicodeColumns) {
  const std::string text = "appliance_id = \"x\" # ünïcode\n[dataplane]\nhttp_ports = [80,\n  8080]  # ok\n";
  const auto e = dijk::set_key_in_text(text, "dataplane.http_ports", "[81, 82]");
  EXPECT_EQ(e.text, "appliance_id = \"x\" # ünïcode\n[dataplane]\nhttp_ports = [81, 82]  # ok\n");
}

}  // namespace

namespace {

// The bash completion lists the settable keys by hand; it must list exactly the schema's.
TEST(BashCompletion, ListsExactlyTheSettableKeys) {
  std::ifstream in(DIJK_SOURCE_DIR "/apps/dijkctl/dijkctl.bash-completion");
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  const auto begin = s.find("local keys=\"");
  ASSERT_NE(begin, std::string::npos);
  const auto end = s.find('"', begin + 12);
  std::istringstream words(s.substr(begin + 12, end - begin - 12));
  std::set<std::string> listed{std::istream_iterator<std::string>(words),
                               std::istream_iterator<std::string>()};
  const auto keys = dijk::settable_keys();
  EXPECT_EQ(listed, std::set<std::string>(keys.begin(), keys.end()));
}

}  // namespace
