#pragma once
// What `dijkd run --config` serves beside the dataplane, in the daemon shell both daemons share
// (config/daemon: the admin socket with status, stats and config show/set/confirm/reload, the Prometheus
// endpoint, sd_notify readiness, reload and watchdog): dijkd's status and every counter (per lcore where
// they are per lcore).
// Everything here runs on threads of its own or on the main lcore; the workers only publish counter
// snapshots (dpdk::Worker::snapshot) and pick up what LiveSet and PdqStage expose.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/schema/config.h"
#include "dataplane/dpdk/segment_consumer.h"

namespace dijk {

class LiveSet;
class PdqStage;

// Every counter dijkd has, as of now.
struct CounterView {
  std::vector<std::pair<unsigned, dpdk::CounterList>> workers;   // lcore id, its counters
  std::vector<std::pair<std::string, dpdk::CounterList>> ports;  // port name, its counters
  dpdk::CounterList daemon;                                      // PDQ stage, hits reported, ...
  std::vector<std::string> alarms;  // what an operator must act on now (e.g. the journal cannot keep up)
};

class DaemonServices {
 public:
  using CounterSource = std::function<CounterView()>;
  // `live` is applied on reload: paths.set (the file watched) and hashing.pdq_max_distance.
  DaemonServices(std::string config_path, const Config& config, LiveSet& set, CounterSource counters,
                 std::function<void(const Config&)> apply_live);
  ~DaemonServices();
  DaemonServices(const DaemonServices&) = delete;
  DaemonServices& operator=(const DaemonServices&) = delete;

  // What `status` says the dataplane is doing (ports and mode, or idle and why).
  void describe_dataplane(std::string description);
  // Binds the admin socket and the metrics listener; throws with a message an operator can act on.
  void start();
  // systemd: READY=1 (the dataplane is receiving).
  void ready();
  // SIGHUP: re-read the file; a file with errors is logged and the running config kept.
  void reload();
  // The main lcore's loop calls this every pass: the watchdog pings only while it does.
  void heartbeat();
  void stop();
  std::uint16_t metrics_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dijk
