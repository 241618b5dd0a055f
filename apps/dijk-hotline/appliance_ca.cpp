#include "apps/dijk-hotline/appliance_ca.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "control/feed/files.h"
#include "core/durable_file.h"

namespace dijk::hotline {
namespace {

using enroll::PkiError;
constexpr std::uint64_t kMaxPemBytes = 1 << 20;
constexpr std::uint64_t kMaxLogBytes = 64ull << 20;
constexpr std::size_t kMaxReasonBytes = 200;
// Certificates start this far in the past, so an appliance whose clock is a little behind accepts them.
constexpr std::int64_t kBackdate = 300;

std::string openssl_reason() {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

void check(int ok, const std::string& step) {
  if (ok != 1) throw PkiError(step + ": " + openssl_reason());
}

// A random positive 127-bit serial: unique without a counter to keep.
void set_random_serial(X509* cert) {
  unsigned char bytes[16];
  check(RAND_bytes(bytes, sizeof bytes), "random serial");
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;  // never a leading zero byte, so every serial has the same length
  BIGNUM* bn = BN_bin2bn(bytes, sizeof bytes, nullptr);
  if (bn == nullptr) throw PkiError("out of memory");
  const bool ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
  BN_free(bn);
  if (!ok) throw PkiError("serial: " + openssl_reason());
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw PkiError(std::string("extension ") + value + ": " + openssl_reason());
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(ok, "add extension");
}

void set_validity(X509* cert, std::int64_t now, int days) {
  if (X509_time_adj_ex(X509_getm_notBefore(cert), 0, -kBackdate, &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, &now) == nullptr) {
    throw PkiError("validity: " + openssl_reason());
  }
}

// One line of a log, split at tabs.
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string f;
  while (std::getline(in, f, '\t')) out.push_back(f);
  return out;
}

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::vector<std::string> out;
  if (!std::filesystem::exists(file)) return out;
  std::istringstream in(feed::read_text_file(file.string(), kMaxLogBytes));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// A reason stays on its line and in its column: no control characters, bounded.
std::string clean_reason(const std::string& reason) {
  std::string out;
  for (const char c : reason.substr(0, kMaxReasonBytes)) {
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  }
  return out.empty() ? "unspecified" : out;
}

}  // namespace

void ApplianceCa::create(const std::filesystem::path& dir, const std::string& name, int days) {
  if (std::filesystem::exists(dir / "ca.key") || std::filesystem::exists(dir / "ca.crt")) {
    throw PkiError(dir.string() + " already holds a CA; it is never overwritten");
  }
  if (name.empty() || name.size() > 64) throw PkiError("the CA's name must be 1 to 64 characters");
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  const auto key = enroll::generate_key();
  enroll::CertPtr cert(X509_new());
  if (!cert) throw PkiError("out of memory");
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  check(X509_set_version(cert.get(), 2), "version");
  set_random_serial(cert.get());
  set_validity(cert.get(), now, days);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0),
        "subject");
  check(X509_set_issuer_name(cert.get(), subject), "issuer");
  check(X509_set_pubkey(cert.get(), key.get()), "public key");
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) throw PkiError("sign: " + openssl_reason());
  write_file_durably(dir / "ca.key", enroll::private_key_pem(key.get()), 0600);
  write_file_durably(dir / "ca.crt", enroll::certificate_pem(cert.get()), 0644);
  ApplianceCa(dir).write_crl(now);
}

ApplianceCa::Lock::Lock(const std::filesystem::path& file) {
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw PkiError("cannot lock " + file.string());
  }
}

ApplianceCa::Lock::~Lock() {
  ::close(fd_);  // releases the lock
}

namespace {
// The directory, once it is known to hold a CA (so that no lock file is made elsewhere).
std::filesystem::path ca_dir(std::filesystem::path dir) {
  if (!std::filesystem::exists(dir / "ca.key")) {
    throw PkiError(dir.string() + " holds no CA (make one with `dijk-hotline ca init`)");
  }
  return dir;
}
}  // namespace

ApplianceCa::ApplianceCa(std::filesystem::path dir) : dir_(ca_dir(std::move(dir))), lock_(dir_ / "lock") {
  key_ = enroll::read_private_key_pem(feed::read_text_file((dir_ / "ca.key").string(), kMaxPemBytes),
                                      (dir_ / "ca.key").string());
  cert_ = enroll::read_certificate_pem(feed::read_text_file((dir_ / "ca.crt").string(), kMaxPemBytes),
                                       (dir_ / "ca.crt").string());
  if (!enroll::certificate_matches_key(cert_.get(), key_.get())) {
    throw PkiError(dir_.string() + ": ca.key is not the key of ca.crt");
  }
}

ApplianceCa::~ApplianceCa() = default;

