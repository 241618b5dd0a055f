// dijk-watch: files at rest as they are written (docs/operations.md, "Watched spools"). Every file closed
// after writing, or renamed, into a [[scan.watch]] tree is read once it has settled, hashed like
// `dijkctl scan` does (io_uring, digests, PDQ for images) against the live set, and each hit is journalled
// with its path, size, owner and mtime into the [[reporting.journals]] entry [scan] journal names, which
// dijk-control reports. A checkpoint says how far it had checked: after a restart, files changed since
// are checked first. It runs in the daemon shell the other daemons use: `dijkctl status` and `stats` over
// admin.watch_socket, Prometheus on metrics.watch_listen, sd_notify readiness and watchdog.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <string>

#include "apps/dijk-watch/watch_service.h"
#include "config/cli/daemon_args.h"
#include "config/daemon/daemon_shell.h"
#include "config/daemon/restart_keys.h"
#include "config/schema/loader.h"
#include "core/log_line.h"

namespace {

using namespace dijk;

int run(const std::string& config_file) {
  const auto loaded = load_config_file(config_file);
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    return 2;
  }
  const Config& config = loaded.config;
  const sigset_t signals = cli::block_daemon_signals({SIGHUP, SIGTERM, SIGINT});

  const auto started = std::chrono::steady_clock::now();
  try {
    watch::WatchService service(config);
    daemon::ShellOptions options;
    options.name = "dijk-watch";
    options.config_path = config_file;
    options.config = config;
    options.restart_keys = daemon::watch_restart_keys();
    options.socket = config.admin.watch_socket;
    if (config.metrics.enabled) options.metrics_listen = config.metrics.watch_listen;
    // Every [scan] key is [restart]: a reload only reports what a restart would change.
    options.status = [&] { return service.status(started); };
    options.alive = [&] { return service.alive(); };
    daemon::DaemonShell shell(std::move(options));
    shell.registry().add_collector([&](std::vector<metrics::Sample>& out) { service.collect(out); });
    shell.start();
    service.catch_up();
    shell.ready();
    log_line("dijk-watch", service.describe());

    const timespec no_wait{0, 0};
    for (;;) {
      const int sig = sigtimedwait(&signals, nullptr, &no_wait);
      if (sig == SIGHUP) {
        service.check_set_now();
        shell.reload();
      } else if (sig == SIGTERM || sig == SIGINT) {
        break;
      }
      service.turn();
    }
    shell.stop();
    service.stop();
  } catch (const std::exception& e) {
    log_line("dijk-watch", e.what());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = cli::parse_daemon_args(
      argc, argv, "dijk-watch",
      "Checks every file written into the [[scan.watch]] trees against the live set and\n"
      "journals hits for the reporter. See docs/operations.md.\n");
  return args.exit ? *args.exit : run(args.config);
}
