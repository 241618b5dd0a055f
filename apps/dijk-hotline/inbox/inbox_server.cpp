#include "apps/dijk-hotline/inbox/inbox_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <stdexcept>
#include <system_error>

#include "apps/dijk-hotline/inbox/http_request.h"
#include "apps/dijk-hotline/inbox/report_parse.h"
#include "hashcore/util/safe_text.h"

namespace dijk::inbox {
namespace {

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
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + http_reason_phrase(status) + "\r\n";
  r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (status == 503) r += "Retry-After: 1\r\n";  // a passing overload: the reporter retries with backoff
  r += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
  r += body;
  return r;
}

std::string error_body(std::string_view reason) {
  return "{\"error\":\"" + json_escape(reason) + "\"}";
}

std::string common_name(SSL* ssl) {
  std::string name;
  if (X509* cert = SSL_get1_peer_certificate(ssl)) {
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) name = cn;
    X509_free(cert);
  }
  return name;
}

// Refuses a connection from the accept thread, which must never wait on a client: the answer is written
// only if the socket takes it at once, and the connection is closed without lingering.
void refuse(int fd, SSL* ssl, int status, std::string_view reason) {
  const std::string r = response(status, error_body(reason), true);
  SSL_write(ssl, r.data(), static_cast<int>(r.size()));
  SSL_shutdown(ssl);
  SSL_free(ssl);
  ERR_clear_error();
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

}  // namespace

InboxServer::InboxServer(InboxOptions options)
    : options_(std::move(options)),
      store_(open_inbox_store(options_.db)),
      revocations_(options_.crl, options_.client_ca, [this](std::string_view m) { log(m); }),
      listener_({.what = "inbox",
                 .host = options_.listen_host,
                 .port = options_.port,
                 .cert = options_.cert,
                 .key = options_.key,
                 .client_ca = options_.client_ca,
                 .session_context = "dijk-hotline-inbox"}),
      slots_(options_.max_connections, options_.max_per_appliance),
      body_budget_(options_.body_memory) {
  if (!options_.log) options_.log = [](std::string_view m) { std::cerr << "inbox: " << m << std::endl; };
}

InboxServer::~InboxServer() {
  stop();
}

void InboxServer::log(std::string_view m) const {
  options_.log(m);
}

bool InboxServer::revoked(SSL* ssl, const std::string& appliance) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  const std::string serial = revocations_.revoked_serial(cert);
  if (serial.empty()) return false;
  ++stats_.revoked;
  log("refused appliance " + printable_text(appliance) + ": certificate " + serial + " is revoked");
  return true;
}

void InboxServer::start() {
  acceptor_ = std::thread([this] { accept_loop(); });
}

void InboxServer::stop() {
  stop_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  listener_.close();
  connections_.join_all();
}

void InboxServer::accept_loop() {
  HandshakeStage handshakes(listener_.context(), listener_.fd(), options_.handshakes, stats_);
  const auto admit_authenticated = [this](int fd, SSL* ssl, std::chrono::steady_clock::time_point accepted) {
    admit(fd, ssl, accepted);
  };
  while (!stop_.load()) {
    connections_.reap_finished();
    handshakes.run_once(std::chrono::milliseconds(100), admit_authenticated);
  }
}

void InboxServer::admit(int fd, SSL* ssl, std::chrono::steady_clock::time_point accepted) {
  const std::string appliance = common_name(ssl);
  if (appliance.empty()) {
    ++stats_.forbidden;
    refuse(fd, ssl, 403, "client certificate has no common name");
    return;
  }
  if (revoked(ssl, appliance)) {
    refuse(fd, ssl, 403, "client certificate revoked");
    return;
  }
  switch (slots_.acquire(appliance)) {
    case ServingSlots::Grant::granted:
      break;
    case ServingSlots::Grant::full:
      ++stats_.refused_busy;
      refuse(fd, ssl, 503, "every connection slot is taken; retry");
      return;
    case ServingSlots::Grant::appliance_full:
      ++stats_.refused_appliance;
      refuse(fd, ssl, 503, "too many connections from this appliance; retry");
      return;
  }
  const bool started = connections_.start([this, fd, ssl, accepted, appliance] {
    serve(fd, ssl, appliance, accepted);
    ::close(fd);
    slots_.release(appliance);
  });
  if (!started) {  // out of threads: a passing overload, like full slots
    slots_.release(appliance);
    ++stats_.refused_busy;
    refuse(fd, ssl, 503, "the inbox is out of threads; retry");
  }
}

