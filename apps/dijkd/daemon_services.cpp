#include "apps/dijkd/daemon_services.h"

#include <unistd.h>

#include <iostream>
#include <mutex>

#include "apps/dijkd/hit_lanes.h"
#include "config/admin/status.h"
#include "config/cli/version.h"
#include "config/daemon/daemon_shell.h"
#include "config/daemon/restart_keys.h"
#include "config/metrics/registry.h"
#include "core/unix_time.h"
#include "dataplane/dpdk/worker.h"
#include "dataplane/pipeline/live_set.h"
#include "dataplane/pipeline/pdq_stage.h"
#include "dataplane/pipeline/stream_consumer.h"
#include "hashcore/pdq_index/pdq_set_section.h"

namespace dijk {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t find(const dpdk::CounterList& list, std::string_view name) {
  for (const auto& [n, v] : list)
    if (n == name) return v;
  return 0;
}

// Traffic seen but not fully processed, summed over ports and worker lcores.
admin::Drops drops_of(const CounterView& view) {
  admin::Drops d;
  for (const auto& [port, list] : view.ports) d.nic += find(list, "imissed") + find(list, "rx_nombuf");
  for (const auto& [lcore, list] : view.workers) {
    d.forward += find(list, "forward_dropped");
    d.flow_evictions += find(list, "stream_evictions");
    d.truncated_files += find(list, "stream_truncated_files");
    d.pdq_skipped += find(list, "stream_pdq_skipped");
  }
  return d;
}

struct WireMetric {
  std::string name;
  std::string help;
  metrics::Type type = metrics::Type::kCounter;
  double value = 0;
};

// What a worker's counter is, from the list that declares it: the worker's own and decoding's, the
// stream consumer's (stream_counters.h and its levels).
dpdk::CounterInfo worker_counter_info(std::string_view name) {
  if (const std::string_view help = dpdk::worker_counter_help(name); !help.empty()) return {help, false};
  return StreamConsumer::counter_info(name);
}

// The daemon's own counters: the PDQ stage's and the journal's.
dpdk::CounterInfo daemon_counter_info(std::string_view name) {
  if (const std::string_view help = pdq_stage_counter_help(name); !help.empty()) return {help, false};
  if (name == "hits_reported") return {"hits handed to the hit sinks", false};
  return HitLanes::counter_info(name);
}

// A counter as Prometheus wants it: counters end in _total, levels are gauges, time is in seconds, and the
// help text is the one the counter was declared with.
WireMetric metric_of(const std::string& prefix, const std::string& name, std::uint64_t value,
                     const dpdk::CounterInfo& info) {
  WireMetric m;
  m.value = static_cast<double>(value);
  m.help = info.help.empty() ? "dijkd counter " + name : std::string(info.help);
  if (name == "cpu_ns") {
    m.name = prefix + "cpu_seconds_total";
    m.help = "CPU time the worker lcore has used since it started";
    m.value = static_cast<double>(value) / 1e9;
  } else if (info.gauge) {
    m.name = prefix + name;
    m.type = metrics::Type::kGauge;
  } else {
    m.name = prefix + name + "_total";
  }
  return m;
}

}  // namespace

struct DaemonServices::Impl {
  Impl(std::string path, const Config& config, LiveSet& live_set, CounterSource source,
       std::function<void(const Config&)> apply)
      : set(live_set), counters(std::move(source)), apply_live(std::move(apply)) {
    daemon::ShellOptions o;
    o.name = "dijkd";
    o.config_path = std::move(path);
    o.config = config;
    o.socket = config.admin.socket;
    if (config.metrics.enabled) o.metrics_listen = config.metrics.listen;
    o.apply = [this](const Config&, const Config& next) { apply_live(next); };
    o.restart_keys = daemon::dijkd_restart_keys();
    o.status = [this] { return status(); };
    // The watchdog pings only while the main lcore's supervision loop has beaten in the last 5 s.
    o.alive = [this] {
      const auto now =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
      return now - last_beat_ms.load() < 5000;
    };
    shell = std::make_unique<daemon::DaemonShell>(std::move(o));
  }

