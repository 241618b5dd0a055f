#include "apps/dijk-hotline/inbox/tls_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace dijk::inbox {
namespace {

struct ContextFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using ContextPtr = std::unique_ptr<SSL_CTX, ContextFree>;

ContextPtr server_context(const TlsListenerOptions& o) {
  ContextPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw std::runtime_error("SSL_CTX_new: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), o.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    throw std::runtime_error(o.what + " certificate/key: " + openssl_error());
  }
  if (!o.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), o.client_ca.c_str(), nullptr) != 1)
      throw std::runtime_error("client CA " + o.client_ca.string() + ": " + openssl_error());
    // Only a certificate from the client CA gets in.
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Clients resume sessions after a dropped connection; with client verification on, OpenSSL refuses
    // resumption (alert "internal error") unless the sessions are tied to a context id.
    SSL_CTX_set_session_id_context(ctx.get(),
                                   reinterpret_cast<const unsigned char*>(o.session_context.data()),
                                   static_cast<unsigned>(o.session_context.size()));
  }
  // Idle TLS states (handshakes waiting on their client, kept-alive connections) give back their buffers.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_AUTO_RETRY | SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

}  // namespace

std::string openssl_error() {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return buf;
}

TlsListener::TlsListener(const TlsListenerOptions& o) {
  ContextPtr ctx = server_context(o);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(o.port);
  if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error(o.what + ": the listen address must be an IPv4 address: " + o.host);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, o.backlog) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(o.what + ": listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                             std::strerror(err));
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  fd_ = fd;
  ctx_ = ctx.release();
}

TlsListener::~TlsListener() {
  close();
  SSL_CTX_free(ctx_);
}

void TlsListener::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace dijk::inbox
