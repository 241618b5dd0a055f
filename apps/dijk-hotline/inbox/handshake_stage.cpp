#include "apps/dijk-hotline/inbox/handshake_stage.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace dijk::inbox {
namespace {
// Accepts per wake-up, so that a connect flood cannot keep the stage from advancing handshakes.
constexpr int kMaxAcceptsPerRound = 256;
}  // namespace

HandshakeStage::HandshakeStage(SSL_CTX* ctx, int listen_fd, HandshakeLimits limits, InboxStats& stats)
    : ctx_(ctx), listen_fd_(listen_fd), limits_(limits), stats_(stats) {
  limits_.max_pending = std::max<std::size_t>(limits_.max_pending, 1);
  limits_.max_per_source = std::max<std::size_t>(limits_.max_per_source, 1);
}

HandshakeStage::~HandshakeStage() {
  while (!pending_.empty()) drop(pending_.begin());
}

void HandshakeStage::run_once(std::chrono::milliseconds wait, const Ready& ready) {
  std::vector<pollfd> fds;
  std::vector<Iterator> handshakes;
  fds.reserve(pending_.size() + 1);
  handshakes.reserve(pending_.size());
  fds.push_back({listen_fd_, POLLIN, 0});
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    fds.push_back({it->fd, it->events, 0});
    handshakes.push_back(it);
  }
  auto now = Clock::now();
  if (!pending_.empty()) {  // wake up for the oldest deadline
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(pending_.front().accepted +
                                                                            limits_.timeout - now);
    wait = std::clamp(left + std::chrono::milliseconds(1), std::chrono::milliseconds(0), wait);
  }
  if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) > 0) {
    // Handshakes first: accepting may drop some of them to make room.
    for (std::size_t i = 0; i < handshakes.size(); ++i) {
      if (fds[i + 1].revents != 0) advance(handshakes[i], ready);
    }
    if ((fds[0].revents & POLLIN) != 0) accept_newcomers();
  }
  now = Clock::now();
  while (!pending_.empty() && pending_.front().accepted + limits_.timeout <= now) {
    ++stats_.handshake_timeouts;
    drop(pending_.begin());
  }
}

void HandshakeStage::advance(Iterator it, const Ready& ready) {
  ERR_clear_error();
  const int r = SSL_accept(it->ssl);
  if (r == 1) {
    const Pending done = *it;
    if (--per_source_[done.source] == 0) per_source_.erase(done.source);
    pending_.erase(it);
    ready(done.fd, done.ssl, done.accepted);
    return;
  }
  switch (SSL_get_error(it->ssl, r)) {
    case SSL_ERROR_WANT_READ:
      it->events = POLLIN;
      break;
    case SSL_ERROR_WANT_WRITE:
      it->events = POLLOUT;
      break;
    default:  // no or untrusted certificate, a protocol error, or the client went away
      ++stats_.tls_failures;
      ERR_clear_error();
      drop(it);
  }
}

void HandshakeStage::accept_newcomers() {
  for (int i = 0; i < kMaxAcceptsPerRound; ++i) {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    const int fd =
        ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;  // EAGAIN: none left (or a transient error: poll tells again)
    ++stats_.connections;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    admit(fd, peer.sin_addr.s_addr);
  }
}

void HandshakeStage::admit(int fd, std::uint32_t source) {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) {
    ::close(fd);
    return;
  }
  SSL_set_fd(ssl, fd);
  const auto mine = per_source_.find(source);
  if (mine != per_source_.end() && mine->second >= limits_.max_per_source) {
    const auto oldest =
        std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.source == source; });
    ++stats_.handshakes_evicted;
    drop(oldest);
  } else if (pending_.size() >= limits_.max_pending) {
    ++stats_.handshakes_evicted;
    drop(pending_.begin());
  }
  pending_.push_back({fd, ssl, source, Clock::now(), POLLIN});
  ++per_source_[source];
}

void HandshakeStage::drop(Iterator it) {
  SSL_free(it->ssl);
  ::close(it->fd);
  if (--per_source_[it->source] == 0) per_source_.erase(it->source);
  pending_.erase(it);
}

}  // namespace dijk::inbox