  // Totals over the workers for the status verb's rates: the rate since the previous status call.
  admin::Rates rates(const CounterView& view) {
    std::uint64_t packets = 0, bytes = 0, files = 0;
    for (const auto& [lcore, list] : view.workers) {
      packets += find(list, "rx_packets");
      bytes += find(list, "rx_bytes");
      files += find(list, "stream_files");
    }
    const std::uint64_t hits = find(view.daemon, "hits_reported");
    std::lock_guard lock(rate_mutex);
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double>(now - rate_at).count();
    admin::Rates r;
    if (dt > 0 && rate_seen) {
      r.packets_per_s = static_cast<double>(packets - last_packets) / dt;
      r.bytes_per_s = static_cast<double>(bytes - last_bytes) / dt;
      r.files_per_s = static_cast<double>(files - last_files) / dt;
      r.hits_per_s = static_cast<double>(hits - last_hits) / dt;
    }
    rate_seen = true;
    rate_at = now;
    last_packets = packets, last_bytes = bytes, last_files = files, last_hits = hits;
    return r;
  }

  admin::DaemonStatus status() {
    admin::DaemonStatus s;
    s.daemon = "dijkd";
    s.version = std::string(cli::dijk_version());
    s.pid = getpid();
    s.uptime_s = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count());
    s.appliance_id = shell->config().current().appliance_id;
    s.dataplane = dataplane;
    if (const auto live = set.current()) {
      const std::int64_t age = unix_now() - live->created_unix();
      s.set = admin::SetStatus{live->version(), set_entry_count(*live),
                               age > 0 ? static_cast<std::uint64_t>(age) : 0, set.path()};
    }
    s.set_error = set.status().last_error;
    CounterView view = counters();
    s.rates = rates(view);
    s.drops = drops_of(view);
    s.alarms = std::move(view.alarms);
    return s;
  }

  // Every counter: per lcore (label lcore), per port (label port), and the daemon's own.
  void collect(std::vector<metrics::Sample>& out) {
    const CounterView view = counters();
    for (const auto& [lcore, list] : view.workers)
      for (const auto& [name, value] : list) {
        const WireMetric m = metric_of("dijk_wire_", name, value, worker_counter_info(name));
        out.push_back({m.name, m.help, m.type, {{"lcore", std::to_string(lcore)}}, m.value});
      }
    for (const auto& [port, list] : view.ports)
      for (const auto& [name, value] : list)
        out.push_back({"dijk_port_" + name + "_total",
                       "DPDK port counter " + name,
                       metrics::Type::kCounter,
                       {{"port", port}},
                       static_cast<double>(value)});
    for (const auto& [name, value] : view.daemon) {
      const WireMetric m = metric_of("dijk_", name, value, daemon_counter_info(name));
      out.push_back({m.name, m.help, m.type, {}, m.value});
    }
    const SetWatchStatus w = set.status();
    out.push_back({"dijk_set_swaps_total",
                   "Hash sets swapped in while running.",
                   metrics::Type::kCounter,
                   {},
                   static_cast<double>(w.swaps)});
    out.push_back({"dijk_set_swap_failures_total",
                   "New set files that did not verify (the old set kept serving).",
                   metrics::Type::kCounter,
                   {},
                   static_cast<double>(w.failures)});
  }

  LiveSet& set;
  std::string dataplane;  // set before start(), read by status()
  CounterSource counters;
  std::function<void(const Config&)> apply_live;
  Clock::time_point started = Clock::now();
  std::mutex rate_mutex;
  Clock::time_point rate_at = Clock::now();
  bool rate_seen = false;
  std::uint64_t last_packets = 0, last_bytes = 0, last_files = 0, last_hits = 0;
  std::atomic<std::int64_t> last_beat_ms{0};
  std::unique_ptr<daemon::DaemonShell> shell;  // last: its hooks use the members above
};

DaemonServices::DaemonServices(std::string config_path, const Config& config, LiveSet& set,
                               CounterSource counters, std::function<void(const Config&)> apply_live)
    : impl_(std::make_unique<Impl>(std::move(config_path), config, set, std::move(counters),
                                   std::move(apply_live))) {
  Impl& i = *impl_;
  i.shell->registry().add_collector([&i](std::vector<metrics::Sample>& out) { i.collect(out); });
}

void DaemonServices::describe_dataplane(std::string description) {
  impl_->dataplane = std::move(description);
}

DaemonServices::~DaemonServices() {
  stop();
}

void DaemonServices::start() {
  heartbeat();
  impl_->shell->start();
}

void DaemonServices::ready() {
  impl_->shell->ready();
}

void DaemonServices::reload() {
  impl_->shell->reload();
}

void DaemonServices::heartbeat() {
  impl_->last_beat_ms.store(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count());
}

void DaemonServices::stop() {
  if (impl_) impl_->shell->stop();
}

std::uint16_t DaemonServices::metrics_port() const {
  return impl_->shell->metrics_port();
}

}  // namespace dijk
