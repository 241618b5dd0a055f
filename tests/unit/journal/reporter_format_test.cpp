#include <gtest/gtest.h>

#include "control/reporter/privacy.h"
#include "control/reporter/report_format.h"
#include "tests/unit/journal/test_hits.h"

namespace dijk::reporter {
namespace {

journal::JournalEntry entry(const HitEvent& h, std::uint64_t pos) {
  journal::JournalEntry e;
  e.position = pos;
  e.record.appliance_id = "appliance-1";
  e.record.hit = h;
  return e;
}

HmacKey test_key() {
  return HmacKey(std::vector<std::uint8_t>(20, 0x0b));
}

TEST(ReporterPrivacy, HmacMatchesRfc4231) {
  // RFC 4231 test case 1: key = 20 bytes of 0x0b, data = "Hi There".
  EXPECT_EQ(test_key().hex_mac("Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_THROW(HmacKey(std::vector<std::uint8_t>(8, 1)), std::runtime_error);
}

TEST(ReporterFormat, AJournalOtherThanWireIsNamedInTheKeyAndTheHit) {
  const auto wire = hit_to_json(entry(journal::testing::wire_hit(5), 777), PrivacyPolicy::send_everything(),
                                nullptr, "wire");
  EXPECT_EQ(wire["key"], "appliance-1:777");
  EXPECT_FALSE(wire.contains("journal"));
  const auto api = hit_to_json(entry(journal::testing::wire_hit(5), 777), PrivacyPolicy::send_everything(),
                               nullptr, "api");
  EXPECT_EQ(api["key"], "appliance-1:api:777");
  EXPECT_EQ(api["journal"], "api");
  EXPECT_EQ(api["position"], 777);
  EXPECT_EQ(hit_id("api", 777), "api:777");
  EXPECT_EQ(hit_id("wire", 777), "777");
  EXPECT_EQ(hit_id("", 777), "777");
}

TEST(ReporterFormat, TheDefaultPolicySendsTheClientAddressOnlyAsAnHmac) {
  // The one default, shared by dijk.toml and the report verb (docs/journal.md, config/dijk.example.toml).
  const PrivacyPolicy p;
  EXPECT_EQ(p.client_ip, FieldPolicy::hmac);
  EXPECT_EQ(p.url, FieldPolicy::send);
  EXPECT_EQ(p.filename, FieldPolicy::send);
  EXPECT_EQ(p.hmac_key, "/var/lib/dijk/state/privacy-hmac.key");
  EXPECT_TRUE(p.any_hmac());
  EXPECT_FALSE(PrivacyPolicy::send_everything().any_hmac());
  EXPECT_THROW(hit_to_json(entry(journal::testing::wire_hit(5), 1), p, nullptr), std::logic_error)
      << "hashing needs the key";
  const HmacKey key = test_key();
  const auto j = hit_to_json(entry(journal::testing::wire_hit(5), 1), p, &key);
  EXPECT_FALSE(j.contains("client_ip"));
  EXPECT_FALSE(j.contains("client_port"));
  EXPECT_EQ(j["client_ip_hmac"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["url"], "http://uploads.example/upload?id=5");
}

TEST(ReporterFormat, SendPolicyCarriesEveryField) {
  const auto j =
      hit_to_json(entry(journal::testing::wire_hit(5), 777), PrivacyPolicy::send_everything(), nullptr);
  EXPECT_EQ(j["key"], "appliance-1:777");
  EXPECT_EQ(j["position"], 777);
  EXPECT_EQ(j["client_ip"], "192.0.2.7");
  EXPECT_EQ(j["client_port"], 51515);
  EXPECT_EQ(j["server_ip"], "198.51.100.1");
  EXPECT_EQ(j["url"], "http://uploads.example/upload?id=5");
  EXPECT_EQ(j["filename"], "holiday-5.jpg");
  EXPECT_EQ(j["hash"], journal::testing::numbered_hash(5));
  EXPECT_EQ(j["source"], "wire");
}

TEST(ReporterFormat, AWireHitTheBridgeBlockedSaysSo) {
  HitEvent h = journal::testing::wire_hit(6);
  h.action = "blocked";  // the inline bridge stopped the upload (dataplane.ips)
  const auto j = hit_to_json(entry(h, 778), PrivacyPolicy::send_everything(), nullptr);
  EXPECT_EQ(j["action"], "blocked");
  EXPECT_EQ(j["source"], "wire");
  EXPECT_FALSE(j.contains("customer"));
  EXPECT_FALSE(
      hit_to_json(entry(journal::testing::wire_hit(7), 779), PrivacyPolicy::send_everything(), nullptr)
          .contains("action"));
}

TEST(ReporterFormat, OmitAndHashPoliciesKeepValuesOnTheAppliance) {
  PrivacyPolicy p;
  p.client_ip = FieldPolicy::omit;
  p.url = FieldPolicy::hmac;
  p.filename = FieldPolicy::hmac;
  const HmacKey key = test_key();
  const auto j = hit_to_json(entry(journal::testing::wire_hit(5), 1), p, &key);
  EXPECT_FALSE(j.contains("client_ip"));
  EXPECT_FALSE(j.contains("client_ip_hmac"));
  EXPECT_FALSE(j.contains("client_port"));
  EXPECT_FALSE(j.contains("url"));
  EXPECT_EQ(j["url_hmac"], key.hex_mac("http://uploads.example/upload?id=5"));
  EXPECT_EQ(j["filename_hmac"], key.hex_mac("holiday-5.jpg"));
  const std::string text = j.dump();
  EXPECT_EQ(text.find("192.0.2.7"), std::string::npos);
  EXPECT_EQ(text.find("holiday"), std::string::npos);
  EXPECT_EQ(text.find("uploads.example"), std::string::npos);
  // File hits: the path follows the filename policy.
  const auto f = hit_to_json(entry(journal::testing::file_hit(2), 2), p, &key);
  EXPECT_FALSE(f.contains("path"));
  EXPECT_EQ(f["path_hmac"], key.hex_mac("/srv/spool/2.png"));
  EXPECT_EQ(f["pdq_distance"], 12);
  EXPECT_FALSE(f.contains("owner_uid"));  // no stat read: nothing made up
  // A stored file read by a scan: its owner and mtime go along.
  HitEvent stored = journal::testing::file_hit(3);
  stored.file_stat = FileStat{1007, 1'700'000'000'123'456'789};
  const auto s = hit_to_json(entry(stored, 3), p, &key);
  EXPECT_EQ(s["owner_uid"], 1007);
  EXPECT_EQ(s["mtime_ns"], 1'700'000'000'123'456'789);
}

TEST(ReporterFormat, HashingWithoutAKeyIsAnError) {
  PrivacyPolicy p;
  p.client_ip = FieldPolicy::hmac;
  EXPECT_THROW(hit_to_json(entry(journal::testing::wire_hit(5), 1), p, nullptr), std::logic_error);
}

TEST(ReporterFormat, Ipv6AddressesPrintInTextForm) {
  IpAddress a;
  a.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(format_ip(a), "2001:db8::1");
}

// The heartbeat rides as a top-level member, beside the hits or alone, and the inbox reads it from there.
TEST(ReporterFormat, AHeartbeatRidesBesideTheHitsOrAlone) {
  const nlohmann::json beat{{"appliance", "a1"}, {"set_version", 7}};
  const std::vector<nlohmann::json> hits{nlohmann::json{{"key", "a1:0"}}};
  auto report = nlohmann::json::parse(build_report(hits, 1, &beat));
  EXPECT_EQ(report["format"], kReportFormat);
  EXPECT_EQ(report["hits"].size(), 1u);
  EXPECT_EQ(report["heartbeat"], beat);
  report = nlohmann::json::parse(build_report({}, 0, &beat));
  EXPECT_TRUE(report["hits"].empty());
  EXPECT_EQ(report["heartbeat"]["set_version"], 7);
  EXPECT_FALSE(nlohmann::json::parse(build_report(hits, 1)).contains("heartbeat"));
}

}  // namespace
}  // namespace dijk::reporter
