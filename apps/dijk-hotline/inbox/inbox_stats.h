#pragma once
// The inbox's counters: one for every way a connection or a request ends other than stored.
#include <atomic>
#include <cstdint>

namespace dijk::inbox {

struct InboxStats {
  std::atomic<std::uint64_t> connections{0};   // TCP connections accepted
  std::atomic<std::uint64_t> tls_failures{0};  // handshakes that failed (no or untrusted certificate...)
  std::atomic<std::uint64_t> handshake_timeouts{0};  // handshakes not done within the handshake timeout
  std::atomic<std::uint64_t> handshakes_evicted{0};  // dropped, the oldest, for a newer one over a cap
  std::atomic<std::uint64_t> refused_busy{0};        // authenticated, but every serving slot taken: 503
  std::atomic<std::uint64_t> refused_appliance{0};   // authenticated, but its appliance's slots taken: 503
  std::atomic<std::uint64_t> refused_memory{0};      // a body that did not fit the body memory budget: 503
  std::atomic<std::uint64_t> request_timeouts{0};    // a request not complete within the request timeout
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bad_requests{0};  // answered 4xx/5xx because of what the client sent
  std::atomic<std::uint64_t> forbidden{0};     // hits for an appliance other than the certificate's
  std::atomic<std::uint64_t> revoked{0};       // connections and requests on a revoked certificate: 403
  std::atomic<std::uint64_t> hits_accepted{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> heartbeats{0};          // appliance heartbeats stored
  std::atomic<std::uint64_t> heartbeats_refused{0};  // malformed, or another appliance's: dropped, hits kept
};

}  // namespace dijk::inbox
