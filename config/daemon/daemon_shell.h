#pragma once
// The shell every dijk daemon runs in, around its own work: the config (ConfigService: reload, `config
// set`, confirm-or-revert), the admin socket with `status` and `stats`, the Prometheus exporter over one
// registry, and systemd's readiness, reload and watchdog (sd_notify). The daemon adds its own verbs and
// collectors before start() and drives reload() and stop() from its signal loop; nothing here knows what
// the daemon does.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/admin/config_service.h"
#include "config/admin/server.h"
#include "config/admin/status.h"
#include "config/metrics/registry.h"
#include "config/schema/config.h"

namespace dijk::daemon {

struct ShellOptions {
  std::string name;  // "dijkd", "dijk-control": the log prefix and the `daemon` label of the shell's metrics
  std::string config_path;
  Config config;                     // as loaded from config_path
  std::string socket;                // the admin socket
  std::optional<std::string> group;  // who may use it; default config.admin.group
  unsigned socket_mode = 0660;       // tests loosen it to prove the credential check
  std::string metrics_listen;        // HOST:PORT; empty: no exporter
  // A config change to apply while running (reload, `config set`); runs on the admin or main thread.
  std::function<void(const Config& old_config, const Config& next)> apply;
  // The keys this daemon reads only at its start (config/daemon/restart_keys.h).
  RestartKeys restart_keys = all_restart_keys();
  // The daemon's status; the shell fills in its `config` part.
  std::function<admin::DaemonStatus()> status;
  // The watchdog pings only while this says the daemon's own loop turns (empty: no watchdog).
  std::function<bool()> alive;
};

class DaemonShell {
 public:
  explicit DaemonShell(ShellOptions options);
  ~DaemonShell();
  DaemonShell(const DaemonShell&) = delete;
  DaemonShell& operator=(const DaemonShell&) = delete;

  // For the daemon's own verbs and collectors; add them before start().
  admin::AdminServer& server() { return server_; }
  metrics::Registry& registry() { return registry_; }
  admin::ConfigService& config() { return config_; }

  // Binds the admin socket and the metrics listener and starts the watchdog. Throws with a message an
  // operator can act on.
  void start();
  // READY=1, and a log line saying where the daemon answers.
  void ready();
  // SIGHUP: re-reads the file; a file with errors is logged (by ConfigService) and the running config kept.
  void reload();
  // STOPPING=1; the socket and the exporter close. Also done by the destructor.
  void stop();
  std::uint16_t metrics_port() const;
  void log(const std::string& line) const;

 private:
  ShellOptions options_;
  metrics::Registry registry_;
  metrics::Counter& reloads_;
  admin::ConfigService config_;
  admin::AdminServer server_;
  struct Running;  // the exporter and the watchdog, from start() to stop()
  std::unique_ptr<Running> running_;
};

}  // namespace dijk::daemon
