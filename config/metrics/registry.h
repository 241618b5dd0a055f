// Metrics a daemon registers and the admin `stats` verb and the Prometheus endpoint both read. Simple
// counters and gauges live here (relaxed atomics); hot-path counters stay owned by their lcore and are
// read at scrape time through a collector callback, so nothing on the packet path ever takes a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace dijk::metrics {

enum class Type { kCounter, kGauge };
using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string name;  // e.g. "dijk_packets_received_total"
  std::string help;
  Type type = Type::kCounter;
  Labels labels;
  double value = 0;
};

class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Registry {
 public:
  using Collector = std::function<void(std::vector<Sample>& out)>;

  // The returned references stay valid for the registry's lifetime. Names must match
  // [a-zA-Z_:][a-zA-Z0-9_:]* (std::invalid_argument otherwise).
  Counter& counter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, Labels labels = {});
  void add_collector(Collector collector);

  // Every sample, grouped by name (registration order within a name).
  std::vector<Sample> collect() const;

 private:
  struct Owned {
    std::string name;
    std::string help;
    Labels labels;
    Type type;
    Counter counter;
    Gauge gauge;
  };
  Owned& add(const std::string& name, const std::string& help, Labels labels, Type type);

  mutable std::mutex mutex_;
  std::deque<Owned> owned_;
  std::vector<Collector> collectors_;
};

bool valid_metric_name(const std::string& name);

// Prometheus text exposition format 0.0.4.
std::string render_prometheus(const std::vector<Sample>& samples);

// [{"name":..., "labels":{...}, "value":...}, ...] for the admin `stats` verb.
nlohmann::json to_json(const std::vector<Sample>& samples);

}  // namespace dijk::metrics
