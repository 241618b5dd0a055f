#pragma once
// The ICAP listener: TCP connections from proxies (Squid's icap_service, load balancers), each with its
// own IcapSession, on Boost.Asio with a small pool of threads. A connection's handlers run on its own
// strand (never two at once); a connection silent for idle_timeout_s, or one whose request has not
// completed within request_timeout_s, is closed, so slow or stuck clients cost a socket, not a thread.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "apps/dijk-check/icap/icap_session.h"

namespace dijk::icap {

struct IcapServerOptions {
  std::string listen;  // HOST:PORT (port 0: any free port, see port())
  std::uint32_t threads = 2;
  std::uint32_t max_connections = 256;
  std::uint32_t idle_timeout_s = 300;    // between requests (proxies keep connections open)
  std::uint32_t request_timeout_s = 60;  // one request's bytes, from its first byte
};

class IcapServer {
 public:
  using SessionFactory = std::function<std::unique_ptr<IcapSession>()>;

  IcapServer(IcapServerOptions options, SessionFactory make_session, check::ApiMetrics& metrics);
  ~IcapServer();
  IcapServer(const IcapServer&) = delete;
  IcapServer& operator=(const IcapServer&) = delete;

  // Binds and starts the threads; throws std::runtime_error naming the address on failure.
  void start();
  void stop();
  std::uint16_t port() const { return port_; }
  std::uint32_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
};

}  // namespace dijk::icap
