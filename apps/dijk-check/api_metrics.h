#pragma once
// dijk-check's metrics: requests by endpoint and status code, verdicts, refusals by reason, and a
// latency histogram in seconds (Prometheus histogram series: _bucket{le}, _sum, _count). Thread-safe.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "apps/dijk-check/check_service.h"
#include "config/metrics/registry.h"
#include "core/verdict.h"

namespace dijk::check {

class ApiMetrics {
 public:
  explicit ApiMetrics(metrics::Registry& registry);

  void request(const std::string& endpoint, unsigned status, double seconds);
  void verdict(Verdict v);
  // One request from a named client (a token's or certificate's name, uid:N on the socket), counted
  // before any limit refuses it. The names are few: configured tokens, certificates one CA issued, users.
  void client(const std::string& name);
  void reject(const std::string& reason);  // too_large, rate_limited, unauthorized, header_timeout, ...
  std::uint64_t rejects(const std::string& reason);
  // Totals over every endpoint, status and reason, for /v1/health.
  TrafficCounts totals();

 private:
  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  void collect(std::vector<metrics::Sample>& out) const;

  metrics::Registry& registry_;
  std::mutex mutex_;  // guards the maps (counters themselves are atomic)
  std::map<std::pair<std::string, unsigned>, metrics::Counter*> requests_;
  std::map<std::string, metrics::Counter*> rejects_;
  std::map<std::string, metrics::Counter*> clients_;
  std::array<metrics::Counter*, 3> verdicts_{};
  std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace dijk::check
