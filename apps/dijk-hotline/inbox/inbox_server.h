#pragma once
// The reference inbox: an HTTPS server (OpenSSL, TLS 1.2+) that accepts reports only from appliances
// presenting a certificate issued by the hotline's client CA, and stores them deduplicated (InboxStore).
// Bounded: a cap on connections, head and body sizes, and idle time; hostile input gets a 4xx and a count.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include "apps/dijk-hotline/inbox/inbox_store.h"

namespace dijk::inbox {

// Test hook: what the inbox does with the next report (to simulate failures). Production leaves it unset.
enum class Fault { none, answer_500, store_then_500, hang, store_then_drop };

struct InboxOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: pick a free port (see InboxServer::port())
  std::filesystem::path cert, key, client_ca;
  std::filesystem::path db;
  std::size_t max_connections = 64;
  std::chrono::milliseconds idle_timeout{15'000};
  std::chrono::milliseconds hang_time{3'000};  // how long Fault::hang stalls before closing
  std::function<Fault()> fault;
  std::function<void(std::string_view)> log;  // default: stderr
};

struct InboxStats {
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> tls_failures{0};  // handshakes that failed (no or untrusted certificate...)
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bad_requests{0};  // answered 4xx/5xx because of what the client sent
  std::atomic<std::uint64_t> forbidden{0};     // hits for an appliance other than the certificate's
  std::atomic<std::uint64_t> hits_accepted{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> refused_connections{0};  // over max_connections
};

class InboxServer {
 public:
  explicit InboxServer(InboxOptions options);  // binds and listens; throws on failure
  ~InboxServer();
  InboxServer(const InboxServer&) = delete;
  InboxServer& operator=(const InboxServer&) = delete;

  void start();  // serves on a background thread
  void stop();   // closes the listener and every connection, joins all threads
  std::uint16_t port() const { return port_; }
  const InboxStats& stats() const { return stats_; }
  InboxStore& store() { return store_; }

 private:
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void accept_loop();
  void reap_finished();
  void serve(int fd);
  void log(std::string_view m) const;

  InboxOptions options_;
  InboxStore store_;
  void* ctx_ = nullptr;  // SSL_CTX
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> active_{0};
  std::thread acceptor_;
  std::mutex threads_mutex_;
  std::list<Connection> connections_;  // accept thread adds and reaps; stop() joins the rest
  InboxStats stats_;
};

}  // namespace dijk::inbox
