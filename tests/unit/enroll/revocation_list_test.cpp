// The inbox's revocation list: a revocation takes effect as soon as the CA rewrites crl.pem, and a list
// that does not read or was not signed by the client CA never replaces the one in force (a forged or
// broken list must not un-revoke anybody).
#include "apps/dijk-hotline/inbox/revocation_list.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "tests/unit/enroll/enroll_test_pki.h"

namespace dijk::inbox {
namespace {

namespace fs = std::filesystem;
using enroll::testing::enroll_appliance;

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

class RevocationListTest : public ::testing::Test {
 protected:
  enroll::CertPtr certificate() {
    return enroll::read_certificate_pem(appliance_.bundle.certificate, "certificate");
  }
  RevocationList list() {
    return RevocationList(ca_ / "crl.pem", ca_ / "ca.crt",
                          [this](std::string_view m) { log_.emplace_back(m); });
  }
  bool logged(const std::string& text) const {
    for (const auto& line : log_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  test::TempDir dir_;
  fs::path ca_ = dir_.path() / "ca";
  enroll::testing::EnrolledAppliance appliance_ = enroll_appliance(ca_, "box-1");
  std::vector<std::string> log_;
};

TEST_F(RevocationListTest, ARevocationTakesEffectWhenTheListIsRewritten) {
  auto revocations = list();
  const auto cert = certificate();
  EXPECT_EQ(revocations.revoked_serial(cert.get()), "");
  const auto revoked = hotline::ApplianceCa(ca_).revoke("box-1", "test", now());
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revocations.revoked_serial(cert.get()), revoked[0].serial);
  EXPECT_TRUE(logged("1 revoked certificate(s)"));
  // Another certificate of the same CA is not on the list.
  const auto other = enroll_appliance(ca_, "box-2");
  EXPECT_EQ(revocations.revoked_serial(enroll::read_certificate_pem(other.bundle.certificate, "c").get()),
            "");
}

TEST_F(RevocationListTest, AListNotSignedByTheClientCaNeverReplacesTheOneInForce) {
  hotline::ApplianceCa(ca_).revoke("box-1", "test", now());
  auto revocations = list();
  const auto cert = certificate();
  ASSERT_NE(revocations.revoked_serial(cert.get()), "");
  // An empty list from another CA of the same name (a forgery) is refused; box-1 stays revoked.
  test::TempDir other;
  hotline::ApplianceCa::create(other.path() / "ca", "test appliance CA", 2);
  fs::copy_file(other.path() / "ca" / "crl.pem", ca_ / "crl.pem.new");
  fs::rename(ca_ / "crl.pem.new", ca_ / "crl.pem");
  EXPECT_NE(revocations.revoked_serial(cert.get()), "");
  EXPECT_TRUE(logged("not signed by the client CA")) << log_.back();
  // Nor does a list that does not read, or none at all.
  test::write_text((ca_ / "crl.pem").string(), "-----BEGIN X509 CRL-----\ngarbage\n-----END X509 CRL-----\n");
  EXPECT_NE(revocations.revoked_serial(cert.get()), "");
  EXPECT_TRUE(logged("not a readable revocation list"));
  fs::remove(ca_ / "crl.pem");
  EXPECT_NE(revocations.revoked_serial(cert.get()), "");
  EXPECT_TRUE(logged("is gone"));
}

TEST_F(RevocationListTest, AnInboxDoesNotStartOnAListItCannotRead) {
  test::write_text((ca_ / "crl.pem").string(), "not a list");
  EXPECT_THROW(list(), enroll::PkiError);
  fs::remove(ca_ / "crl.pem");
  EXPECT_THROW(list(), enroll::PkiError);
  // No list configured: nothing is revoked.
  RevocationList none({}, ca_ / "ca.crt", [](std::string_view) {});
  EXPECT_EQ(none.revoked_serial(certificate().get()), "");
}

}  // namespace
}  // namespace dijk::inbox