void InboxServer::serve(int fd, SSL* ssl, const std::string& appliance,
                        std::chrono::steady_clock::time_point accepted) {
  using Clock = std::chrono::steady_clock;
  TlsStream io(ssl, fd, stop_);
  const auto deadline = [&] { return Clock::now() + options_.request_timeout; };  // for answers
  // Every read of a request shares one deadline, so a client trickling bytes cannot keep its slot. The
  // first request's runs from the accept (handshake included); a later one's from its first byte.
  auto request_deadline = accepted + options_.request_timeout;
  // A read came back empty: past the deadline it is a slow client, answered 408 and counted.
  std::string buffer;
  char chunk[16384];
  // One read of the request, up to `most` bytes, appended to the buffer. An empty read ends the
  // connection: past the deadline it is a slow client, answered 408 and counted.
  const auto read_request_bytes = [&](std::size_t most) {
    const std::size_t n = io.read_some(chunk, std::min(sizeof chunk, most), request_deadline);
    if (n > 0) {
      buffer.append(chunk, n);
      return true;
    }
    if (!stop_.load() && Clock::now() >= request_deadline) {
      ++stats_.request_timeouts;
      io.write_all(response(408, error_body("request not complete in time"), true), deadline());
    }
    return false;
  };
  bool open = true;
  bool first = true;
  while (open && !stop_.load()) {
    if (!first) {
      // Kept alive: the next request may take idle_timeout to start, then request_timeout to complete.
      if (buffer.empty()) {
        const std::size_t n = io.read_some(chunk, sizeof chunk, Clock::now() + options_.idle_timeout);
        if (n == 0) break;
        buffer.append(chunk, n);
      }
      request_deadline = Clock::now() + options_.request_timeout;
    }
    first = false;
    // Read the head.
    std::size_t head_end = std::string::npos;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeadBytes) break;
      if (!read_request_bytes(sizeof chunk)) {
        open = false;
        break;
      }
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
    // A kept-alive connection outlives a revocation: every request asks again.
    if (revoked(ssl, appliance)) {
      io.write_all(response(403, error_body("client certificate revoked"), true), deadline());
      break;
    }
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
    // The body's memory is reserved before it is read, and held until the report is stored.
    if (want > body_budget_.capacity()) {
      ++stats_.bad_requests;
      io.write_all(response(413, error_body("body larger than the inbox's body memory"), true), deadline());
      break;
    }
    if (!body_budget_.try_reserve(want)) {
      ++stats_.refused_memory;
      io.write_all(response(503, error_body("body memory exhausted; retry"), true), deadline());
      break;
    }
    const BodyReservation reserved(body_budget_, want);
    while (buffer.size() < want) {
      if (!read_request_bytes(want - buffer.size())) {
        open = false;
        break;
      }
    }
    if (!open) break;
    std::string body;
    if (buffer.size() == want) {
      body.swap(buffer);  // the usual case: no copy of a large body
    } else {
      body = buffer.substr(0, want);
      buffer.erase(0, want);
    }

    const Fault fault = options_.fault ? options_.fault(body) : Fault::none;
    if (fault == Fault::answer_403) {
      ++stats_.forbidden;
      io.write_all(response(403, error_body("injected refusal"), close), deadline());
      if (close) break;
      continue;
    }
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
      stored = store_->store(report.hits, static_cast<std::int64_t>(std::time(nullptr)));
    } catch (const std::exception& e) {
      log(std::string("store failed: ") + e.what());
      io.write_all(response(500, error_body("could not store the report"), true), deadline());
      break;
    }
    stats_.hits_accepted += stored.accepted;
    stats_.duplicates += stored.duplicates;
    if (report.heartbeat) store_heartbeat(*report.heartbeat);
    if (!report.heartbeat_error.empty()) {
      ++stats_.heartbeats_refused;
      log("dropped a heartbeat from " + appliance + ": " + report.heartbeat_error);
    }
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

void InboxServer::store_heartbeat(const Heartbeat& beat) {
  // The hits are stored already: a heartbeat that cannot be stored is logged, and the next one will do.
  try {
    store_->store_heartbeat({beat.appliance, static_cast<std::int64_t>(std::time(nullptr)),
                             to_json(beat).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
    ++stats_.heartbeats;
  } catch (const std::exception& e) {
    log(std::string("heartbeat from ") + beat.appliance + " not stored: " + e.what());
  }
}

}  // namespace dijk::inbox
