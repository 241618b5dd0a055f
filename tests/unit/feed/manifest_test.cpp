// The manifest parser and the chain of signatures: what verifies, and every way it must not.
#include <gtest/gtest.h>

#include "control/feed/trust.h"

namespace dijk::feed {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

struct Chain {
  SigningKey root = SigningKey::generate();
  SigningKey feed_key = SigningKey::generate();
  Delegation delegation{"nl-test", 3, {}, kNow + 86400};
  Manifest manifest;

  Chain() {
    delegation.key = feed_key.public_key();
    manifest.feed = "nl-test";
    manifest.version = 7;
    manifest.issued = kNow - 10;
    manifest.expires = kNow + 3600;
    manifest.key_serial = 3;
    manifest.snapshot = {"snapshot-7.dfc", 1234, sha256("snapshot")};
    manifest.deltas.push_back({5, 6, {"delta-5-6.dfc", 10, sha256("a")}});
    manifest.deltas.push_back({6, 7, {"delta-6-7.dfc", 20, sha256("b")}});
  }
  std::string file() const {
    return assemble_manifest_file(sign_block(render_delegation(delegation), root), manifest, feed_key);
  }
  TrustPolicy policy() const { return {{root.public_key()}, "nl-test", 3, 6, 300}; }
};

TEST(Manifest, RoundTripsEveryField) {
  Chain c;
  const ManifestFile f = parse_manifest_file(c.file());
  EXPECT_EQ(f.delegation.feed, "nl-test");
  EXPECT_EQ(f.delegation.serial, 3u);
  EXPECT_EQ(f.delegation.key, c.feed_key.public_key());
  EXPECT_EQ(f.manifest.version, 7u);
  EXPECT_EQ(f.manifest.expires, kNow + 3600);
  EXPECT_EQ(f.manifest.snapshot.name, "snapshot-7.dfc");
  EXPECT_EQ(f.manifest.snapshot.length, 1234u);
  EXPECT_EQ(f.manifest.snapshot.sha256, sha256("snapshot"));
  ASSERT_EQ(f.manifest.deltas.size(), 2u);
  EXPECT_EQ(f.manifest.deltas[1].from, 6u);
  EXPECT_EQ(f.manifest.deltas[1].file.name, "delta-6-7.dfc");
  EXPECT_TRUE(verify_manifest(f, c.policy(), kNow).ok());
}

TEST(Manifest, EveryTruncationIsAClearErrorNotACrash) {
  Chain c;
  const std::string text = c.file();
  for (std::size_t n = 0; n < text.size(); ++n) {
    EXPECT_THROW(parse_manifest_file(text.substr(0, n)), FeedFormatError) << "prefix of " << n << " bytes";
  }
}

TEST(Manifest, RefusesHostileFields) {
  Chain c;
  const std::string good = c.file();
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    const auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    return t;
  };
  EXPECT_THROW(parse_manifest_file(with("version 7", "version -7")), FeedFormatError);
  EXPECT_THROW(parse_manifest_file(with("version 7", "version 99999999999999999999999")), FeedFormatError);
  EXPECT_THROW(parse_manifest_file(with("version 7", "version 0x7")), FeedFormatError);
  EXPECT_THROW(parse_manifest_file(with("snapshot-7.dfc", "../etc/passwd")), FeedFormatError);
  EXPECT_THROW(parse_manifest_file(with("snapshot-7.dfc", ".hidden")), FeedFormatError);
  EXPECT_THROW(parse_manifest_file(with("delta 6 7", "delta 7 6")), FeedFormatError);
  EXPECT_THROW(parse_manifest_file(with("feed nl-test\nversion", "feed nl\x01test\nversion")),
               FeedFormatError);
  EXPECT_THROW(parse_manifest_file(with("issued", "issued  ")), FeedFormatError);
  EXPECT_THROW(parse_manifest_file(good + "x\n"), FeedFormatError);
  EXPECT_THROW(parse_manifest_file(std::string(kMaxManifestBytes + 1, 'a')), FeedFormatError);
  EXPECT_THROW(parse_manifest_file(std::string(kMaxLineBytes + 10, 'a') + "\n"), FeedFormatError);
}

