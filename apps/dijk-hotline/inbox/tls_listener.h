#pragma once
// What each of the inbox's HTTPS front doors (the report endpoint and the analysts' web view) listens
// with: a server TLS context (TLS 1.2+, the certificate chain and key, optionally a client CA every
// client must be issued by) and a bound, listening, non-blocking IPv4 socket. Built once at start, on the
// caller's thread; read by the accept thread; closed by stop() and the destructor.
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace dijk::inbox {

struct TlsListenerOptions {
  std::string what;  // names the front door in errors: "inbox", "web view"
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free one (port() says which)
  std::filesystem::path cert, key;
  std::filesystem::path client_ca;  // empty: no client certificate asked for
  std::string session_context;      // with a client CA: ties resumed sessions to this service
  int backlog = SOMAXCONN;
};

class TlsListener {
 public:
  // Throws std::runtime_error naming the file or address at fault.
  explicit TlsListener(const TlsListenerOptions& options);
  ~TlsListener();
  TlsListener(const TlsListener&) = delete;
  TlsListener& operator=(const TlsListener&) = delete;

  SSL_CTX* context() const { return ctx_; }
  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }
  // Stops listening (after the accept thread has ended); the context stays for connections still served.
  void close();

 private:
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// OpenSSL's oldest queued error, as text.
std::string openssl_error();

}  // namespace dijk::inbox
