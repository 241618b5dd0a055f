#pragma once
// The inbox's front door: accepts TCP connections and drives their TLS handshakes, all on one thread with
// non-blocking sockets, so a connection that has not authenticated costs a socket and a TLS state, never a
// serving slot or a thread. Bounded: each handshake has a short deadline; at most `max_pending` are under
// way, at most `max_per_source` from one address. When a cap is reached, the oldest handshake it covers is
// dropped for the newcomer rather than the newcomer refused: a real client completes within milliseconds, so
// only stalled handshakes are ever the oldest, and a flood from one address cannot lock out a fast client
// that shares it (or any other address).
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <unordered_map>

#include "apps/dijk-hotline/inbox/inbox_stats.h"

namespace dijk::inbox {

struct HandshakeLimits {
  std::size_t max_pending = 512;
  std::size_t max_per_source = 32;
  std::chrono::milliseconds timeout{2'000};
};

class HandshakeStage {
 public:
  using Clock = std::chrono::steady_clock;
  // Takes over a connection whose handshake completed (fd non-blocking; the callee closes both).
  using Ready = std::function<void(int fd, SSL* ssl, Clock::time_point accepted)>;

  // listen_fd: a non-blocking listening socket (IPv4) the stage accepts from; not owned.
  HandshakeStage(SSL_CTX* ctx, int listen_fd, HandshakeLimits limits, InboxStats& stats);
  ~HandshakeStage();  // drops every handshake still under way
  HandshakeStage(const HandshakeStage&) = delete;
  HandshakeStage& operator=(const HandshakeStage&) = delete;

  // Waits at most `wait` for a socket to become ready, then advances handshakes, accepts newcomers and
  // drops handshakes past their deadline.
  void run_once(std::chrono::milliseconds wait, const Ready& ready);
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    int fd;
    SSL* ssl;
    std::uint32_t source;  // IPv4 address, network order
    Clock::time_point accepted;
    short events;
  };
  using Iterator = std::list<Pending>::iterator;
  void advance(Iterator it, const Ready& ready);
  void accept_newcomers();
  void admit(int fd, std::uint32_t source);
  void drop(Iterator it);

  SSL_CTX* ctx_;
  int listen_fd_;
  HandshakeLimits limits_;
  InboxStats& stats_;
  std::list<Pending> pending_;  // oldest first
  std::unordered_map<std::uint32_t, std::size_t> per_source_;
};

}  // namespace dijk::inbox
