#include "apps/dijk-hotline/inbox/web/analyst_web.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <stdexcept>
#include <system_error>

#include "apps/dijk-hotline/inbox/http_request.h"
#include "apps/dijk-hotline/inbox/web/analyst_pages.h"
#include "config/cli/arg_parser.h"
#include "config/cli/time_arg.h"
#include "hashcore/util/safe_text.h"

namespace dijk::web {
namespace {

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

// The whole response: the page, and headers that keep it a plain read-only document (no script, no
// framing, nothing cached or sent on as a referrer).
std::string render(int status, const std::string& content_type, const std::string& body,
                   const std::string& extra_headers) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + inbox::http_reason_phrase(status) + "\r\n";
  r += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  r += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n";
  r += "Content-Security-Policy: default-src 'none'; style-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'\r\n";
  r += extra_headers + "Connection: close\r\n\r\n" + body;
  return r;
}

// Sends all of `data` (blocking socket with a send timeout); false if the client is gone or too slow.
bool write_all(SSL* ssl, std::string_view data) {
  while (!data.empty()) {
    const int n = SSL_write(ssl, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<std::string> filled(const std::map<std::string, std::string>& query, const std::string& name) {
  const auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace

AnalystWeb::AnalystWeb(AnalystWebOptions options)
    : options_(std::move(options)),
      store_(inbox::open_inbox_store(options_.db)),
      tokens_(AnalystTokens::load(options_.tokens)),
      listener_({.what = "web view",
                 .host = options_.listen_host,
                 .port = options_.port,
                 .cert = options_.cert,
                 .key = options_.key,
                 .backlog = 64}) {
  if (!options_.log) options_.log = [](std::string_view m) { std::cerr << "inbox web: " << m << std::endl; };
  if (!options_.fleet) options_.fleet = std::make_shared<FleetFromHits>(*store_);
}

AnalystWeb::~AnalystWeb() {
  stop();
}

void AnalystWeb::start() {
  acceptor_ = std::thread([this] { accept_loop(); });
}

void AnalystWeb::stop() {
  stop_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  listener_.close();
  connections_.join_all();
}

void AnalystWeb::accept_loop() {
  inbox::HandshakeStage handshakes(listener_.context(), listener_.fd(), options_.handshakes,
                                   handshake_stats_);
  const auto ready = [this](int fd, SSL* ssl, inbox::HandshakeStage::Clock::time_point) { admit(fd, ssl); };
  while (!stop_.load()) {
    connections_.reap_finished();
    handshakes.run_once(std::chrono::milliseconds(100), ready);
  }
}

void AnalystWeb::admit(int fd, SSL* ssl) {
  const bool started = connections_.size() < options_.max_connections &&
                       connections_.start([this, fd, ssl] { serve(fd, ssl); });
  if (!started) {
    const std::string busy = render(503, "text/plain", "busy; retry\n", "Retry-After: 1\r\n");
    SSL_write(ssl, busy.data(), static_cast<int>(busy.size()));
    SSL_free(ssl);
    ERR_clear_error();
    ::close(fd);
  }
}

void AnalystWeb::serve(int fd, SSL* ssl) {
  // A blocking socket with timeouts: each read and write waits at most the request timeout, and the
  // request as a whole is cut off at its deadline.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const auto timeout = options_.request_timeout;
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string head;
  char chunk[4096];
  std::size_t end = std::string::npos;
  while ((end = head.find("\r\n\r\n")) == std::string::npos && head.size() <= inbox::kMaxHeadBytes &&
         std::chrono::steady_clock::now() < deadline && !stop_.load()) {
    const int n = SSL_read(ssl, chunk, sizeof chunk);
    if (n <= 0) break;
    head.append(chunk, static_cast<std::size_t>(n));
  }
  if (end != std::string::npos) {
    const Response r = answer(std::string_view(head).substr(0, end + 4));
    std::string extra;
    if (r.status == 401) extra = "WWW-Authenticate: Basic realm=\"dijk inbox\", charset=\"UTF-8\"\r\n";
    if (r.status == 303) extra = "Location: " + r.body + "\r\n";
    write_all(ssl, render(r.status, r.content_type, r.status == 303 ? std::string() : r.body, extra));
  } else if (head.size() > inbox::kMaxHeadBytes) {
    write_all(ssl, render(400, "text/plain", "request head too large\n", ""));
  } else if (!head.empty()) {
    write_all(ssl, render(408, "text/plain", "request not complete in time\n", ""));
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  ERR_clear_error();
  ::close(fd);
}

AnalystWeb::Response AnalystWeb::answer(std::string_view head) {
  const auto parsed = inbox::parse_request_head(head);
  if (parsed.status != 0)
    return {parsed.status, "text/html; charset=utf-8", error_page(parsed.status, parsed.reason)};
  if (parsed.head.method != "GET")
    return {405, "text/html; charset=utf-8", error_page(405, "read-only: GET only")};
  const auto target = parse_target(parsed.head.target);
  if (!target) return {400, "text/html; charset=utf-8", error_page(400, "malformed query")};
  if (target->path == "/style.css") return {200, "text/css; charset=utf-8", std::string(style_sheet())};
  const auto authorization = header_value(head, "authorization");
  const auto credentials = authorization ? parse_authorization(*authorization) : std::nullopt;
  const auto analyst = credentials ? tokens_.authenticate(*credentials) : std::nullopt;
  if (!analyst) {
    ++unauthenticated_;
    return {401, "text/html; charset=utf-8", error_page(401, "sign in with an analyst's name and secret")};
  }
  // Who read what: the audit trail of a view into reports of abuse material.
  options_.log(*analyst + " GET " + printable_text(parsed.head.target));
  try {
    if (target->path == "/") return {303, "", "/hits"};
    if (target->path == "/hits") return hits(*analyst, target->query);
    if (target->path == "/fleet") {
      return {200, "text/html; charset=utf-8",
              fleet_page(*analyst, options_.fleet->appliances(), options_.fleet->origin(), now())};
    }
    if (target->path == "/feed") {
      return {200, "text/html; charset=utf-8", feed_page(*analyst, read_feed_history(options_.feed_keys))};
    }
  } catch (const cli::UsageError& e) {
    return {400, "text/html; charset=utf-8", error_page(400, e.what())};
  } catch (const std::exception& e) {
    options_.log(std::string("page failed: ") + e.what());
    return {500, "text/html; charset=utf-8",
            error_page(500, "the page could not be made; see the inbox's log")};
  }
  return {404, "text/html; charset=utf-8", error_page(404, "no such page")};
}

AnalystWeb::Response AnalystWeb::hits(const std::string& analyst,
                                      const std::map<std::string, std::string>& query) {
  HitFilter f;
  const std::int64_t t = now();
  if (const auto s = filled(query, "since")) f.since = cli::parse_time_arg(*s, t, "since");
  if (const auto u = filled(query, "until")) f.match.until = cli::parse_time_arg(*u, t, "until");
  f.match.appliance = filled(query, "appliance");
  f.match.list = filled(query, "list");
  f.match.hash = filled(query, "hash");
  if (const auto l = filled(query, "limit")) {
    if (l->size() > 5 || l->find_first_not_of("0123456789") != std::string::npos || std::stoul(*l) == 0 ||
        std::stoul(*l) > kMaxHitLimit) {
      throw cli::UsageError("show wants a number from 1 to " + std::to_string(kMaxHitLimit));
    }
    f.limit = std::stoul(*l);
  }
  return {200, "text/html; charset=utf-8", hits_page(analyst, newest_hits(*store_, f), query, t)};
}

}  // namespace dijk::web
