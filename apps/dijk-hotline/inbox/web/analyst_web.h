#pragma once
// The analysts' web view: a second HTTPS listener of the inbox (the inbox's own certificate) serving
// read-only pages of hits (with filters), the fleet and the feed's history. Analysts sign in with a name and
// secret from a tokens file (HTTP Basic, or Bearer for tools). Bounded like the inbox: handshakes on one
// thread with a deadline (HandshakeStage), a cap on connections served at once, one request a connection
// within a deadline. GET only; nothing here writes.
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "apps/dijk-hotline/inbox/connection_threads.h"
#include "apps/dijk-hotline/inbox/handshake_stage.h"
#include "apps/dijk-hotline/inbox/inbox_stats.h"
#include "apps/dijk-hotline/inbox/inbox_store.h"
#include "apps/dijk-hotline/inbox/tls_listener.h"
#include "apps/dijk-hotline/inbox/web/analyst_data.h"
#include "apps/dijk-hotline/inbox/web/analyst_tokens.h"

namespace dijk::web {

struct AnalystWebOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port (see port())
  std::filesystem::path cert, key;
  std::string db;                // the inbox's database (file or URL), read through a connection of its own
  std::filesystem::path tokens;  // analysts: NAME SECRET a line
  std::filesystem::path feed_keys;  // the feed's keys directory, for its history; empty: none
  std::size_t max_connections = 16;
  std::chrono::milliseconds request_timeout{10'000};
  inbox::HandshakeLimits handshakes;
  std::shared_ptr<FleetSource> fleet;  // null: the appliances seen in hits
  std::function<void(std::string_view)> log;
};

class AnalystWeb {
 public:
  explicit AnalystWeb(AnalystWebOptions options);  // binds; throws on failure
  ~AnalystWeb();
  AnalystWeb(const AnalystWeb&) = delete;
  AnalystWeb& operator=(const AnalystWeb&) = delete;

  void start();
  void stop();
  std::uint16_t port() const { return listener_.port(); }
  std::uint64_t refused_unauthenticated() const { return unauthenticated_.load(); }

 private:
  struct Response {
    int status = 200;
    std::string content_type = "text/html; charset=utf-8";
    std::string body;
  };
  void accept_loop();
  void admit(int fd, SSL* ssl);
  void serve(int fd, SSL* ssl);
  Response answer(std::string_view head);
  Response hits(const std::string& analyst, const std::map<std::string, std::string>& query);

  AnalystWebOptions options_;
  // Its own connection: with the inbox's WAL journal, a page that reads many hits never holds up a report.
  std::unique_ptr<inbox::InboxStore> store_;
  AnalystTokens tokens_;
  inbox::TlsListener listener_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> unauthenticated_{0};
  inbox::InboxStats handshake_stats_;
  std::thread acceptor_;
  inbox::ConnectionThreads connections_;
};

}  // namespace dijk::web