TEST(Manifest, CapsTheNumberOfDeltas) {
  Chain c;
  c.manifest.version = 1000;
  c.manifest.deltas.clear();
  for (std::uint64_t v = 1; v <= kMaxDeltas + 1; ++v) c.manifest.deltas.push_back({v, v + 1, {"d", 1, {}}});
  EXPECT_THROW(parse_manifest_file(c.file()), FeedFormatError);
}

TEST(Trust, AlteredManifestFailsItsSignature) {
  Chain c;
  std::string text = c.file();
  text.replace(text.find("1234"), 4, "1235");
  const Verdict v = verify_manifest(parse_manifest_file(text), c.policy(), kNow);
  EXPECT_EQ(v.failure, Failure::bad_signature);
}

TEST(Trust, DelegationFromAnotherRootIsUntrusted) {
  Chain c;
  Chain other;
  TrustPolicy p = c.policy();
  p.roots = {other.root.public_key()};
  EXPECT_EQ(verify_manifest(parse_manifest_file(c.file()), p, kNow).failure, Failure::untrusted_delegation);
  // Any of several pinned roots will do.
  p.roots.push_back(c.root.public_key());
  EXPECT_TRUE(verify_manifest(parse_manifest_file(c.file()), p, kNow).ok());
}

TEST(Trust, ManifestSignedByAnUndelegatedKeyFails) {
  Chain c;
  const std::string delegation = sign_block(render_delegation(c.delegation), c.root);
  const std::string forged = assemble_manifest_file(delegation, c.manifest, SigningKey::generate());
  EXPECT_EQ(verify_manifest(parse_manifest_file(forged), c.policy(), kNow).failure, Failure::bad_signature);
}

TEST(Trust, AlteredDelegationIsUntrusted) {
  Chain c;
  std::string text = c.file();
  text.replace(text.find("serial 3"), 8, "serial 9");
  EXPECT_EQ(verify_manifest(parse_manifest_file(text), c.policy(), kNow).failure,
            Failure::untrusted_delegation);
}

TEST(Trust, FreshnessOrderAndKeyGeneration) {
  Chain c;
  const ManifestFile f = parse_manifest_file(c.file());
  EXPECT_EQ(verify_manifest(f, c.policy(), kNow + 3600).failure, Failure::expired);
  EXPECT_EQ(verify_manifest(f, c.policy(), kNow - 1000).failure, Failure::not_yet_valid);
  EXPECT_EQ(verify_manifest(f, c.policy(), kNow + 86400).failure, Failure::key_expired);
  TrustPolicy p = c.policy();
  p.accepted_version = 8;
  EXPECT_EQ(verify_manifest(f, p, kNow).failure, Failure::rollback);
  p.accepted_version = 7;
  const Verdict same = verify_manifest(f, p, kNow);
  EXPECT_TRUE(same.ok());
  EXPECT_TRUE(same.up_to_date);
  p = c.policy();
  p.min_key_serial = 4;
  EXPECT_EQ(verify_manifest(f, p, kNow).failure, Failure::revoked_key);
  p = c.policy();
  p.feed = "de-test";
  EXPECT_EQ(verify_manifest(f, p, kNow).failure, Failure::wrong_feed);
}

TEST(Crypto, SignaturesAreEd25519AndKeysRoundTripThroughPem) {
  const SigningKey k = SigningKey::generate();
  const Signature s = k.sign("message");
  EXPECT_TRUE(verify(k.public_key(), "message", s));
  EXPECT_FALSE(verify(k.public_key(), "messagE", s));
  const std::string path = ::testing::TempDir() + "/dijk-key-test.pem";
  k.save_pem(path);
  EXPECT_EQ(SigningKey::load_pem(path).public_key(), k.public_key());
  EXPECT_EQ(key_from_hex(key_to_hex(k.public_key())), k.public_key());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace dijk::feed
