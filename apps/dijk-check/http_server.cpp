#include "apps/dijk-check/http_server.h"

#include <arpa/inet.h>
#include <grp.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "apps/dijk-check/peer_certificate.h"
#include "apps/dijk-check/request_body.h"

namespace dijk::check {

namespace {
constexpr std::size_t kMaxMetaBytes = 256;           // a caller header kept in a hit
constexpr std::size_t kMaxJsonBodyBytes = 2u << 20;  // /v1/hashes (10,000 sha256 hex ~ 700 KB) and /v1/pdq

std::string header(MHD_Connection* c, const char* name) {
  const char* v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
  return v == nullptr ? std::string() : std::string(v);
}

bool same_secret(std::string_view a, std::string_view b) {
  // Constant time in the secret's contents: a token cannot be guessed byte by byte from timings.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

std::optional<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  return std::make_pair(host, static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1))));
}
}  // namespace

struct HttpServer::Listener {
  HttpServer* server = nullptr;
  bool tcp = false;
  bool tls = false;           // TCP over TLS
  bool client_certs = false;  // TLS demanding a client certificate: it, not a token, names the client
  MHD_Daemon* daemon = nullptr;
};

struct HttpServer::Tracked {
  int fd = -1;
  std::chrono::steady_clock::time_point started;
  std::atomic<bool> headers_in{false};
};

struct HttpServer::Request {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::string endpoint = "other";
  std::string method, url;
  bool body_expected = false;
  std::optional<UploadBody> upload;  // POST /v1/check
  std::optional<Answer> decided;     // set by a check worker while the connection is suspended
  std::string text;                  // POST /v1/hashes, /v1/pdq
  bool text_too_large = false;
  std::uint64_t held = 0;    // bytes of body_bytes_ this request holds
  bool over_budget = false;  // its body did not fit in the servers' body budget: dropped
  Caller caller;
};

namespace {
MHD_Result access_trampoline(void* cls, MHD_Connection* c, const char* url, const char* method,
                             const char* /*version*/, const char* data, std::size_t* size, void** state) {
  auto* l = static_cast<HttpServer::Listener*>(cls);
  return l->server->on_access(*l, c, url, method, data, size, state) == MHD_YES ? MHD_YES : MHD_NO;
}

void completed_trampoline(void* cls, MHD_Connection* c, void** state, MHD_RequestTerminationCode /*why*/) {
  static_cast<HttpServer::Listener*>(cls)->server->on_completed(c, state);
}

void connection_trampoline(void* cls, MHD_Connection* c, void** socket_state,
                           MHD_ConnectionNotificationCode code) {
  auto* l = static_cast<HttpServer::Listener*>(cls);
  // The TLS session exists but has not shaken hands yet: this is when a client certificate can still be
  // made a condition of the handshake.
  if (code == MHD_CONNECTION_NOTIFY_STARTED && l->client_certs) {
    if (const auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION)) {
      if (info->tls_session != nullptr) require_client_certificate(info->tls_session);
    }
  }
  l->server->on_connection(c, socket_state, code == MHD_CONNECTION_NOTIFY_STARTED);
}
}  // namespace

HttpServer::HttpServer(ServerOptions options, const CheckService& service, ApiMetrics& metrics)
    : options_(std::move(options)),
      service_(service),
      metrics_(metrics),
      limiter_(options_.rate_per_client),
      body_budget_(std::max<std::uint64_t>(256ull << 20, 4 * options_.max_body_bytes)) {}

HttpServer::~HttpServer() {
  stop();
}

