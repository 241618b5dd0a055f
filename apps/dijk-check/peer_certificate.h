#pragma once
// Client certificates on dijk-check's TLS listener, read from the GnuTLS session libmicrohttpd runs
// (MHD_CONNECTION_INFO_GNUTLS_SESSION). libmicrohttpd only *asks* for a client certificate when it has a
// trust list; these make it a requirement of the handshake and, per request, say who the verified client is.
#include <optional>
#include <string>

namespace dijk::check {

// Makes the handshake of a connection just accepted demand a client certificate that verifies against the
// listener's trust list (MHD_OPTION_HTTPS_MEM_TRUST): none, another CA's or an expired one fails the
// handshake, before any HTTP. `session` is a gnutls_session_t.
void require_client_certificate(void* session);

// The subject CN of the client's certificate if it verified against the trust list (signature, validity
// dates); nullopt if there is none or it does not verify. Checked again per request so that no request is
// answered on a connection whose handshake somehow skipped the check.
std::optional<std::string> verified_client_cn(void* session);

}  // namespace dijk::check
