#pragma once
// dijk-check's HTTP side on libmicrohttpd: a unix socket (access by file permission: group dijk-api) and
// optionally TCP (bearer tokens, or TLS client certificates), each read by a pool of polling threads on
// epoll, so a slow client holds a connection slot, never a thread. Requests that hash or look up (check,
// hashes, pdq) are parked while a shared pool of check workers answers them, so the cores stay busy
// whichever polling thread a connection landed on. Limits: connections, body size (413,
// refused from Content-Length before the body is read), requests a second per client (429), an idle timeout
// and a header deadline (a reaper cuts connections whose headers are not in after header_timeout_s:
// slowloris).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apps/dijk-check/api_metrics.h"
#include "apps/dijk-check/check_service.h"
#include "apps/dijk-check/check_workers.h"
#include "apps/dijk-check/rate_limiter.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace dijk::check {

struct ServerOptions {
  std::string socket_path;   // empty: no unix socket
  std::string socket_group;  // chgrp of the socket when it exists (root only); empty: leave it
  std::string listen;        // "HOST:PORT"; empty: no TCP
  std::vector<std::pair<std::string, std::string>> tokens;  // name, secret
  // TLS on the TCP listener (PEM text; empty cert: plain HTTP). With a client CA the handshake demands a
  // certificate it signed, whose CN (or its name in tls_client_names) identifies the client: no token.
  std::string tls_cert_pem, tls_key_pem, tls_client_ca_pem;
  std::map<std::string, std::string> tls_client_names;  // CN -> client name
  std::uint64_t max_body_bytes = 64ull << 20;
  std::uint32_t rate_per_client = 100;
  std::uint32_t header_timeout_s = 10;
  std::uint32_t idle_timeout_s = 30;
  std::uint32_t threads = 2;
  std::uint32_t max_connections = 1024;
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, const CheckService& service, ApiMetrics& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();  // throws std::runtime_error when a listener cannot be set up
  void stop();
  std::uint16_t tcp_port() const { return tcp_port_; }

  struct Listener;  // one MHD daemon: the unix socket or TCP
  struct Request;   // one request's state across access-handler calls
  struct Tracked;   // one connection, for the header deadline

  // libmicrohttpd callbacks (public for the C trampolines in http_server.cpp).
  int on_access(Listener& l, MHD_Connection* c, const char* url, const char* method, const char* data,
                std::size_t* size, void** state);
  void on_completed(MHD_Connection* c, void** state);
  void on_connection(MHD_Connection* c, void** socket_state, bool started);

 private:
  MHD_Daemon* start_daemon(Listener& l, int listen_fd, const void* addr, std::size_t addr_len);
  int answer(MHD_Connection* c, Request& r, const Answer& a);
  Answer route(Request& r);
  // The answer to a request whose body is in (route, with the refusals counted); on a check worker for the
  // endpoints that hash or look up.
  Answer decide(Request& r);
  // The client a verified certificate names on a TLS connection ("" if none verified).
  std::string certificate_client(MHD_Connection* c) const;
  void reap_loop();

  ServerOptions options_;
  const CheckService& service_;
  ApiMetrics& metrics_;
  RateLimiter limiter_;
  std::unique_ptr<CheckWorkers> workers_;  // started before the listeners, stopped before them
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::uint16_t tcp_port_ = 0;
  // Bytes of request bodies held by all requests together, and the most they may hold: many large uploads
  // at once get 503 rather than take the appliance's memory (max_body_mb bounds only one).
  std::atomic<std::uint64_t> body_bytes_{0};
  std::uint64_t body_budget_ = 0;

  std::mutex tracked_mutex_;  // guards tracked_ (connection notify callbacks and the reaper)
  std::map<MHD_Connection*, std::unique_ptr<Tracked>> tracked_;
  std::mutex reap_mutex_;
  std::condition_variable reap_wake_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace dijk::check
