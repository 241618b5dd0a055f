// Rendering, diffing and in-place editing of the config.
#include "config/schema/render.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "config/daemon/restart_keys.h"
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

// Each daemon's restart keys, and those of all daemons together (what tools speak for).
std::vector<std::pair<std::string, dijk::RestartKeys>> every_daemons_keys() {
  return {{"all", dijk::all_restart_keys()},
          {"dijkd", dijk::daemon::dijkd_restart_keys()},
          {"dijk-check", dijk::daemon::check_restart_keys()},
          {"dijk-watch", dijk::daemon::watch_restart_keys()},
          {"dijk-control", dijk::daemon::control_restart_keys()}};
}

// Every key a daemon's list names must be one live_applicable() can hold back, or the daemon would report a
// restart while its running config (`config show`) took the new value anyway.
TEST(ConfigDiff, EveryDaemonsRestartKeyCanBeHeldBack) {
  const auto held = dijk::held_back_keys();
  const auto covered = [&](const std::string& key) {
    return std::any_of(held.begin(), held.end(), [&](std::string_view h) {
      return h.back() == '.' ? std::string_view(key).starts_with(h) : key == h;
    });
  };
  std::vector<std::string> all_keys;
  for (const auto& [key, value] : dijk::flatten(dijk::Config{})) all_keys.push_back(key);
  for (const auto& [daemon, keys] : every_daemons_keys()) {
    for (const auto& key : all_keys) {
      if (dijk::needs_restart(key, keys)) {
        EXPECT_TRUE(covered(key)) << daemon << ": " << key;
      }
    }
  }
  // And each held-back key names real keys.
  for (const auto h : held) {
    EXPECT_TRUE(std::any_of(all_keys.begin(), all_keys.end(), [&](const std::string& key) {
      return h.back() == '.' ? std::string_view(key).starts_with(h) : key == h;
    })) << h;
  }
}

// Per daemon: a reload keeps every key the daemon reads only at its start and takes every other.
TEST(ConfigDiff, EachDaemonTakesLiveWhatItAppliesLiveAndNothingElse) {
  dijk::Config running;
  dijk::Config next;
  next.appliance_id = "other-box";
  next.dataplane.http_ports = {81};
  next.dataplane.eal.memory_mb = 2048;
  next.dataplane.ips = true;
  next.hashing.algorithms = {"md5"};
  next.hashing.pdq = false;
  next.hashing.max_pixels = 1000;
  next.hashing.max_file_size_mb = 1;
  next.hashing.pdq_max_distance = 10;
  next.hashing.digest_lanes = "off";
  next.paths.set = "/srv/sets/current.set";
  next.paths.journal = "/srv/journal";
  next.paths.state = "/srv/state";
  next.admin.group = "wheel";
  next.metrics.listen = "127.0.0.1:1";
  next.check_api.threads = 4;
  next.icap.listen = "127.0.0.1:1344";
  next.policy.default_action = dijk::Verdict::report;
  next.scan.settle_ms = 100;
  next.feed.interval_s = 60;
  next.reporting.batch_size = 7;
  const auto all_changed = dijk::changed_keys(running, next);
  for (const auto& [daemon, keys] : every_daemons_keys()) {
    const auto live = dijk::live_applicable(running, next, keys);
    EXPECT_TRUE(dijk::restart_required(running, live, keys).empty()) << daemon;
    std::vector<std::string> expected_live;
    for (const auto& k : all_changed)
      if (!dijk::needs_restart(k, keys)) expected_live.push_back(k);
    EXPECT_EQ(dijk::changed_keys(running, live), expected_live) << daemon;
  }
  // What dijkd applies live: the set's path and the PDQ radius; the rest of [hashing] waits for a restart.
  const auto dijkd = dijk::daemon::dijkd_restart_keys();
  EXPECT_FALSE(dijk::needs_restart("paths.set", dijkd));
  EXPECT_FALSE(dijk::needs_restart("hashing.pdq_max_distance", dijkd));
  EXPECT_TRUE(dijk::needs_restart("hashing.pdq", dijkd));
  EXPECT_TRUE(dijk::needs_restart("dataplane.http_ports", dijkd));
  EXPECT_FALSE(dijk::needs_restart("feed.interval_s", dijk::daemon::control_restart_keys()));
  // dijk-check takes its policy, PDQ radius and set path live; dijkd's IPS policy waits for a restart.
  const auto check = dijk::daemon::check_restart_keys();
  EXPECT_FALSE(dijk::needs_restart("hashing.pdq_max_distance", check));
  EXPECT_FALSE(dijk::needs_restart("policy.default", check));
  EXPECT_FALSE(dijk::needs_restart("paths.set", check));
  EXPECT_TRUE(dijk::needs_restart("check_api.threads", check));
  EXPECT_TRUE(dijk::needs_restart("policy.default", dijkd));
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
