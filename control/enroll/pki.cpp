#include "control/enroll/pki.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <regex>

namespace dijk::enroll {
namespace {

using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO, BIO_free_all>>;
using StorePtr = std::unique_ptr<X509_STORE, OpenSslFree<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslFree<X509_STORE_CTX, X509_STORE_CTX_free>>;

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256] = {};
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Splits PEM text into its blocks of one label, refusing anything else: text before, between or after the
// blocks, another label, a block without its end line, more than `most` blocks or none.
std::vector<std::string_view> pem_blocks(std::string_view text, std::string_view label, std::size_t most,
                                         const std::string& what) {
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  const std::string end = "-----END " + std::string(label) + "-----";
  std::vector<std::string_view> blocks;
  std::size_t at = 0;
  while (true) {
    while (at < text.size() && is_space(text[at])) ++at;
    if (at == text.size()) break;
    if (text.substr(at, begin.size()) != begin) {
      throw PkiError(what + ": expected \"" + begin + "\"" + (blocks.empty() ? "" : " or the end"));
    }
    const std::size_t stop = text.find(end, at + begin.size());
    if (stop == std::string_view::npos) throw PkiError(what + ": \"" + begin + "\" without its end line");
    if (blocks.size() == most) {
      throw PkiError(what + ": more than " + std::to_string(most) + " " + std::string(label) + " block" +
                     (most == 1 ? "" : "s"));
    }
    blocks.push_back(text.substr(at, stop + end.size() - at));
    at = stop + end.size();
  }
  if (blocks.empty()) throw PkiError(what + ": no " + std::string(label) + " in it");
  return blocks;
}

BioPtr memory_bio(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw PkiError("out of memory");
  return bio;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

// Writes one object as PEM through `write` (a PEM_write_bio_* call).
template <typename Write>
std::string to_pem(Write write, const char* what) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1)
    throw PkiError(std::string("cannot encode the ") + what + ": " + openssl_reason());
  return bio_text(bio.get());
}

}  // namespace

bool valid_appliance_id(std::string_view id) {
  static const std::regex re(R"(^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$)");
  return std::regex_match(id.begin(), id.end(), re);
}

KeyPtr generate_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw PkiError("EC P-256 key generation failed: " + openssl_reason());
  return key;
}

std::string private_key_pem(EVP_PKEY* key) {
  return to_pem(
      [&](BIO* b) { return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); },
      "private key");
}

KeyPtr read_private_key_pem(std::string_view pem, const std::string& what) {
  const auto block = pem_blocks(pem, "PRIVATE KEY", 1, what).front();
  auto bio = memory_bio(block);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw PkiError(what + ": not a readable private key: " + openssl_reason());
  return key;
}

std::string make_request_pem(EVP_PKEY* key, const std::string& common_name) {
  if (!valid_appliance_id(common_name)) throw PkiError("not a valid appliance id: \"" + common_name + "\"");
  RequestPtr req(X509_REQ_new());
  if (!req) throw PkiError("out of memory");
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  if (X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                                 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key) != 1 || X509_REQ_sign(req.get(), key, EVP_sha256()) <= 0) {
    throw PkiError("cannot make the certificate request: " + openssl_reason());
  }
  return to_pem([&](BIO* b) { return PEM_write_bio_X509_REQ(b, req.get()); }, "certificate request");
}

CertificateRequest read_request_pem(std::string_view pem, const std::string& what) {
  const auto block = pem_blocks(pem, "CERTIFICATE REQUEST", 1, what).front();
  auto bio = memory_bio(block);
  CertificateRequest out;
  out.request.reset(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!out.request) throw PkiError(what + ": not a readable certificate request: " + openssl_reason());
  EVP_PKEY* key = X509_REQ_get0_pubkey(out.request.get());
  if (key == nullptr) throw PkiError(what + ": the request holds no public key");
  if (X509_REQ_verify(out.request.get(), key) != 1) {
    ERR_clear_error();
    throw PkiError(what + ": the request's signature does not match its key (altered?)");
  }
  X509_NAME* subject = X509_REQ_get_subject_name(out.request.get());
  if (X509_NAME_entry_count(subject) != 1) {
    throw PkiError(what + ": the subject must be exactly one CN, the appliance id");
  }
  out.common_name = common_name(subject);
  if (!valid_appliance_id(out.common_name)) {
    throw PkiError(what + ": the CN is not a valid appliance id (1 to 64 of letters, digits, '.', '_', '-')");
  }
  return out;
}

CertPtr read_certificate_pem(std::string_view pem, const std::string& what) {
  auto certs = read_certificates_pem(pem, 1, what);
  return std::move(certs.front());
}

std::vector<CertPtr> read_certificates_pem(std::string_view pem, std::size_t most, const std::string& what) {
  std::vector<CertPtr> certs;
  for (const auto block : pem_blocks(pem, "CERTIFICATE", most, what)) {
    auto bio = memory_bio(block);
    CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) throw PkiError(what + ": not a readable certificate: " + openssl_reason());
    certs.push_back(std::move(cert));
  }
  return certs;
}

std::string certificate_pem(X509* cert) {
  return to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert); }, "certificate");
}

CrlPtr read_crl_pem(std::string_view pem, const std::string& what) {
  const auto block = pem_blocks(pem, "X509 CRL", 1, what).front();
  auto bio = memory_bio(block);
  CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (!crl) throw PkiError(what + ": not a readable revocation list: " + openssl_reason());
  return crl;
}

std::string crl_pem(X509_CRL* crl) {
  return to_pem([&](BIO* b) { return PEM_write_bio_X509_CRL(b, crl); }, "revocation list");
}

std::string common_name(X509_NAME* name) {
  if (name == nullptr) return {};
  const int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, at) >= 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    ERR_clear_error();
    return {};
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (bn == nullptr) throw PkiError("unreadable serial number");
  char* hex = BN_bn2hex(bn);
  BN_free(bn);
  if (hex == nullptr) throw PkiError("out of memory");
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

std::int64_t not_after(X509* cert) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

bool certificate_matches_key(X509* cert, EVP_PKEY* key) {
  const EVP_PKEY* in_cert = X509_get0_pubkey(cert);
  const bool same = in_cert != nullptr && EVP_PKEY_eq(in_cert, key) == 1;
  ERR_clear_error();
  return same;
}

std::string verify_client_certificate(X509* cert, const std::vector<CertPtr>& trusted) {
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx) throw PkiError("out of memory");
  for (const auto& t : trusted) {
    if (X509_STORE_add_cert(store.get(), t.get()) != 1)
      throw PkiError("cannot use a CA: " + openssl_reason());
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr) != 1) {
    throw PkiError("cannot check the certificate: " + openssl_reason());
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) == 1) return {};
  ERR_clear_error();
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

}  // namespace dijk::enroll