MHD_Daemon* HttpServer::start_daemon(Listener& l, int listen_fd, const void* addr, std::size_t /*addr_len*/) {
  // Each listener gets its share of the connection limit and at least one worker thread.
  const unsigned shares = (options_.socket_path.empty() ? 0u : 1u) + (options_.listen.empty() ? 0u : 1u);
  unsigned flags = static_cast<unsigned>(MHD_USE_INTERNAL_POLLING_THREAD) |
                   static_cast<unsigned>(MHD_USE_EPOLL) | static_cast<unsigned>(MHD_USE_ERROR_LOG) |
                   static_cast<unsigned>(MHD_ALLOW_SUSPEND_RESUME);
  if (l.tcp && addr != nullptr && static_cast<const sockaddr*>(addr)->sa_family == AF_INET6) {
    flags |= static_cast<unsigned>(MHD_USE_IPv6);
  }
  // One option list for both kinds of listener: only how the socket is given differs.
  const auto callback = [](auto* fn) { return reinterpret_cast<std::intptr_t>(fn); };
  // Polling threads read, write and shake hands (TLS); the hashing is on the check workers.
  const unsigned threads = std::max(1u, options_.threads);
  const std::size_t per_listener = options_.max_connections / std::max(1u, shares);
  std::vector<MHD_OptionItem> items = {
      listen_fd >= 0 ? MHD_OptionItem{MHD_OPTION_LISTEN_SOCKET, listen_fd, nullptr}
                     : MHD_OptionItem{MHD_OPTION_SOCK_ADDR, 0, const_cast<void*>(addr)},
      {MHD_OPTION_THREAD_POOL_SIZE, static_cast<std::intptr_t>(threads), nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, static_cast<std::intptr_t>(per_listener), nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, static_cast<std::intptr_t>(options_.idle_timeout_s), nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, callback(&completed_trampoline), &l},
      {MHD_OPTION_NOTIFY_CONNECTION, callback(&connection_trampoline), &l},
  };
  if (l.tls) {
    // libmicrohttpd's own TLS (GnuTLS); the PEM text stays in options_ for the daemon's lifetime.
    flags |= static_cast<unsigned>(MHD_USE_TLS);
    const auto text = [](const std::string& pem) { return const_cast<char*>(pem.c_str()); };
    items.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, text(options_.tls_key_pem)});
    items.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, text(options_.tls_cert_pem)});
    if (l.client_certs) items.push_back({MHD_OPTION_HTTPS_MEM_TRUST, 0, text(options_.tls_client_ca_pem)});
  }
  items.push_back({MHD_OPTION_END, 0, nullptr});
  return MHD_start_daemon(flags, 0, nullptr, nullptr, &access_trampoline, &l, MHD_OPTION_ARRAY, items.data(),
                          MHD_OPTION_END);
}

void HttpServer::start() {
  workers_ = std::make_unique<CheckWorkers>(std::max(1u, options_.threads));
  if (!options_.socket_path.empty()) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd < 0 || options_.socket_path.size() >= sizeof addr.sun_path) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("cannot create the unix socket " + options_.socket_path);
    }
    std::memcpy(addr.sun_path, options_.socket_path.data(), options_.socket_path.size());
    ::unlink(options_.socket_path.c_str());  // a socket left by a previous run
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::chmod(options_.socket_path.c_str(), 0660) != 0 || ::listen(fd, 512) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error("cannot listen on " + options_.socket_path + ": " + why);
    }
    if (!options_.socket_group.empty()) {
      // Only root may give the socket to the group; elsewhere (tests) the owner's group keeps it.
      if (const group* g = ::getgrnam(options_.socket_group.c_str())) {
        if (::chown(options_.socket_path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0 &&
            ::geteuid() == 0) {
          std::fprintf(stderr, "dijk-check: cannot give %s to group %s: %s\n", options_.socket_path.c_str(),
                       options_.socket_group.c_str(), std::strerror(errno));
        }
      }
    }
    auto l = std::make_unique<Listener>();
    l->server = this;
    l->daemon = start_daemon(*l, fd, nullptr, 0);
    if (l->daemon == nullptr) {
      ::close(fd);
      throw std::runtime_error("libmicrohttpd did not start on " + options_.socket_path);
    }
    listeners_.push_back(std::move(l));
  }
  if (!options_.listen.empty()) {
    const auto hp = split_host_port(options_.listen);
    if (!hp) throw std::runtime_error("check_api.listen must be HOST:PORT, got " + options_.listen);
    auto l = std::make_unique<Listener>();
    l->server = this;
    l->tcp = true;
    l->tls = !options_.tls_cert_pem.empty();
    l->client_certs = l->tls && !options_.tls_client_ca_pem.empty();
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    const void* addr = nullptr;
    std::size_t len = 0;
    if (::inet_pton(AF_INET, hp->first.c_str(), &v4.sin_addr) == 1) {
      v4.sin_family = AF_INET;
      v4.sin_port = htons(hp->second);
      addr = &v4;
      len = sizeof v4;
    } else if (::inet_pton(AF_INET6, hp->first.c_str(), &v6.sin6_addr) == 1) {
      v6.sin6_family = AF_INET6;
      v6.sin6_port = htons(hp->second);
      addr = &v6;
      len = sizeof v6;
    } else {
      throw std::runtime_error("check_api.listen: not an IP address: " + hp->first);
    }
    l->daemon = start_daemon(*l, -1, addr, len);
    if (l->daemon == nullptr) throw std::runtime_error("libmicrohttpd did not start on " + options_.listen);
    if (const auto* info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT)) tcp_port_ = info->port;
    listeners_.push_back(std::move(l));
  }
  reaper_ = std::thread([this] { reap_loop(); });
}

