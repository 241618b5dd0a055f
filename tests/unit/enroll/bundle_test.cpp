// The enrollment bundle arrives at the appliance from outside: every wrong form is refused by name, and
// what is accepted is exactly what the hotline meant (the certificate names the appliance and chains to
// the CA that came with it). The certificate request arrives at the hotline from outside, likewise.
#include "control/enroll/bundle.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <cstdlib>

#include "control/enroll/pki.h"
#include "tests/unit/enroll/enroll_test_pki.h"

namespace dijk::enroll {
namespace {

using testing::enroll_appliance;

// The message of the PkiError that parsing `text` throws ("" if it parses).
std::string refusal(const std::string& text) {
  try {
    parse_bundle(text);
  } catch (const PkiError& e) {
    return e.what();
  }
  return "";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no '" + from + "' in the bundle");
  return text.replace(at, from.size(), to);
}

class BundleTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  testing::EnrolledAppliance appliance_ = enroll_appliance(dir_.path() / "ca", "box-1");
  std::string text_ = render_bundle(appliance_.bundle);
};

TEST_F(BundleTest, ReadsBackWhatWasWritten) {
  const auto b = parse_bundle(text_);
  EXPECT_EQ(b.appliance_id, "box-1");
  EXPECT_EQ(b.certificate, appliance_.bundle.certificate);
  EXPECT_EQ(b.ca_chain, appliance_.bundle.ca_chain);
  EXPECT_EQ(b.inbox_url, "https://127.0.0.1:8443/v1/hits");
  EXPECT_EQ(b.inbox_ca, appliance_.bundle.inbox_ca);
  EXPECT_EQ(b.feed_url, "https://feed.example/national");
  EXPECT_EQ(b.feed_name, "national");
  EXPECT_EQ(b.feed_root_key, std::string(64, 'a'));
  EXPECT_EQ(b.feed_ca, "");
  const auto cert = read_certificate_pem(b.certificate, "certificate");
  EXPECT_TRUE(certificate_matches_key(cert.get(), appliance_.key.get()));
}

TEST_F(BundleTest, AFeedIsOptionalButComesWhole) {
  auto b = appliance_.bundle;
  b.feed_url = b.feed_name = b.feed_root_key = "";
  EXPECT_EQ(parse_bundle(render_bundle(b)).feed_url, "");
  // A name or a root key without a URL.
  EXPECT_NE(refusal(render_bundle(b) + "feed_name = \"national\"\n").find("come with feed_url"),
            std::string::npos);
  EXPECT_NE(
      refusal(render_bundle(b) + "feed_root_key = \"" + std::string(64, 'a') + "\"\n").find("come with"),
      std::string::npos);
}

TEST_F(BundleTest, HostileBundlesAreRefusedByName) {
  const auto cert_body = appliance_.bundle.certificate.substr(28, 40);  // a run of base64 inside it
  const std::pair<std::string, std::string> cases[] = {
      {"", "'format' is missing"},
      {"this is not = = toml", "not TOML"},
      {text_ + "\nextra = \"x\"\n", "unknown key 'extra'"},
      {text_ + "\n[table]\n", "unknown key 'table'"},
      {replaced(text_, "format = \"dijk-enrollment/1\"", "format = \"dijk-enrollment/2\""), "format is not"},
      {replaced(text_, "appliance_id = \"box-1\"", "appliance_id = 7"), "'appliance_id' must be a string"},
      {replaced(text_, "appliance_id = \"box-1\"", "appliance_id = \"<script>\""),
       "not a valid appliance id"},
      {replaced(text_, "appliance_id = \"box-1\"", "appliance_id = \"box-2\""), "does not name appliance"},
      {replaced(text_, "appliance_id = \"box-1\"", "appliance_id = \"box-1\\n\""),
       "not a valid appliance id"},
      {replaced(text_, "https://127.0.0.1:8443/v1/hits", "http://127.0.0.1:8443/v1/hits"),
       "inbox_url is not"},
      {replaced(text_, "https://127.0.0.1:8443/v1/hits", "https://127.0.0.1 /v1/hits"), "inbox_url is not"},
      {replaced(text_, "https://feed.example/national", "file:///etc/passwd"), "feed_url is not"},
      {replaced(text_, std::string(64, 'a'), std::string(63, 'a') + "g"), "feed_root_key is not 64 hex"},
      {replaced(text_, std::string(64, 'a'), std::string(62, 'a')), "feed_root_key is not 64 hex"},
      {replaced(text_, "feed_name = \"national\"", "feed_name = \"nat ional\""), "feed_name is missing"},
      {replaced(text_, cert_body, std::string(cert_body.size(), 'A')), "not a readable certificate"},
      {replaced(text_, "-----END CERTIFICATE-----", ""), "without its end line"},
      {replaced(text_, "certificate = \"\"\"", "certificate = \"\"\"junk\n"),
       "expected \"-----BEGIN CERTIFICATE"},
      {replaced(text_, "certificate = \"\"\"", "certificate = \"\"\"" + appliance_.bundle.ca_chain),
       "more than 1 CERTIFICATE block"},
      {replaced(text_, "certificate = \"\"\"", "certificate = \"\"\"-----BEGIN PRIVATE KEY-----\n"),
       "expected \"-----BEGIN CERTIFICATE"},
      {std::string(kMaxBundleBytes + 1, '#'), "larger than"},
      {std::string("format = \"dijk-enrollment/1\"\0\n", 31), "not TOML"},
  };
  for (const auto& [text, why] : cases) {
    const std::string got = refusal(text);
    EXPECT_NE(got.find(why), std::string::npos) << "wanted \"" << why << "\", got \"" << got << "\"";
  }
}

TEST_F(BundleTest, ACertificateFromAnotherCaIsRefused) {
  test::TempDir other;
  const auto stranger = enroll_appliance(other.path() / "ca", "box-1");
  auto b = appliance_.bundle;
  b.certificate = stranger.bundle.certificate;  // right name, wrong CA
  EXPECT_NE(refusal(render_bundle(b)).find("does not chain to ca_chain"), std::string::npos);
  b = appliance_.bundle;
  b.certificate = b.ca_chain;  // the CA's own certificate is no appliance's
  EXPECT_NE(refusal(render_bundle(b)).find("does not name appliance"), std::string::npos);
}

TEST_F(BundleTest, TooManyCasAreRefused) {
  auto b = appliance_.bundle;
  b.inbox_ca = "";
  for (std::size_t i = 0; i <= kMaxCaCertificates; ++i) b.inbox_ca += appliance_.bundle.ca_chain;
  EXPECT_NE(refusal(render_bundle(b)).find("more than 8 CERTIFICATE blocks"), std::string::npos);
}

TEST(CertificateRequest, NamesTheApplianceAndIsSignedByItsKey) {
  const auto key = generate_key();
  const auto r = read_request_pem(make_request_pem(key.get(), "box-7.example"), "request");
  EXPECT_EQ(r.common_name, "box-7.example");
  EXPECT_EQ(EVP_PKEY_eq(X509_REQ_get0_pubkey(r.request.get()), key.get()), 1);
  EXPECT_THROW(make_request_pem(key.get(), "box 7"), PkiError);
  EXPECT_THROW(make_request_pem(key.get(), ""), PkiError);
}

TEST(CertificateRequest, AnAlteredRequestIsRefused) {
  const auto key = generate_key();
  const auto good = read_request_pem(make_request_pem(key.get(), "box-aaa"), "request");
  unsigned char* der = nullptr;
  const int len = i2d_X509_REQ(good.request.get(), &der);
  ASSERT_GT(len, 0);
  std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  bytes = replaced(bytes, "box-aaa", "box-bbb");  // the name changed after signing
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
  RequestPtr altered(d2i_X509_REQ(nullptr, &p, static_cast<long>(bytes.size())));
  ASSERT_TRUE(altered);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, altered.get());
  char* pem = nullptr;
  const long n = BIO_get_mem_data(bio, &pem);
  const std::string text(pem, static_cast<std::size_t>(n));
  BIO_free(bio);
  try {
    read_request_pem(text, "request");
    ADD_FAILURE() << "an altered request was accepted";
  } catch (const PkiError& e) {
    EXPECT_NE(std::string(e.what()).find("signature does not match"), std::string::npos) << e.what();
  }
}