enroll::CertPtr ApplianceCa::issue(const enroll::CertificateRequest& request, int days, std::int64_t now) {
  enroll::CertPtr cert(X509_new());
  if (!cert) throw PkiError("out of memory");
  check(X509_set_version(cert.get(), 2), "version");
  set_random_serial(cert.get());
  set_validity(cert.get(), now, days);
  if (ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(cert_.get())) > 0) {
    throw PkiError("the certificate would outlive the CA (ca.crt expires first): ask for fewer --days");
  }
  // Only the CN is taken from the request: whatever else it asks for (extensions, other names) is not.
  X509_NAME* subject = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(request.common_name.c_str()), -1,
                                   -1, 0),
        "subject");
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get())), "issuer");
  check(X509_set_pubkey(cert.get(), X509_REQ_get0_pubkey(request.request.get())), "public key");
  add_extension(cert.get(), cert_.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), cert_.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), cert_.get(), NID_ext_key_usage, "clientAuth");
  add_extension(cert.get(), cert_.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), cert_.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), key_.get(), EVP_sha256()) <= 0) throw PkiError("sign: " + openssl_reason());
  const std::string serial = enroll::serial_hex(X509_get0_serialNumber(cert.get()));
  append_line_durably(dir_ / "issued.log",
                      serial + "\t" + request.common_name + "\t" +
                          std::to_string(enroll::not_after(cert.get())) + "\t" + std::to_string(now),
                      0644);
  return cert;
}

std::vector<IssuedCertificate> ApplianceCa::issued() const {
  std::vector<IssuedCertificate> out;
  std::map<std::string, std::size_t> by_serial;
  for (const auto& line : lines_of(dir_ / "issued.log")) {
    const auto f = fields(line);
    if (f.size() != 4) continue;  // a line torn by a crash
    IssuedCertificate c;
    c.serial = f[0];
    c.appliance_id = f[1];
    c.not_after = std::stoll(f[2]);
    c.issued_at = std::stoll(f[3]);
    by_serial[c.serial] = out.size();
    out.push_back(std::move(c));
  }
  for (const auto& line : lines_of(dir_ / "revoked.log")) {
    const auto f = fields(line);
    if (f.size() != 3) continue;
    const auto it = by_serial.find(f[0]);
    if (it == by_serial.end() || out[it->second].revoked) continue;
    auto& c = out[it->second];
    c.revoked = true;
    c.revoked_at = std::stoll(f[1]);
    c.reason = f[2];
  }
  return out;
}

std::vector<IssuedCertificate> ApplianceCa::revoke(const std::string& which, const std::string& reason,
                                                   std::int64_t now) {
  std::string serial_form = which;
  std::transform(serial_form.begin(), serial_form.end(), serial_form.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::vector<IssuedCertificate> revoked;
  for (auto& c : issued()) {
    if (c.revoked || (c.appliance_id != which && c.serial != serial_form)) continue;
    c.revoked = true;
    c.revoked_at = now;
    c.reason = clean_reason(reason);
    append_line_durably(dir_ / "revoked.log", c.serial + "\t" + std::to_string(now) + "\t" + c.reason, 0644);
    revoked.push_back(c);
  }
  if (!revoked.empty()) write_crl(now);
  return revoked;
}

void ApplianceCa::write_crl(std::int64_t now) const {
  enroll::CrlPtr crl(X509_CRL_new());
  if (!crl) throw PkiError("out of memory");
  check(X509_CRL_set_version(crl.get(), 1), "CRL version");
  check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(cert_.get())), "CRL issuer");
  ASN1_TIME* last = ASN1_TIME_adj(nullptr, now, 0, 0);
  // The inbox reads the list whenever it changes and does not expire it; other readers (openssl crl,
  // a TLS front end) want a next update, so the list says a year.
  ASN1_TIME* next = ASN1_TIME_adj(nullptr, now, 365, 0);
  const bool times = last != nullptr && next != nullptr && X509_CRL_set1_lastUpdate(crl.get(), last) == 1 &&
                     X509_CRL_set1_nextUpdate(crl.get(), next) == 1;
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  if (!times) throw PkiError("CRL times: " + openssl_reason());
  for (const auto& c : issued()) {
    if (!c.revoked) continue;
    BIGNUM* bn = nullptr;
    if (BN_hex2bn(&bn, c.serial.c_str()) == 0) continue;
    X509_REVOKED* entry = X509_REVOKED_new();
    ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn, nullptr);
    ASN1_TIME* when = ASN1_TIME_adj(nullptr, c.revoked_at, 0, 0);
    const bool ok = entry != nullptr && serial != nullptr && when != nullptr &&
                    X509_REVOKED_set_serialNumber(entry, serial) == 1 &&
                    X509_REVOKED_set_revocationDate(entry, when) == 1 &&
                    X509_CRL_add0_revoked(crl.get(), entry) == 1;
    BN_free(bn);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(when);
    if (!ok) {
      X509_REVOKED_free(entry);
      throw PkiError("CRL entry: " + openssl_reason());
    }
  }
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), key_.get(), EVP_sha256()) <= 0)
    throw PkiError("sign CRL: " + openssl_reason());
  write_file_durably(crl_path(), enroll::crl_pem(crl.get()), 0644);
}

std::string ApplianceCa::certificate_pem() const {
  return enroll::certificate_pem(cert_.get());
}

}  // namespace dijk::hotline
