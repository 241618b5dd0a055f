#include "apps/dijk-check/api_metrics.h"

#include <cstdio>

namespace dijk::check {

namespace {
constexpr const char* kHistogram = "dijk_check_request_duration_seconds";
}

ApiMetrics::ApiMetrics(metrics::Registry& registry) : registry_(registry) {
  for (const Verdict v : {Verdict::allow, Verdict::report, Verdict::block}) {
    verdicts_[static_cast<std::size_t>(v)] = &registry_.counter(
        "dijk_check_verdicts_total", "Checked uploads by verdict.", {{"verdict", verdict_name(v)}});
  }
  registry_.add_collector([this](std::vector<metrics::Sample>& out) { collect(out); });
}

void ApiMetrics::request(const std::string& endpoint, unsigned status, double seconds) {
  metrics::Counter* c = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto& slot = requests_[{endpoint, status}];
    if (slot == nullptr) {
      slot = &registry_.counter("dijk_check_requests_total", "Check API requests by endpoint and status.",
                                {{"endpoint", endpoint}, {"code", std::to_string(status)}});
    }
    c = slot;
  }
  c->add();
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void ApiMetrics::verdict(Verdict v) {
  verdicts_[static_cast<std::size_t>(v)]->add();
}

void ApiMetrics::client(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = clients_[name];
  if (slot == nullptr) {
    slot = &registry_.counter("dijk_check_client_requests_total", "Check API requests by client.",
                              {{"client", name}});
  }
  slot->add();
}

void ApiMetrics::reject(const std::string& reason) {
  std::lock_guard lock(mutex_);
  auto& slot = rejects_[reason];
  if (slot == nullptr) {
    slot = &registry_.counter("dijk_check_rejects_total", "Check API requests refused, by reason.",
                              {{"reason", reason}});
  }
  slot->add();
}

std::uint64_t ApiMetrics::rejects(const std::string& reason) {
  std::lock_guard lock(mutex_);
  const auto it = rejects_.find(reason);
  return it == rejects_.end() ? 0 : it->second->value();
}

TrafficCounts ApiMetrics::totals() {
  TrafficCounts t;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, counter] : requests_) t.requests += counter->value();
    for (const auto& [reason, counter] : rejects_) t.rejected += counter->value();
  }
  t.allow = verdicts_[static_cast<std::size_t>(Verdict::allow)]->value();
  t.report = verdicts_[static_cast<std::size_t>(Verdict::report)]->value();
  t.block = verdicts_[static_cast<std::size_t>(Verdict::block)]->value();
  return t;
}

void ApiMetrics::collect(std::vector<metrics::Sample>& out) const {
  const char* help = "Check API request latency, from the request's headers to its answer.";
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    char le[32];
    std::snprintf(le, sizeof le, "%g", kBuckets[i]);
    out.push_back({std::string(kHistogram) + "_bucket",
                   help,
                   metrics::Type::kCounter,
                   {{"le", le}},
                   static_cast<double>(buckets_[i].load(std::memory_order_relaxed))});
  }
  const auto count = static_cast<double>(count_.load(std::memory_order_relaxed));
  out.push_back(
      {std::string(kHistogram) + "_bucket", help, metrics::Type::kCounter, {{"le", "+Inf"}}, count});
  out.push_back({std::string(kHistogram) + "_sum",
                 help,
                 metrics::Type::kCounter,
                 {},
                 static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9});
  out.push_back({std::string(kHistogram) + "_count", help, metrics::Type::kCounter, {}, count});
}

}  // namespace dijk::check
