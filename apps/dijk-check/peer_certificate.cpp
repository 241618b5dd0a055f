#include "apps/dijk-check/peer_certificate.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>

namespace dijk::check {
namespace {
struct CrtFree {
  void operator()(gnutls_x509_crt_int* c) const { gnutls_x509_crt_deinit(c); }
};
}  // namespace

void require_client_certificate(void* session) {
  auto* s = static_cast<gnutls_session_t>(session);
  gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
  // No host name: a client certificate is checked for its chain and dates, not for a name.
  gnutls_session_set_verify_cert(s, nullptr, 0);
}

std::optional<std::string> verified_client_cn(void* session) {
  auto* s = static_cast<gnutls_session_t>(session);
  if (s == nullptr || gnutls_certificate_type_get(s) != GNUTLS_CRT_X509) return std::nullopt;
  unsigned status = 0;
  if (gnutls_certificate_verify_peers2(s, &status) != GNUTLS_E_SUCCESS || status != 0) return std::nullopt;
  unsigned count = 0;
  const gnutls_datum_t* chain = gnutls_certificate_get_peers(s, &count);
  if (chain == nullptr || count == 0) return std::nullopt;
  gnutls_x509_crt_t raw = nullptr;
  if (gnutls_x509_crt_init(&raw) != GNUTLS_E_SUCCESS) return std::nullopt;
  const std::unique_ptr<gnutls_x509_crt_int, CrtFree> crt(raw);
  if (gnutls_x509_crt_import(raw, &chain[0], GNUTLS_X509_FMT_DER) != GNUTLS_E_SUCCESS) return std::nullopt;
  char cn[256];
  std::size_t size = sizeof cn;
  if (gnutls_x509_crt_get_dn_by_oid(raw, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &size) != GNUTLS_E_SUCCESS)
    return std::nullopt;
  return std::string(cn, size);
}

}  // namespace dijk::check
