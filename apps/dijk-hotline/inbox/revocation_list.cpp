#include "apps/dijk-hotline/inbox/revocation_list.h"

#include <openssl/err.h>

#include <fstream>
#include <sstream>

namespace dijk::inbox {
namespace {

constexpr std::uintmax_t kMaxCrlBytes = 16u << 20;

std::string read_capped(const std::filesystem::path& path, std::uintmax_t most) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw enroll::PkiError(path.string() + ": " + ec.message());
  if (size > most) throw enroll::PkiError(path.string() + ": larger than " + std::to_string(most) + " bytes");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw enroll::PkiError(path.string() + ": cannot read it");
  return text.str();
}

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

RevocationList::RevocationList(std::filesystem::path crl, const std::filesystem::path& client_ca, Log log)
    : path_(std::move(crl)), log_(std::move(log)) {
  if (path_.empty()) return;
  issuers_ = enroll::read_certificates_pem(read_capped(client_ca, kMaxCrlBytes), 64, client_ca.string());
  if (::stat(path_.c_str(), &seen_) != 0) throw enroll::PkiError(path_.string() + ": cannot read it");
  crl_ = load();
}

enroll::CrlPtr RevocationList::load() const {
  auto crl = enroll::read_crl_pem(read_capped(path_, kMaxCrlBytes), path_.string());
  for (const auto& ca : issuers_) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.get())) != 0) continue;
    if (X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())) == 1) return crl;
  }
  ERR_clear_error();
  throw enroll::PkiError(path_.string() + ": not signed by the client CA");
}

void RevocationList::reload_if_changed() {
  struct stat now {};
  if (::stat(path_.c_str(), &now) != 0) {
    if (seen_.st_ino != 0)
      log_("revocation list " + path_.string() + " is gone; the last one read stays in force");
    seen_ = {};
    return;
  }
  if (same_file(now, seen_)) return;
  seen_ = now;
  try {
    crl_ = load();
    log_("revocation list " + path_.string() + " read again: " +
         std::to_string(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl_.get()))) + " revoked certificate(s)");
  } catch (const enroll::PkiError& e) {
    log_(std::string("revocation list not replaced: ") + e.what() + "; the last one read stays in force");
  }
}

std::string RevocationList::revoked_serial(X509* cert) {
  if (path_.empty() || cert == nullptr) return {};
  std::lock_guard lock(mutex_);
  reload_if_changed();
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_cert(crl_.get(), &entry, cert) != 1) return {};
  return enroll::serial_hex(X509_get0_serialNumber(cert));
}

}  // namespace dijk::inbox
