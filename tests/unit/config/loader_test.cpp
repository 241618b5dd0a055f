// The config loader: every kind of error with its exact file:line:column text, all errors in one pass,
// "did you mean", ranges, cross-key rules, and the example file equal to the built-in defaults.
#include "config/schema/loader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/schema/journals.h"
#include "config/schema/render.h"
#include "tests/support/client_cert_pki.h"

namespace {

std::vector<std::string> errors_of(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& e : dijk::load_config_text(text, "dijk.toml").errors) out.push_back(e.to_string());
  return out;
}

using Lines = std::vector<std::string>;

TEST(ConfigLoader, EmptyFileIsAllDefaults) {
  const auto r = dijk::load_config_text("", "dijk.toml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config, dijk::Config{});
}

TEST(ConfigLoader, HttpPortsEmptyIsEveryPortAndAListFilters) {
  EXPECT_TRUE(dijk::Config{}.dataplane.http_ports.empty());  // the default: every port
  const auto every = dijk::load_config_text("[dataplane]\nhttp_ports = []\n", "dijk.toml");
  EXPECT_TRUE(every.ok()) << every.error_text();
  EXPECT_TRUE(every.config.dataplane.http_ports.empty());
  const auto some = dijk::load_config_text("[dataplane]\nhttp_ports = [80, 3000]\n", "dijk.toml");
  EXPECT_TRUE(some.ok()) << some.error_text();
  EXPECT_EQ(some.config.dataplane.http_ports, (std::vector<std::uint16_t>{80, 3000}));
  // An empty list of lcores still means nothing and is refused.
  EXPECT_EQ(errors_of("[dataplane]\nlcores = []\n"),
            Lines{"dijk.toml:2:10: error: 'dataplane.lcores' must list at least one lcore"});
}

TEST(ConfigLoader, ARatioIsAFractionOrAWholeNumber) {
  EXPECT_EQ(dijk::load_config_text("", "dijk.toml").config.feed.merge_pause_ratio, 2.0);
  const auto half = dijk::load_config_text("[feed]\nmerge_pause_ratio = 0.5\n", "dijk.toml");
  ASSERT_TRUE(half.ok()) << half.error_text();
  EXPECT_EQ(half.config.feed.merge_pause_ratio, 0.5);
  const auto flat_out = dijk::load_config_text("[feed]\nmerge_pause_ratio = 0\n", "dijk.toml");
  ASSERT_TRUE(flat_out.ok()) << flat_out.error_text();
  EXPECT_EQ(flat_out.config.feed.merge_pause_ratio, 0.0);
  // What `config show` prints loads back to the same fraction.
  const auto again = dijk::load_config_text(dijk::render_toml(half.config), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error_text();
  EXPECT_EQ(again.config.feed.merge_pause_ratio, 0.5);
}

TEST(ConfigLoader, PreventionIsOffByDefaultAndOnlyForAnInlineBridge) {
  EXPECT_FALSE(dijk::Config{}.dataplane.ips);
  const std::string bridge =
      "[dataplane]\nmode = \"inline\"\nips = true\n[[dataplane.ports]]\nname = \"a\"\ndevice = "
      "\"net_ring0\"\n[[dataplane.ports]]\nname = \"b\"\ndevice = \"net_ring1\"\n";
  const auto on = dijk::load_config_text(bridge, "dijk.toml");
  ASSERT_TRUE(on.ok()) << on.error_text();
  EXPECT_TRUE(on.config.dataplane.ips);
  EXPECT_EQ(
      errors_of("[dataplane]\nips = true\n"),
      Lines{"dijk.toml:2:7: error: 'dataplane.ips' = true needs 'dataplane.mode' = \"inline\": a mirror "
            "port sees copies and cannot stop an upload"});
  EXPECT_EQ(errors_of("[dataplane]\nips = \"block\"\n"),
            Lines{"dijk.toml:2:7: error: 'dataplane.ips' must be a boolean (true or false), not a string"});
  EXPECT_EQ(errors_of("[dataplane]\nipss = true\n"),
            Lines{"dijk.toml:2:1: error: unknown key 'dataplane.ipss', did you mean 'dataplane.ips'?"});
}

TEST(ConfigLoader, ExampleFileDocumentsExactlyTheDefaults) {
  const auto r = dijk::load_config_file(DIJK_SOURCE_DIR "/config/dijk.example.toml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config, dijk::Config{});
}

TEST(ConfigLoader, ReadsEveryKindOfValue) {
  const auto r = dijk::load_config_text(R"(appliance_id = "hoster-fra1"
[dataplane]
mode = "inline"
lcores = [2, 3]
http_ports = [80]
flow_table_cap = 2048
[[dataplane.ports]]
name = "a"
device = "0000:03:00.0"
[[dataplane.ports]]
name = "b"
device = "net_pcap0,iface=eth1"
[dataplane.eal]
hugepages = false
extra_args = ["--log-level", "8"]
[hashing]
algorithms = ["sha256"]
pdq = false
[feed]
url = "https://hotline.example/feed"
name = "nl-hotline"
root_key = "/etc/dijk/root.pem"
[reporting.privacy]
client_ip = "omit"
[metrics]
listen = "[::1]:9100"
)",
                                        "dijk.toml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const auto& c = r.config;
  EXPECT_EQ(c.appliance_id, "hoster-fra1");
  EXPECT_EQ(c.dataplane.mode, dijk::CaptureMode::kInline);
  EXPECT_EQ(c.dataplane.lcores, (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(c.dataplane.http_ports, (std::vector<std::uint16_t>{80}));
  EXPECT_EQ(c.dataplane.flow_table_cap, 2048u);
  ASSERT_EQ(c.dataplane.ports.size(), 2u);
  EXPECT_EQ(c.dataplane.ports[1].device, "net_pcap0,iface=eth1");
  EXPECT_FALSE(c.dataplane.eal.hugepages);
  EXPECT_EQ(c.dataplane.eal.extra_args, (std::vector<std::string>{"--log-level", "8"}));
  EXPECT_EQ(c.hashing.algorithms, (std::vector<std::string>{"sha256"}));
  EXPECT_FALSE(c.hashing.pdq);
  EXPECT_EQ(c.feed.url, "https://hotline.example/feed");
  EXPECT_EQ(c.reporting.privacy.client_ip, dijk::FieldPolicy::omit);
  EXPECT_EQ(c.reporting.privacy.url, dijk::FieldPolicy::send);
  EXPECT_EQ(c.metrics.listen, "[::1]:9100");
}

TEST(ConfigLoader, PrivacyDefaultSendsTheClientAddressOnlyAsAnHmac) {
  // The reporter's policy is the same type with the same default (core/field_policy.h); this pins it for
  // dijk.toml, whose example file states it.
  const auto r = dijk::load_config_text("", "dijk.toml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config.reporting.privacy, dijk::PrivacyPolicy{});
  EXPECT_EQ(r.config.reporting.privacy.client_ip, dijk::FieldPolicy::hmac);
  EXPECT_EQ(r.config.reporting.privacy.url, dijk::FieldPolicy::send);
  EXPECT_EQ(r.config.reporting.privacy.filename, dijk::FieldPolicy::send);
  EXPECT_EQ(r.config.reporting.privacy.hmac_key, "/var/lib/dijk/state/privacy-hmac.key");
}

TEST(ConfigLoader, HashIsAnotherSpellingOfHmacAndRendersAsHmac) {
  const auto r =
      dijk::load_config_text("[reporting.privacy]\nurl = \"hash\"\nfilename = \"hmac\"\n", "dijk.toml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config.reporting.privacy.url, dijk::FieldPolicy::hmac);
  EXPECT_EQ(r.config.reporting.privacy.filename, dijk::FieldPolicy::hmac);
  EXPECT_EQ(dijk::field_policy_name(r.config.reporting.privacy.url), "hmac");
}

TEST(ConfigLoader, ReportsEveryJournalWireFirstWithTodaysPaths) {
  const auto r = dijk::load_config_text(R"([paths]
journal = "/j/wire"
state = "/s"
[[reporting.journals]]
name = "api"
dir = "/j/api"
[[reporting.journals]]
name = "icap-2"
dir = "/j/icap"
)",
                                        "dijk.toml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const auto journals = dijk::journals_to_report(r.config);
  ASSERT_EQ(journals.size(), 3u);
  EXPECT_EQ(journals[0].name, "wire");
  EXPECT_EQ(journals[0].dir, "/j/wire");
  EXPECT_EQ(journals[0].ack_state, "/s/reporter-ack");
  EXPECT_EQ(journals[0].quarantine_dir, "/s/reporter-quarantine");
  EXPECT_EQ(journals[1].name, "api");
  EXPECT_EQ(journals[1].dir, "/j/api");
  EXPECT_EQ(journals[1].ack_state, "/s/reporter-ack-api");
  EXPECT_EQ(journals[1].quarantine_dir, "/s/reporter-quarantine-api");
  EXPECT_EQ(journals[2].name, "icap-2");
  EXPECT_EQ(dijk::journals_to_report(dijk::Config{}).size(), 1u);
  // Rendered and read back: the same journals.
  const auto again = dijk::load_config_text(dijk::render_toml(r.config), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error_text();
  EXPECT_EQ(again.config.reporting.journals, r.config.reporting.journals);
}

TEST(ConfigLoader, JournalNamesAreUniqueLowerCaseAndNeverWire) {
  EXPECT_EQ(errors_of("[[reporting.journals]]\nname = \"api\"\ndir = \"/a\"\n"
                      "[[reporting.journals]]\nname = \"api\"\ndir = \"/b\"\n"),
            Lines{"dijk.toml:4:1: error: 'reporting.journals[1]' reuses the journal name \"api\""});
  EXPECT_EQ(
      errors_of("[[reporting.journals]]\nname = \"wire\"\ndir = \"/a\"\n"),
      Lines{"dijk.toml:2:8: error: 'reporting.journals[0].name' must not be \"wire\" (dijkd's journal in "
            "paths.journal, always reported)"});
  EXPECT_EQ(errors_of("[[reporting.journals]]\nname = \"Api/x\"\ndir = \"/a\"\n"),
            Lines{"dijk.toml:2:8: error: 'reporting.journals[0].name' must be 1 to 32 of a-z, 0-9 and '-'"});
  EXPECT_EQ(errors_of("[[reporting.journals]]\nname = \"api\"\ndir = \"rel\"\n"),
            Lines{"dijk.toml:3:7: error: 'reporting.journals[0].dir' must be an absolute path, got \"rel\""});
  EXPECT_EQ(errors_of("[[reporting.journals]]\nname = \"api\"\n"),
            Lines{"dijk.toml:1:1: error: 'reporting.journals[0]' has no dir"});
  EXPECT_EQ(errors_of("[[reporting.journals]]\nname = \"api\"\ndir = \"/a\"\ncolour = 1\n").size(), 1u);
}

TEST(ConfigLoader, ArraysOfTablesSayWhatTheirTablesHold) {
  const auto ports = errors_of("[dataplane]\nports = [1]\n");
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_NE(ports[0].find("'dataplane.ports[0]' must be a table with name and device"), std::string::npos)
      << ports[0];
  const auto journals = errors_of("[reporting]\njournals = [\"api\"]\n");
  ASSERT_EQ(journals.size(), 1u);
  EXPECT_NE(journals[0].find("'reporting.journals[0]' must be a table with name and dir"), std::string::npos)
      << journals[0];
}

TEST(ConfigLoader, UnknownKeyGetsDidYouMean) {
  EXPECT_EQ(errors_of("[dataplane]\nlcore = [1]\n"),
            Lines{"dijk.toml:2:1: error: unknown key 'dataplane.lcore', did you mean 'dataplane.lcores'?"});
  EXPECT_EQ(
      errors_of("[hashing]\n  max_pixel = 5\n"),
      Lines{"dijk.toml:2:3: error: unknown key 'hashing.max_pixel', did you mean 'hashing.max_pixels'?"});
  EXPECT_EQ(errors_of("[metrcs]\n"),
            Lines{"dijk.toml:1:2: error: unknown key 'metrcs', did you mean 'metrics'?"});
}

TEST(ConfigLoader, UnknownKeyFarFromAnyKnownHasNoSuggestion) {
  EXPECT_EQ(errors_of("[feed]\ncolour = \"blue\"\n"),
            Lines{"dijk.toml:2:1: error: unknown key 'feed.colour'"});
}

TEST(ConfigLoader, TypeErrors) {
  EXPECT_EQ(errors_of("[dataplane]\nflow_table_cap = \"big\"\n"),
            Lines{"dijk.toml:2:18: error: 'dataplane.flow_table_cap' must be an integer, not a string"});
  EXPECT_EQ(errors_of("[hashing]\npdq = 1\n"),
            Lines{"dijk.toml:2:7: error: 'hashing.pdq' must be a boolean (true or false), not an integer"});
  EXPECT_EQ(errors_of("appliance_id = 7\n"),
            Lines{"dijk.toml:1:16: error: 'appliance_id' must be a string, not an integer"});
  EXPECT_EQ(errors_of("paths = 3\n"), Lines{"dijk.toml:1:9: error: 'paths' must be a table, not an integer"});
  EXPECT_EQ(errors_of("[dataplane]\nlcores = 4\n"),
            Lines{"dijk.toml:2:10: error: 'dataplane.lcores' must be an array, not an integer"});
}

TEST(ConfigLoader, RangeErrors) {
  EXPECT_EQ(
      errors_of("[dataplane]\nflow_table_cap = 12\n"),
      Lines{"dijk.toml:2:18: error: 'dataplane.flow_table_cap' must be between 1024 and 268435456, got 12"});
  EXPECT_EQ(errors_of("[dataplane]\nhttp_ports = [80, 70000]\n"),
            Lines{"dijk.toml:2:19: error: 'dataplane.http_ports[1]' must be between 1 and 65535, got 70000"});
  EXPECT_EQ(errors_of("[feed]\ninterval_s = 1\n"),
            Lines{"dijk.toml:2:14: error: 'feed.interval_s' must be between 10 and 86400, got 1"});
  EXPECT_EQ(
      errors_of("[feed]\nmerge_overlay_at = 100\n"),
      Lines{"dijk.toml:2:20: error: 'feed.merge_overlay_at' must be between 1024 and 100000000, got 100"});
  EXPECT_EQ(errors_of("[feed]\nmerge_pause_ratio = -0.5\n"),
            Lines{"dijk.toml:2:21: error: 'feed.merge_pause_ratio' must be between 0 and 100, got -0.5"});
  EXPECT_EQ(errors_of("[feed]\nmerge_pause_ratio = nan\n"),
            Lines{"dijk.toml:2:21: error: 'feed.merge_pause_ratio' must be between 0 and 100, got nan"});
  EXPECT_EQ(errors_of("[feed]\nmerge_pause_ratio = \"2\"\n"),
            Lines{"dijk.toml:2:21: error: 'feed.merge_pause_ratio' must be a number, not a string"});
  EXPECT_EQ(errors_of("[dataplane]\nlcores = [0]\n"),
            Lines{"dijk.toml:2:11: error: 'dataplane.lcores[0]' must be between 1 and 1023, got 0"});
  EXPECT_EQ(errors_of("[reporting]\nbatch_size = 0\n"),
            Lines{"dijk.toml:2:14: error: 'reporting.batch_size' must be between 1 and 10000, got 0"});
}

TEST(ConfigLoader, EnumAndFormatErrors) {
  EXPECT_EQ(
      errors_of("[hashing]\ndigest_lanes = \"sse\"\n"),
      Lines{"dijk.toml:2:16: error: 'hashing.digest_lanes' must be one of \"auto\", \"avx512\", \"avx2\", "
            "\"off\", got \"sse\""});
  EXPECT_EQ(
      errors_of("[dataplane]\nmode = \"bridge\"\n"),
      Lines{"dijk.toml:2:8: error: 'dataplane.mode' must be one of \"mirror\", \"inline\", got \"bridge\""});
  EXPECT_EQ(errors_of("[reporting.privacy]\nurl = \"hide\"\n"),
            Lines{"dijk.toml:2:7: error: 'reporting.privacy.url' must be one of \"send\", \"omit\", "
                  "\"hmac\", \"hash\", got \"hide\""});
  EXPECT_EQ(errors_of("[paths]\nset = \"relative.set\"\n"),
            Lines{"dijk.toml:2:7: error: 'paths.set' must be an absolute path, got \"relative.set\""});
  EXPECT_EQ(errors_of("[metrics]\nlisten = \"9475\"\n"),
            Lines{"dijk.toml:2:10: error: 'metrics.listen' must be HOST:PORT (e.g. \"127.0.0.1:9475\" or "
                  "\"[::1]:9475\"), got \"9475\""});
  EXPECT_EQ(errors_of("[feed]\nurl = \"http://hotline.example/\"\nroot_key = \"/k.pem\"\n"),
            Lines{"dijk.toml:2:7: error: 'feed.url' must be an https:// URL (the only protocol the feed and "
                  "report clients speak), got \"http://hotline.example/\""});
  EXPECT_EQ(
      errors_of("[[dataplane.ports]]\nname = \"x\"\ndevice = \"eth0\"\n"),
      Lines{"dijk.toml:3:10: error: 'dataplane.ports[0].device' must be a PCI address (\"0000:03:00.0\") or "
            "a DPDK vdev (\"net_pcap0,iface=eth0\"), got \"eth0\""});
}

TEST(ConfigLoader, CrossKeyRules) {
  EXPECT_EQ(
      errors_of("[dataplane]\nmode = \"inline\"\n"),
      Lines{"dijk.toml:2:8: error: 'dataplane.mode' = \"inline\" needs exactly 2 ports (one each side of the "
            "bridge), found 0"});
  EXPECT_EQ(errors_of("[feed]\nurl = \"https://h.example/f\"\nname = \"nl\"\n"),
            Lines{"dijk.toml:2:7: error: 'feed.url' is set but 'feed.root_key' is not: every feed update is "
                  "verified against the pinned root key"});
  EXPECT_EQ(errors_of("[feed]\nurl = \"https://h.example/f\"\nroot_key = \"/etc/dijk/root.pub\"\n"),
            Lines{"dijk.toml:2:7: error: 'feed.url' is set but 'feed.name' is not: the root key delegates "
                  "signing for one named feed"});
  EXPECT_EQ(
      errors_of("[reporting]\nclient_cert = \"/c.pem\"\n"),
      Lines{"dijk.toml:2:15: error: 'reporting.client_cert' is set but 'reporting.client_key' is not: they "
            "go together"});
  EXPECT_EQ(errors_of("[dataplane]\nlcores = [1, 1]\n"),
            Lines{"dijk.toml:2:14: error: 'dataplane.lcores' lists lcore 1 twice"});
}

TEST(ConfigLoader, SyntaxErrorHasPosition) {
  EXPECT_EQ(errors_of("a = = 1\n"),
            Lines{"dijk.toml:1:5: error: Error while parsing value: could not determine value type"});
}

TEST(ConfigLoader, ReportsAllErrorsNotJustTheFirst) {
  const std::string text = R"([dataplane]
lcore = [1]
mode = "bridge"
flow_table_cap = 12
[hashing]
broken = = 3
algorithms = ["md5", "crc"]
[metrics]
listen = "0.0.0.0"
also broken
)";
  const auto errors = errors_of(text);
  ASSERT_EQ(errors.size(), 7u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0],
            "dijk.toml:2:1: error: unknown key 'dataplane.lcore', did you mean 'dataplane.lcores'?");
  EXPECT_EQ(errors[1],
            "dijk.toml:3:8: error: 'dataplane.mode' must be one of \"mirror\", \"inline\", got \"bridge\"");
  EXPECT_EQ(errors[2],
            "dijk.toml:4:18: error: 'dataplane.flow_table_cap' must be between 1024 and 268435456, got 12");
  EXPECT_EQ(errors[3], "dijk.toml:6:10: error: Error while parsing value: could not determine value type");
  EXPECT_EQ(errors[4],
            "dijk.toml:7:22: error: 'hashing.algorithms[1]' must be one of \"md5\", \"sha1\", \"sha256\", "
            "got \"crc\"");
  EXPECT_TRUE(errors[5].starts_with("dijk.toml:9:10: error: 'metrics.listen' must be HOST:PORT"))
      << errors[5];
  EXPECT_TRUE(errors[6].starts_with("dijk.toml:10:")) << errors[6];
}

TEST(ConfigLoader, ValidValuesSurviveNextToBadOnes) {
  const auto r = dijk::load_config_text("[dataplane]\nflow_table_cap = 1\nreassembly_memory_mb = 64\n", "x");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.config.dataplane.reassembly_memory_mb, 64u);
  EXPECT_EQ(r.config.dataplane.flow_table_cap, dijk::DataplaneConfig{}.flow_table_cap);
}

TEST(ConfigLoader, MissingFileIsOneClearError) {
  const auto r = dijk::load_config_file("/nonexistent/dijk.toml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(),
            "/nonexistent/dijk.toml: error: cannot read the file: No such file or directory");
}

TEST(ConfigLoader, OversizedInputRefusedWithoutParsing) {
  const std::string huge(dijk::kMaxConfigBytes + 1, '#');
  const auto r = dijk::load_config_text(huge, "big.toml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(),
            "big.toml: error: file is 1048577 bytes, more than the 1048576 a config file may have");
}

TEST(ConfigLoader, ManySyntaxErrorsAreCapped) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "x = = 1\n";
  const auto r = dijk::load_config_text(text, "x");
  EXPECT_EQ(r.errors.size(), static_cast<std::size_t>(dijk::kMaxSyntaxErrors) + 1);
}

TEST(EditDistance, Basics) {
  EXPECT_EQ(dijk::edit_distance("lcore", "lcores"), 1u);
  EXPECT_EQ(dijk::edit_distance("", "abc"), 3u);
  EXPECT_EQ(dijk::edit_distance("kitten", "sitting"), 3u);
}

// The feed's and the reporter's clients speak https only (libcurl is limited to it), loopback included: a
// plain http:// URL used to validate and then fail at run time with "Protocol http not supported".
TEST(ConfigLoader, PlainHttpIsRefusedEvenToLoopbackAsTheClientsRefuseIt) {
  EXPECT_EQ(
      errors_of("[feed]\nurl = \"http://127.0.0.1:8080/feed/\"\nroot_key = \"/k.pem\"\nname = \"nl\"\n"),
      Lines{"dijk.toml:2:7: error: 'feed.url' must be an https:// URL (the only protocol the feed and "
            "report clients speak), got \"http://127.0.0.1:8080/feed/\""});
  EXPECT_EQ(errors_of("[reporting]\nurl = \"http://localhost/v1/hits\"\n"),
            Lines{"dijk.toml:2:7: error: 'reporting.url' must be an https:// URL (the only protocol the feed "
                  "and report clients speak), got \"http://localhost/v1/hits\""});
  EXPECT_TRUE(
      errors_of("[feed]\nurl = \"https://127.0.0.1:8443/feed/\"\nroot_key = \"/k.pem\"\nname = \"nl\"\n")
          .empty());
}

TEST(ConfigLoader, ReadsCheckApiAndPolicy) {
  const auto r = dijk::load_config_text(R"([check_api]
listen = "127.0.0.1:8480"
tokens = [{ name = "web", token_file = "/etc/dijk/api-tokens/web" }]
max_body_mb = 8
rate_per_client = 5
[policy]
default = "report"
[policy.lists]
hotline-a1 = "block"
[policy.categories]
B2 = "allow"
)",
                                        "dijk.toml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const auto& a = r.config.check_api;
  EXPECT_EQ(a.listen, "127.0.0.1:8480");
  ASSERT_EQ(a.tokens.size(), 1u);
  EXPECT_EQ(a.tokens[0].name, "web");
  EXPECT_EQ(a.tokens[0].token_file, "/etc/dijk/api-tokens/web");
  EXPECT_EQ(a.max_body_mb, 8u);
  EXPECT_EQ(a.rate_per_client, 5u);
  EXPECT_EQ(a.journal, "/var/lib/dijk/journal-api");
  EXPECT_EQ(r.config.policy.default_action, dijk::Verdict::report);
  EXPECT_EQ(r.config.policy.lists, (std::vector<dijk::PolicyRule>{{"hotline-a1", dijk::Verdict::block}}));
  EXPECT_EQ(r.config.policy.categories, (std::vector<dijk::PolicyRule>{{"B2", dijk::Verdict::allow}}));
}

TEST(ConfigLoader, CheckApiAndPolicyErrors) {
  EXPECT_EQ(errors_of("[check_api]\nlisten = \"127.0.0.1:8480\"\n"),
            Lines{"dijk.toml:2:10: error: 'check_api.listen' is set but neither 'check_api.tokens' nor "
                  "'check_api.tls_client_ca' is: TCP clients must present a token or a client certificate"});
  EXPECT_EQ(errors_of("[check_api]\ntokens = [{ name = \"web\" }]\n"),
            Lines{"dijk.toml:2:11: error: 'check_api.tokens[0]' needs both name and token_file"});
  EXPECT_EQ(errors_of("[check_api]\nmax_body_mb = 0\njournal = \"rel\"\n"),
            (Lines{"dijk.toml:2:15: error: 'check_api.max_body_mb' must be between 1 and 1024, got 0",
                   "dijk.toml:3:11: error: 'check_api.journal' must be an absolute path, got \"rel\""}));
  EXPECT_EQ(
      errors_of("[policy]\ndefault = \"deny\"\n[policy.lists]\nx = \"drop\"\n"),
      (Lines{"dijk.toml:2:11: error: 'policy.default' must be one of \"allow\", \"report\", \"block\", "
             "got \"deny\"",
             "dijk.toml:4:5: error: 'policy.lists.x' must be one of \"allow\", \"report\", \"block\", got "
             "\"drop\""}));
}

// [check_api] TLS keys: the files are read and checked, so the test makes a real PKI (openssl command line).
class CheckApiTlsConfig : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("dijk-config-tls-" + std::to_string(::getpid())));
    pki_ = new dijk::test::ClientCertPki(dijk::test::make_client_cert_pki(*dir_, "uploads-web-01"));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete pki_;
    delete dir_;
  }
  // [check_api] with a TCP listener and the given lines.
  static std::string api(const std::string& lines) {
    return "[check_api]\nlisten = \"127.0.0.1:8480\"\n" + lines;
  }
  static std::string key_line(const char* key, const std::filesystem::path& p) {
    return std::string(key) + " = \"" + p.string() + "\"\n";
  }
  static std::filesystem::path* dir_;
  static dijk::test::ClientCertPki* pki_;
};
std::filesystem::path* CheckApiTlsConfig::dir_ = nullptr;
dijk::test::ClientCertPki* CheckApiTlsConfig::pki_ = nullptr;

TEST_F(CheckApiTlsConfig, ReadsClientCertificateSetupWithoutTokens) {
  const auto r =
      dijk::load_config_text(api(key_line("tls_cert", pki_->server_cert) +
                                 key_line("tls_key", pki_->server_key) + key_line("tls_client_ca", pki_->ca) +
                                 "tls_client_names = { \"uploads-web-01\" = \"uploads-web\" }\n"),
                             "dijk.toml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const auto& a = r.config.check_api;
  EXPECT_EQ(a.tls_cert, pki_->server_cert.string());
  EXPECT_EQ(a.tls_key, pki_->server_key.string());
  EXPECT_EQ(a.tls_client_ca, pki_->ca.string());
  EXPECT_EQ(a.tls_client_names,
            (std::vector<std::pair<std::string, std::string>>{{"uploads-web-01", "uploads-web"}}));
  EXPECT_TRUE(a.tokens.empty());
  // What the loader read, rendered, loads back the same.
  const auto again = dijk::load_config_text(dijk::render_toml(r.config), "rendered.toml");
  ASSERT_TRUE(again.ok()) << again.error_text();
  EXPECT_EQ(again.config.check_api, a);
}

TEST_F(CheckApiTlsConfig, CertificateAndKeyGoTogether) {
  EXPECT_EQ(errors_of(api("tokens = [{ name = \"web\", token_file = \"/t\" }]\n" +
                          key_line("tls_cert", pki_->server_cert))),
            Lines{"dijk.toml:4:12: error: 'check_api.tls_cert' is set but 'check_api.tls_key' is not: they "
                  "go together"});
  EXPECT_EQ(errors_of(api("tokens = [{ name = \"web\", token_file = \"/t\" }]\n" +
                          key_line("tls_key", pki_->server_key))),
            Lines{"dijk.toml:4:11: error: 'check_api.tls_key' is set but 'check_api.tls_cert' is not: they "
                  "go together"});
}

TEST_F(CheckApiTlsConfig, ClientCaAndNamesNeedTheirPrerequisites) {
  EXPECT_EQ(errors_of(api(key_line("tls_client_ca", pki_->ca))),
            Lines{"dijk.toml:3:17: error: 'check_api.tls_client_ca' is set but 'check_api.tls_cert' and "
                  "'check_api.tls_key' are not: client certificates are asked for in a TLS handshake"});
  EXPECT_EQ(errors_of(api("tokens = [{ name = \"web\", token_file = \"/t\" }]\n" +
                          key_line("tls_cert", pki_->server_cert) + key_line("tls_key", pki_->server_key) +
                          "tls_client_names = { a = \"b\" }\n")),
            Lines{"dijk.toml:6:20: error: 'check_api.tls_client_names' is set but 'check_api.tls_client_ca' "
                  "is not: names are given to client certificates"});
  EXPECT_EQ(errors_of(api(key_line("tls_cert", pki_->server_cert) + key_line("tls_key", pki_->server_key) +
                          key_line("tls_client_ca", pki_->ca) + "tls_client_names = { a = \"b c\" }\n")),
            Lines{"dijk.toml:6:26: error: 'check_api.tls_client_names.a' must be 1 to 64 characters of "
                  "letters, digits, '.', '_' or '-', got \"b c\""});
}

TEST_F(CheckApiTlsConfig, TlsIsForTheTcpListenerOnly) {
  EXPECT_EQ(errors_of("[check_api]\n" + key_line("tls_cert", pki_->server_cert) +
                      key_line("tls_key", pki_->server_key)),
            Lines{"dijk.toml:2:12: error: 'check_api.tls_cert' is set but 'check_api.listen' is not: TLS is "
                  "for the TCP listener (the unix socket is guarded by its group)"});
}

TEST_F(CheckApiTlsConfig, FilesMustBeReadableAndTheKeyTheCertificates) {
  const std::string token = "tokens = [{ name = \"web\", token_file = \"/t\" }]\n";
  const std::string missing = (*dir_ / "missing.crt").string();
  EXPECT_EQ(errors_of(api(token + key_line("tls_cert", missing) + key_line("tls_key", pki_->server_key))),
            Lines{"dijk.toml:4:12: error: 'check_api.tls_cert': cannot read " + missing +
                  ": No such file or directory"});
  EXPECT_EQ(
      errors_of(api(token + key_line("tls_cert", pki_->server_cert) + key_line("tls_key", pki_->stray_key))),
      Lines{"dijk.toml:5:11: error: 'check_api.tls_key': " + pki_->stray_key.string() +
            " is not the private key of the certificate in " + pki_->server_cert.string()});
  EXPECT_EQ(
      errors_of(api(token + key_line("tls_cert", pki_->server_key) + key_line("tls_key", pki_->server_key))),
      Lines{"dijk.toml:4:12: error: 'check_api.tls_cert': " + pki_->server_key.string() +
            " holds no PEM certificate"});
  EXPECT_EQ(errors_of(api(key_line("tls_cert", pki_->server_cert) + key_line("tls_key", pki_->server_key) +
                          key_line("tls_client_ca", pki_->stray_key))),
            Lines{"dijk.toml:5:17: error: 'check_api.tls_client_ca': " + pki_->stray_key.string() +
                  " holds no PEM certificate"});
  // A FIFO (or a terminal) would block the read, and every daemon loading the config with it.
  const std::string fifo = (*dir_ / "cert.fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(errors_of(api(token + key_line("tls_cert", fifo) + key_line("tls_key", pki_->server_key))),
            Lines{"dijk.toml:4:12: error: 'check_api.tls_cert': " + fifo + " is not a regular file"});
}

}  // namespace
