#pragma once
// The hotline's appliance CA: one directory holding the CA's key and certificate, a record of every
// certificate it issued and revoked, and the revocation list (CRL) the inbox reads. Every appliance
// certificate names its appliance id as the subject CN, which is how the inbox tells appliances apart.
//
//   ca.key       the CA's private key (EC P-256, mode 0600)
//   ca.crt       its self-signed certificate: the inbox's --client-ca, each bundle's ca_chain
//   issued.log   one line an issued certificate: SERIAL TAB APPLIANCE TAB NOT-AFTER TAB ISSUED-AT
//   revoked.log  one line a revocation: SERIAL TAB REVOKED-AT TAB REASON
//   crl.pem      the signed revocation list, rewritten on every revocation: the inbox's --crl
//   lock         held (flock) by whoever has the CA open, so two engineers' commands never interleave
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "control/enroll/pki.h"

namespace dijk::hotline {

struct IssuedCertificate {
  std::string serial;  // upper-case hex
  std::string appliance_id;
  std::int64_t not_after = 0;  // unix seconds
  std::int64_t issued_at = 0;
  bool revoked = false;
  std::int64_t revoked_at = 0;
  std::string reason;
};

class ApplianceCa {
 public:
  // Makes a new CA in `dir` (created if missing) valid for `days`; refuses to overwrite one.
  static void create(const std::filesystem::path& dir, const std::string& name, int days);
  // Opens the CA in `dir` (throws enroll::PkiError if it is not one).
  explicit ApplianceCa(std::filesystem::path dir);
  ~ApplianceCa();
  ApplianceCa(const ApplianceCa&) = delete;
  ApplianceCa& operator=(const ApplianceCa&) = delete;

  // Signs `request` for `days`: a TLS client certificate whose CN is the request's. Recorded in issued.log.
  enroll::CertPtr issue(const enroll::CertificateRequest& request, int days, std::int64_t now);
  // Revokes every unrevoked certificate whose serial or appliance id is `which`, then rewrites crl.pem.
  // Returns what it revoked (empty if nothing matched).
  std::vector<IssuedCertificate> revoke(const std::string& which, const std::string& reason,
                                        std::int64_t now);
  // Every certificate issued, oldest first, with its revocation.
  std::vector<IssuedCertificate> issued() const;
  // Writes crl.pem from revoked.log (also done by create and revoke).
  void write_crl(std::int64_t now) const;

  std::string certificate_pem() const;
  std::filesystem::path certificate_path() const { return dir_ / "ca.crt"; }
  std::filesystem::path crl_path() const { return dir_ / "crl.pem"; }

 private:
  // An exclusive flock on DIR/lock for the object's lifetime.
  class Lock {
   public:
    explicit Lock(const std::filesystem::path& file);
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    int fd_ = -1;
  };
  std::filesystem::path dir_;
  Lock lock_;
  enroll::KeyPtr key_;
  enroll::CertPtr cert_;
};

}  // namespace dijk::hotline
