#pragma once
// The X.509 pieces enrollment is made of, on OpenSSL 3: the appliance's key and certificate request, PEM
// text in and out (strictly: one object where one is expected, nothing but white space around it), and the
// checks both sides make (a request's own signature, a certificate's key, its chain). The hotline's CA,
// which signs, lives in apps/dijk-hotline; the appliance's side in apps/dijkctl.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dijk::enroll {

// Worded for the operator: what is wrong with which file or field.
class PkiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename T, void (*Free)(T*)>
struct OpenSslFree {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, OpenSslFree<X509, X509_free>>;
using RequestPtr = std::unique_ptr<X509_REQ, OpenSslFree<X509_REQ, X509_REQ_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, OpenSslFree<X509_CRL, X509_CRL_free>>;

// Appliance ids as dijk.toml's appliance_id takes them: 1 to 64 of letters, digits, '.', '_', '-', starting
// with a letter or digit. The inbox names an appliance by its certificate's CN, so the CN is exactly this.
bool valid_appliance_id(std::string_view id);

// A new EC P-256 key (what the inbox's and the tests' certificates use).
KeyPtr generate_key();
std::string private_key_pem(EVP_PKEY* key);
KeyPtr read_private_key_pem(std::string_view pem, const std::string& what);

// A certificate request for `common_name`, signed with `key` (SHA-256).
std::string make_request_pem(EVP_PKEY* key, const std::string& common_name);

// A request read from outside bytes: one PEM block, its own signature valid, a subject of exactly one CN
// that is a valid appliance id.
struct CertificateRequest {
  RequestPtr request;
  std::string common_name;
};
CertificateRequest read_request_pem(std::string_view pem, const std::string& what);

// Exactly one certificate.
CertPtr read_certificate_pem(std::string_view pem, const std::string& what);
// One to `most` certificates, one after another.
std::vector<CertPtr> read_certificates_pem(std::string_view pem, std::size_t most, const std::string& what);
std::string certificate_pem(X509* cert);
CrlPtr read_crl_pem(std::string_view pem, const std::string& what);
std::string crl_pem(X509_CRL* crl);

// The subject's single CN ("" if it has none or several).
std::string common_name(X509_NAME* name);
// The serial number in upper-case hex, as `openssl x509 -serial` prints it.
std::string serial_hex(const ASN1_INTEGER* serial);
// When the certificate expires, in unix seconds (0 if unreadable).
std::int64_t not_after(X509* cert);
// True if `cert` is the certificate of `key` (same public key).
bool certificate_matches_key(X509* cert, EVP_PKEY* key);
// Checks that `cert` chains to one of `trusted` and is valid now for a TLS client. "" when it does, else
// OpenSSL's reason.
std::string verify_client_certificate(X509* cert, const std::vector<CertPtr>& trusted);

}  // namespace dijk::enroll