void HttpServer::stop() {
  {
    std::lock_guard lock(reap_mutex_);
    stopping_ = true;
  }
  reap_wake_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  // Every parked request is answered and its connection resumed before libmicrohttpd may stop: stopping a
  // daemon with suspended connections is undefined. A request parked after this is answered inline.
  if (workers_) workers_->stop();
  for (auto& l : listeners_) {
    if (l->daemon != nullptr) MHD_stop_daemon(l->daemon);
    l->daemon = nullptr;
  }
  listeners_.clear();
  if (!options_.socket_path.empty()) ::unlink(options_.socket_path.c_str());
}

void HttpServer::on_connection(MHD_Connection* c, void** socket_state, bool started) {
  std::lock_guard lock(tracked_mutex_);
  if (!started) {
    tracked_.erase(c);  // before libmicrohttpd closes the fd: the reaper never touches a reused one
    *socket_state = nullptr;
    return;
  }
  auto t = std::make_unique<Tracked>();
  if (const auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD))
    t->fd = info->connect_fd;
  t->started = std::chrono::steady_clock::now();
  *socket_state = t.get();
  tracked_[c] = std::move(t);
}

void HttpServer::reap_loop() {
  // Slowloris: a client that trickles its headers keeps a connection alive under any idle timeout. Its
  // headers must be complete within header_timeout_s of connecting (of the previous request's end, for a
  // kept-alive connection, whose clock restarts then); past that its socket is shut down, which
  // libmicrohttpd sees as the peer leaving and cleans up on its own thread.
  const auto deadline = std::chrono::seconds(options_.header_timeout_s);
  std::unique_lock wait_lock(reap_mutex_);
  while (!stopping_) {
    reap_wake_.wait_for(wait_lock, std::chrono::milliseconds(250));
    if (stopping_) break;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(tracked_mutex_);
    for (auto& [c, t] : tracked_) {
      if (t->fd < 0 || t->headers_in.load(std::memory_order_acquire) || now - t->started < deadline) continue;
      ::shutdown(t->fd, SHUT_RDWR);
      t->fd = -1;
      metrics_.reject("header_timeout");
    }
  }
}

std::string HttpServer::certificate_client(MHD_Connection* c) const {
  const auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (info == nullptr) return {};
  const auto cn = verified_client_cn(info->tls_session);
  if (!cn || cn->empty()) return {};
  const auto named = options_.tls_client_names.find(*cn);
  return named != options_.tls_client_names.end() ? named->second : "cn:" + *cn;
}

