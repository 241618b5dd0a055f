#include "apps/dijk-hotline/inbox/inbox_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <stdexcept>

#include "apps/dijk-hotline/inbox/http_request.h"
#include "apps/dijk-hotline/inbox/report_parse.h"

namespace dijk::inbox {
namespace {

std::string openssl_error() {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return buf;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 422:
      return "Unprocessable Content";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// One TLS connection: reads with a poll() deadline so a silent client, or stop(), ends it.
class TlsStream {
 public:
  TlsStream(SSL* ssl, int fd, const std::atomic<bool>& stop) : ssl_(ssl), fd_(fd), stop_(stop) {}
  // Reads some bytes; 0 on EOF, error, stop or when the deadline passes.
  std::size_t read_some(char* out, std::size_t n, std::chrono::steady_clock::time_point deadline) {
    while (true) {
      const int r = SSL_read(ssl_, out, static_cast<int>(n));
      if (r > 0) return static_cast<std::size_t>(r);
      const int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return 0;
      if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return 0;
    }
  }
  bool write_all(std::string_view data, std::chrono::steady_clock::time_point deadline) {
    while (!data.empty()) {
      const int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      if (r > 0) {
        data.remove_prefix(static_cast<std::size_t>(r));
        continue;
      }
      const int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return false;
      if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return false;
    }
    return true;
  }
  bool handshake(std::chrono::steady_clock::time_point deadline) {
    while (true) {
      const int r = SSL_accept(ssl_);
      if (r == 1) return true;
      const int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return false;
      if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return false;
    }
  }

 private:
  bool wait(short events, std::chrono::steady_clock::time_point deadline) {
    while (!stop_.load()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      pollfd p{fd_, events, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
      if (rc > 0) return true;
      if (rc < 0 && errno != EINTR) return false;
    }
    return false;
  }
  SSL* ssl_;
  int fd_;
  const std::atomic<bool>& stop_;
};

std::string response(int status, std::string_view body, bool close) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  r += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
  r += body;
  return r;
}

std::string error_body(std::string_view reason) {
  return "{\"error\":\"" + json_escape(reason) + "\"}";
}

}  // namespace

InboxServer::InboxServer(InboxOptions options) : options_(std::move(options)), store_(options_.db) {
  if (!options_.log) options_.log = [](std::string_view m) { std::cerr << "inbox: " << m << std::endl; };
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) throw std::runtime_error("SSL_CTX_new: " + openssl_error());
  ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, options_.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, options_.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    throw std::runtime_error("inbox certificate/key: " + openssl_error());
  }
  if (SSL_CTX_load_verify_locations(ctx, options_.client_ca.c_str(), nullptr) != 1) {
    throw std::runtime_error("client CA " + options_.client_ca.string() + ": " + openssl_error());
  }
  // Appliances must present a certificate from the hotline's client CA; nothing else gets in.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
  // Clients resume sessions after a dropped connection; with client verification on, OpenSSL refuses
  // resumption (alert "internal error") unless the sessions are tied to a context id.
  static constexpr unsigned char kSessionContext[] = "dijk-hotline-inbox";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options_.port);
  if (::inet_pton(AF_INET, options_.listen_host.c_str(), &addr.sin_addr) != 1) {
    throw std::runtime_error("listen address must be an IPv4 address: " + options_.listen_host);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("listen on " + options_.listen_host + ":" + std::to_string(options_.port) +
                             ": " + std::strerror(err));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

InboxServer::~InboxServer() {
  stop();
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

void InboxServer::log(std::string_view m) const {
  options_.log(m);
}

void InboxServer::start() {
  acceptor_ = std::thread([this] { accept_loop(); });
}

void InboxServer::stop() {
  stop_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  std::lock_guard lock(threads_mutex_);
  for (auto& c : connections_) c.thread.join();
  connections_.clear();
}

void InboxServer::accept_loop() {
  while (!stop_.load()) {
    reap_finished();
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    if (active_.load() >= options_.max_connections) {
      ++stats_.refused_connections;
      ::close(fd);
      continue;
    }
    ++stats_.connections;
    ++active_;
    std::lock_guard lock(threads_mutex_);
    Connection& conn = connections_.emplace_back();
    conn.thread = std::thread([this, fd, &conn] {
      // A client that vanishes mid-response makes write() raise SIGPIPE in this thread; blocked here, it
      // becomes an EPIPE error instead of killing the process (the pending signal dies with the thread).
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      serve(fd);
      ::close(fd);
      --active_;
      conn.done.store(true);
    });
  }
}

void InboxServer::reap_finished() {
  std::lock_guard lock(threads_mutex_);
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->done.load()) {
      it->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void InboxServer::serve(int fd) {
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  if (ssl == nullptr) return;
  SSL_set_fd(ssl, fd);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  TlsStream io(ssl, fd, stop_);
  const auto deadline = [&] { return std::chrono::steady_clock::now() + options_.idle_timeout; };
  if (!io.handshake(deadline())) {
    ++stats_.tls_failures;
    ERR_clear_error();
    SSL_free(ssl);
    return;
  }
  std::string appliance;
  if (X509* cert = SSL_get1_peer_certificate(ssl)) {
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0)
      appliance = cn;
    X509_free(cert);
  }
  std::string buffer;
  char chunk[16384];
  bool open = !appliance.empty();
  if (!open) {
    ++stats_.forbidden;
    io.write_all(response(403, error_body("client certificate has no common name"), true), deadline());
  }
  while (open && !stop_.load()) {
    // Read the head.
    std::size_t head_end = std::string::npos;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeadBytes) break;
      const std::size_t n = io.read_some(chunk, sizeof chunk, deadline());
      if (n == 0) {
        open = false;
        break;
      }
      buffer.append(chunk, n);
    }
    if (!open) break;
    ++stats_.requests;
    if (head_end == std::string::npos) {
      ++stats_.bad_requests;
      io.write_all(response(431, error_body("request head too large"), true), deadline());
      break;
    }
    const HeadParse parsed = parse_request_head(std::string_view(buffer).substr(0, head_end + 4));
    buffer.erase(0, head_end + 4);
    if (parsed.status != 0) {
      ++stats_.bad_requests;
      io.write_all(response(parsed.status, error_body(parsed.reason), true), deadline());
      break;
    }
    const RequestHead& head = parsed.head;
    const bool close = head.close;
    if (head.target == "/v1/health" && head.method == "GET") {
      if (!io.write_all(response(200, "{\"ok\":true}", close), deadline()) || close) break;
      continue;
    }
    if (head.target != "/v1/hits") {
      ++stats_.bad_requests;
      io.write_all(response(404, error_body("no such endpoint"), true), deadline());
      break;
    }
    if (head.method != "POST") {
      ++stats_.bad_requests;
      io.write_all(response(405, error_body("POST reports to /v1/hits"), true), deadline());
      break;
    }
    if (!head.content_length) {
      ++stats_.bad_requests;
      io.write_all(response(411, error_body("Content-Length required"), true), deadline());
      break;
    }
    const std::size_t want = static_cast<std::size_t>(*head.content_length);
    while (buffer.size() < want) {
      const std::size_t n = io.read_some(chunk, std::min(sizeof chunk, want - buffer.size()), deadline());
      if (n == 0) {
        open = false;
        break;
      }
      buffer.append(chunk, n);
    }
    if (!open) break;
    const std::string body = buffer.substr(0, want);
    buffer.erase(0, want);

    const Fault fault = options_.fault ? options_.fault() : Fault::none;
    if (fault == Fault::answer_500) {
      io.write_all(response(500, error_body("injected failure"), close), deadline());
      if (close) break;
      continue;
    }
    if (fault == Fault::hang) {
      const auto until = std::chrono::steady_clock::now() + options_.hang_time;
      while (!stop_.load() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      break;
    }
    const ReportParse report = parse_report(body, appliance);
    if (report.status != 0) {
      ++stats_.bad_requests;
      if (report.status == 403) ++stats_.forbidden;
      log("rejected report from " + appliance + ": " + report.reason);
      io.write_all(response(report.status, error_body(report.reason), true), deadline());
      break;
    }
    StoreResult stored;
    try {
      stored = store_.store(report.hits, static_cast<std::int64_t>(std::time(nullptr)));
    } catch (const std::exception& e) {
      log(std::string("store failed: ") + e.what());
      io.write_all(response(500, error_body("could not store the report"), true), deadline());
      break;
    }
    stats_.hits_accepted += stored.accepted;
    stats_.duplicates += stored.duplicates;
    if (fault == Fault::store_then_drop) break;
    if (fault == Fault::store_then_500) {
      io.write_all(response(500, error_body("injected failure after storing"), close), deadline());
      if (close) break;
      continue;
    }
    const std::string answer = "{\"accepted\":" + std::to_string(stored.accepted) +
                               ",\"duplicates\":" + std::to_string(stored.duplicates) + "}";
    if (!io.write_all(response(200, answer, close), deadline()) || close) break;
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  ERR_clear_error();
  // Lingering close: closing with unread bytes in the receive buffer makes the kernel send a reset, which
  // can destroy the response (an error answer, typically) before the client reads it. Half-close, then
  // drain what the client still sends, briefly.
  ::shutdown(fd, SHUT_WR);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  char sink[4096];
  while (!stop_.load() && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) < 0) break;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    if (::recv(fd, sink, sizeof sink, 0) <= 0) break;
  }
}

}  // namespace dijk::inbox
