#pragma once
// The reference inbox: an HTTPS server (OpenSSL, TLS 1.2+) that accepts reports only from appliances
// presenting a certificate issued by the hotline's client CA, and stores them deduplicated (InboxStore:
// SQLite or PostgreSQL).
// Nobody who reaches its port can starve it: handshakes run on one thread with a short deadline and caps
// (HandshakeStage); only authenticated connections get a serving thread, within per-appliance and total
// caps; each request has a whole-request deadline; request bodies share one memory budget (inbox_limits.h).
// Hostile input gets a 4xx and a count, every refusal a count.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "apps/dijk-hotline/inbox/connection_threads.h"
#include "apps/dijk-hotline/inbox/handshake_stage.h"
#include "apps/dijk-hotline/inbox/inbox_limits.h"
#include "apps/dijk-hotline/inbox/inbox_stats.h"
#include "apps/dijk-hotline/inbox/inbox_store.h"
#include "apps/dijk-hotline/inbox/revocation_list.h"
#include "apps/dijk-hotline/inbox/tls_listener.h"

namespace dijk::inbox {

// Test hook: what the inbox does with the next report (to simulate failures), given its body. Production
// leaves it unset. answer_403 refuses the report for good, as a policy refusal of one hit would.
enum class Fault { none, answer_500, store_then_500, hang, store_then_drop, answer_403 };

struct InboxOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: pick a free port (see InboxServer::port())
  std::filesystem::path cert, key, client_ca;
  std::filesystem::path crl;          // revoked appliance certificates (a CRL by the client CA); empty: none
  std::string db;                     // a SQLite file, or a postgresql:// URL (open_inbox_store)
  HandshakeLimits handshakes;         // connections not yet authenticated
  std::size_t max_connections = 64;   // authenticated connections served at once
  std::size_t max_per_appliance = 4;  // of which one appliance (certificate common name) may hold
  std::chrono::milliseconds request_timeout{30'000};  // a whole request, handshake (for the first) to body
  std::chrono::milliseconds idle_timeout{15'000};     // a kept-alive connection waiting for its next request
  std::uint64_t body_memory = 64ull << 20;            // bytes of request bodies held at once
  std::chrono::milliseconds hang_time{3'000};         // how long Fault::hang stalls before closing
  std::function<Fault(std::string_view body)> fault;  // test hook: a fault for this report
  std::function<void(std::string_view)> log;          // default: stderr
};

class InboxServer {
 public:
  explicit InboxServer(InboxOptions options);  // binds and listens; throws on failure
  ~InboxServer();
  InboxServer(const InboxServer&) = delete;
  InboxServer& operator=(const InboxServer&) = delete;

  void start();  // serves on a background thread
  void stop();   // closes the listener and every connection, joins all threads
  std::uint16_t port() const { return listener_.port(); }
  const InboxStats& stats() const { return stats_; }
  std::uint64_t body_bytes_in_use() const { return body_budget_.in_use(); }
  std::size_t serving() const { return slots_.in_use(); }
  InboxStore& store() { return *store_; }

 private:
  void accept_loop();
  // Gives an authenticated connection a serving thread, or refuses it (503) when its slots are taken.
  void admit(int fd, SSL* ssl, std::chrono::steady_clock::time_point accepted);
  void serve(int fd, SSL* ssl, const std::string& appliance, std::chrono::steady_clock::time_point accepted);
  void log(std::string_view m) const;
  // True (logged and counted) if the revocation list names the connection's certificate.
  bool revoked(SSL* ssl, const std::string& appliance);
  void store_heartbeat(const Heartbeat& beat);

  InboxOptions options_;
  std::unique_ptr<InboxStore> store_;
  RevocationList revocations_;
  TlsListener listener_;
  std::atomic<bool> stop_{false};
  ServingSlots slots_;
  BodyBudget body_budget_;
  std::thread acceptor_;
  ConnectionThreads connections_;  // accept thread adds and reaps; stop() joins the rest
  InboxStats stats_;
};

}  // namespace dijk::inbox