Answer HttpServer::route(Request& r) {
  const std::string& u = r.url;
  if (r.method == "GET" && u == "/v1/health") return service_.health(metrics_.totals());
  if (r.method == "GET" && u.rfind("/v1/hash/", 0) == 0) {
    const std::string rest = u.substr(9);
    const auto slash = rest.find('/');
    if (slash == std::string::npos)
      return error_answer(404, "not_found", "use /v1/hash/{md5|sha1|sha256}/{hex}");
    return service_.hash(std::string_view(rest).substr(0, slash), std::string_view(rest).substr(slash + 1));
  }
  if (r.method == "POST" && u == "/v1/hashes") {
    if (r.text_too_large) return error_answer(413, "too_large", "the hash list is larger than 2 MiB");
    return service_.hashes(r.text);
  }
  if (r.method == "POST" && u == "/v1/pdq") {
    if (r.text_too_large) return error_answer(413, "too_large", "the body is larger than 2 MiB");
    return service_.pdq(r.text);
  }
  if (r.method == "POST" && u == "/v1/check") {
    const auto status = r.upload->finish();
    if (status == UploadBody::Status::too_large)
      return error_answer(413, "too_large", upload_status_reason(status));
    if (status != UploadBody::Status::ok) return error_answer(400, "bad_body", upload_status_reason(status));
    if (r.upload->file().empty()) return error_answer(400, "empty_body", "the body (the file) is empty");
    return service_.check(r.upload->file(), r.caller);
  }
  return error_answer(404, "not_found", "no such endpoint");
}

namespace {
std::string endpoint_of(const std::string& method, const std::string& url) {
  if (url == "/v1/check") return "check";
  if (url == "/v1/hashes") return "hashes";
  if (url == "/v1/pdq") return "pdq";
  if (url == "/v1/health") return "health";
  if (url.rfind("/v1/hash/", 0) == 0) return "hash";
  (void)method;
  return "other";
}

// The endpoints that take a body: they hash or look up, so they are answered on a check worker.
bool has_body(const std::string& endpoint) {
  return endpoint == "check" || endpoint == "hashes" || endpoint == "pdq";
}

bool method_allowed(const std::string& endpoint, const std::string& method) {
  if (endpoint == "health" || endpoint == "hash") return method == "GET";
  if (endpoint == "other") return true;
  return method == "POST";
}
}  // namespace

int HttpServer::answer(MHD_Connection* c, Request& r, const Answer& a) {
  MHD_Response* resp =
      MHD_create_response_from_buffer(a.body.size(), const_cast<char*>(a.body.data()), MHD_RESPMEM_MUST_COPY);
  if (resp == nullptr) return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", "application/json");
  if (a.status == 401) MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"dijk-check\"");
  if (a.status == 429 || a.status == 503) MHD_add_response_header(resp, "Retry-After", "1");
  const MHD_Result ret = MHD_queue_response(c, a.status, resp);
  MHD_destroy_response(resp);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.started).count();
  metrics_.request(r.endpoint, a.status, seconds);
  if (a.has_verdict) metrics_.verdict(a.verdict);
  return ret;
}