TEST(CertificateRequest, HostileRequestsAreRefusedByName) {
  test::TempDir dir;
  const std::string script =
      "cd '" + dir.path().string() +
      "' && openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out k.pem "
      "2>/dev/null && openssl req -new -key k.pem -subj '/O=hotline/CN=box-1' -out two.csr "
      "&& openssl req -new -key k.pem -subj '/CN=box 1<b>' -out bad.csr && openssl req -new "
      "-key k.pem -subj '/O=hotline' -out none.csr";
  ASSERT_EQ(std::system(("bash -c \"" + script + "\"").c_str()), 0);
  const std::pair<std::string, std::string> cases[] = {
      {test::read_text(dir.file("two.csr")), "exactly one CN"},
      {test::read_text(dir.file("bad.csr")), "not a valid appliance id"},
      {test::read_text(dir.file("none.csr")), "not a valid appliance id"},
      {"", "no CERTIFICATE REQUEST in it"},
      {"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "not a readable"},
      {test::read_text(dir.file("two.csr")) + "trailing", "or the end"},
      {test::read_text(dir.file("k.pem")), "expected \"-----BEGIN CERTIFICATE REQUEST-----\""},
  };
  for (const auto& [text, why] : cases) {
    try {
      read_request_pem(text, "request");
      ADD_FAILURE() << "accepted; wanted \"" << why << "\"";
    } catch (const PkiError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos)
          << "wanted \"" << why << "\", got " << e.what();
    }
  }
}

}  // namespace
}  // namespace dijk::enroll
