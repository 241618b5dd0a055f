#pragma once
// The appliance certificates the inbox no longer lets in: a PEM CRL signed by the client CA
// (`dijk-hotline enroll revoke` writes it). Consulted after each handshake and before each request, and
// read again whenever the file changes (a replacement by rename, a new size or mtime), so a revocation
// takes effect at the appliance's next request without restarting the inbox. A list that no longer reads,
// or is not signed by the client CA, is logged and ignored: the last good one stays in force.
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "control/enroll/pki.h"

namespace dijk::inbox {

class RevocationList {
 public:
  using Log = std::function<void(std::string_view)>;
  // crl empty: nothing is revoked. Otherwise the list must read at start (throws enroll::PkiError).
  RevocationList(std::filesystem::path crl, const std::filesystem::path& client_ca, Log log);

  // The serial (hex) of `cert` if the list revokes it, else "".
  std::string revoked_serial(X509* cert);

 private:
  void reload_if_changed();  // with mutex_ held
  enroll::CrlPtr load() const;

  std::filesystem::path path_;
  std::vector<enroll::CertPtr> issuers_;  // the client CA: a list must be signed by one of them
  Log log_;
  std::mutex mutex_;
  enroll::CrlPtr crl_;
  struct stat seen_ {};  // the file as last read (or tried)
};

}  // namespace dijk::inbox