int HttpServer::on_access(Listener& l, MHD_Connection* c, const char* url, const char* method,
                          const char* data, std::size_t* size, void** state) {
  auto* r = static_cast<Request*>(*state);
  if (r == nullptr) {
    // The headers are in: the header deadline no longer applies to this connection.
    if (const auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT)) {
      if (auto* t = static_cast<Tracked*>(info->socket_context))
        t->headers_in.store(true, std::memory_order_release);
    }
    r = new Request;
    *state = r;
    r->method = method;
    r->url = url;
    r->endpoint = endpoint_of(r->method, r->url);
    auto refuse = [&](unsigned status, const char* code, const std::string& why, const char* reason) {
      metrics_.reject(reason);
      return answer(c, *r, error_answer(status, code, why));
    };
    // Who is asking: the client certificate's name or a token's name over TCP, the peer's uid on the unix
    // socket.
    std::string client;
    if (l.client_certs) {
      client = certificate_client(c);
      if (client.empty()) {
        return refuse(403, "client_certificate",
                      "a client certificate from check_api.tls_client_ca is required", "client_certificate");
      }
    } else if (l.tcp) {
      const std::string auth = header(c, "Authorization");
      constexpr std::string_view kBearer = "Bearer ";
      if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0) {
        const std::string_view presented = std::string_view(auth).substr(kBearer.size());
        for (const auto& [name, secret] : options_.tokens) {
          if (same_secret(presented, secret)) client = name;
        }
      }
      if (client.empty())
        return refuse(401, "unauthorized", "a valid bearer token is required", "unauthorized");
    } else {
      client = "socket";
      if (const auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)) {
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
          client = "uid:" + std::to_string(cred.uid);
        }
      }
    }
    metrics_.client(client);
    if (!limiter_.allow(client, std::chrono::steady_clock::now())) {
      return refuse(429, "rate_limited", "more requests a second than check_api.rate_per_client",
                    "rate_limited");
    }
    if (!method_allowed(r->endpoint, r->method)) {
      return refuse(405, "method_not_allowed", "method not allowed on " + r->url, "method");
    }
    if (has_body(r->endpoint)) {
      const std::uint64_t cap = r->endpoint == "check" ? options_.max_body_bytes : kMaxJsonBodyBytes;
      const std::string length = header(c, "Content-Length");
      if (!length.empty()) {
        errno = 0;
        char* end = nullptr;
        const unsigned long long n = std::strtoull(length.c_str(), &end, 10);
        if (errno != 0 || end == length.c_str() || n > cap) {
          return refuse(413, "too_large", "the body is larger than " + std::to_string(cap) + " bytes",
                        "too_large");
        }
      }
      if (r->endpoint == "check") r->upload.emplace(header(c, "Content-Type"), cap);
      r->caller.customer = header(c, "X-Dijk-Customer").substr(0, kMaxMetaBytes);
      r->caller.upload_id = header(c, "X-Dijk-Upload-Id").substr(0, kMaxMetaBytes);
      r->caller.client_ip = header(c, "X-Dijk-Client-Ip").substr(0, kMaxMetaBytes);
      r->body_expected = true;
    }
    return MHD_YES;
  }
  if (*size > 0) {
    // A chunked body has no Content-Length: its size is checked as it comes.
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(data), *size);
    if (!r->over_budget) {
      if (body_bytes_.fetch_add(*size) + *size > body_budget_) {
        body_bytes_.fetch_sub(*size);
        r->over_budget = true;
      } else {
        r->held += *size;
      }
    }
    if (r->over_budget) {
      // Dropped: the request is answered 503 once its body has been read.
    } else if (r->upload) {
      r->upload->feed(bytes);
    } else if (r->body_expected && !r->text_too_large) {
      if (r->text.size() + bytes.size() > kMaxJsonBodyBytes) {
        r->text_too_large = true;
        r->text.clear();
      } else {
        r->text.append(reinterpret_cast<const char*>(data), *size);
      }
    }
    *size = 0;
    return MHD_YES;
  }
  if (r->decided) return answer(c, *r, *r->decided);  // resumed: a check worker has decided
  if (has_body(r->endpoint)) {
    // Park the connection while a worker hashes or looks up; resuming it calls us again, here, with the
    // answer in r->decided. MHD_resume_connection is safe from any thread and wakes the polling thread.
    MHD_suspend_connection(c);
    auto job = [this, c, r] {
      r->decided = decide(*r);
      MHD_resume_connection(c);
    };
    if (!workers_->post(job)) job();  // stopping: answered here
    return MHD_YES;
  }
  return answer(c, *r, decide(*r));
}

Answer HttpServer::decide(Request& r) {
  Answer a;
  try {
    a = r.over_budget ? error_answer(503, "busy", "too many large bodies at once; retry shortly") : route(r);
  } catch (const std::exception& e) {
    a = error_answer(500, "internal", e.what());
  }
  if (a.status == 413) metrics_.reject("too_large");
  if (a.status == 400) metrics_.reject("bad_request");
  if (r.over_budget) metrics_.reject("body_budget");
  return a;
}

void HttpServer::on_completed(MHD_Connection* c, void** state) {
  if (const auto* r = static_cast<Request*>(*state)) body_bytes_.fetch_sub(r->held);
  delete static_cast<Request*>(*state);
  *state = nullptr;
  // A kept-alive connection's next request has the same header deadline, counted from now.
  if (const auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT)) {
    if (auto* t = static_cast<Tracked*>(info->socket_context)) {
      std::lock_guard lock(tracked_mutex_);
      t->started = std::chrono::steady_clock::now();
      t->headers_in.store(false, std::memory_order_release);
    }
  }
}

}  // namespace dijk::check
