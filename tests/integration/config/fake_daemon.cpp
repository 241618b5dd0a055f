// A stand-in for dijkd/dijk-control in integration tests: runs in the real daemon shell (config/daemon:
// AdminServer, ConfigService, metrics registry and exporter, sd_notify) and serves status, stats, hits and
// set verbs from a small in-memory state.
// Reloads on SIGHUP like the real daemons. Prints "ready metrics_port=N" on stdout once serving.
// --degrade no-set|feed|alarm makes its status report that problem (for dijkctl status's exit code).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/admin/status.h"
#include "config/daemon/daemon_shell.h"
#include "config/daemon/restart_keys.h"
#include "config/schema/loader.h"

namespace {

using nlohmann::json;

struct FakeState {
  std::mutex mutex;
  std::uint64_t set_version = 7;
  std::vector<std::uint64_t> previous = {5, 6};
  std::uint64_t entries = 1000;
  std::uint64_t syncs = 0;
  std::int64_t started_unix = 0;
  std::vector<json> hits;
};

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json fake_hit(std::int64_t at_unix, const char* hash, const char* uri, bool reported) {
  return {{"time_ns", static_cast<std::uint64_t>(at_unix) * 1'000'000'000ULL},
          {"source", "wire"},
          {"kind", "exact"},
          {"algorithm", "sha256"},
          {"hash", hash},
          {"host", "uploads.example"},
          {"uri", uri},
          {"filename", "test.jpg"},
          {"size", 1234},
          {"set_version", 7},
          {"reported", reported}};
}

int usage() {
  std::cerr << "usage: fake_daemon --config FILE [--group G] [--socket-mode OCTAL] [--name NAME] "
               "[--degrade no-set|feed|alarm]\n";
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_file, name = "dijkd", degrade;
  std::optional<std::string> group;
  unsigned mode = 0660;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    if (opt == "--config") {
      config_file = argv[i + 1];
    } else if (opt == "--group") {
      group = argv[i + 1];
    } else if (opt == "--socket-mode") {
      mode = static_cast<unsigned>(std::stoul(argv[i + 1], nullptr, 8));
    } else if (opt == "--name") {
      name = argv[i + 1];
    } else if (opt == "--degrade") {
      degrade = argv[i + 1];
    } else {
      return usage();
    }
  }
  if (config_file.empty()) return usage();
  const auto loaded = dijk::load_config_file(config_file);
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    return 1;
  }
  // Signals are taken synchronously by the main thread below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  FakeState state;
  state.started_unix = now_unix();
  state.hits = {fake_hit(state.started_unix - 3 * 3600, "aa11", "/upload/a", true),
                fake_hit(state.started_unix - 3600, "bb22", "/upload/b", true),
                fake_hit(state.started_unix - 60, "cc33", "/upload/c", false)};

  // The shell is made below, after the options that refer to it; status reads its config through this.
  std::unique_ptr<dijk::daemon::DaemonShell> shell;
  const auto shell_config = [&]() -> dijk::admin::ConfigService& { return shell->config(); };
  dijk::daemon::ShellOptions options;
  options.name = name;
  options.config_path = config_file;
  options.config = loaded.config;
  options.socket = name == "dijk-control" ? loaded.config.admin.control_socket
                   : name == "dijk-watch" ? loaded.config.admin.watch_socket
                                          : loaded.config.admin.socket;
  // As dijk-watch, with its restart keys ([hashing] among them); otherwise the shared ones.
  if (name == "dijk-watch") options.restart_keys = dijk::daemon::watch_restart_keys();
  options.group = group;
  options.socket_mode = mode;
  if (loaded.config.metrics.enabled) options.metrics_listen = loaded.config.metrics.listen;
  options.status = [&] {
    std::lock_guard lock(state.mutex);
    dijk::admin::DaemonStatus s;
    s.daemon = name;
    s.version = "0.1.0";
    s.pid = getpid();
    s.uptime_s = static_cast<std::uint64_t>(now_unix() - state.started_unix);
    s.appliance_id = shell_config().current().appliance_id;
    if (degrade != "no-set") {
      s.set =
          dijk::admin::SetStatus{state.set_version, state.entries, 7200, shell_config().current().paths.set};
    }
    s.feed = dijk::admin::FeedStatus{true, 240, ""};
    s.feed->installed_version = state.set_version;
    s.feed->feed_version = state.set_version + 2;
    s.feed->expires_unix = 1'796'036'400;  // 2026-11-30T11:00:00Z
    if (degrade == "feed")
      *s.feed = dijk::admin::FeedStatus{false, std::nullopt, "transport: connection refused"};
    s.reporter = dijk::admin::ReporterStatus{1, 2, ""};
    if (degrade == "alarm") s.reporter->alarm = "1 hits undelivered for 7200 s";
    s.rates = dijk::admin::Rates{12000, 3.4e7, 2.5, 0};
    return s;
  };
  shell = std::make_unique<dijk::daemon::DaemonShell>(std::move(options));
  auto& registry = shell->registry();
  auto& server = shell->server();
  for (const auto lcore : loaded.config.dataplane.lcores) {
    registry.counter("dijk_packets_received_total", "Packets received.", {{"lcore", std::to_string(lcore)}})
        .add(1000 + lcore);
  }
  registry.add_collector([&state](std::vector<dijk::metrics::Sample>& out) {
    std::lock_guard lock(state.mutex);
    out.push_back({"dijk_hits_total",
                   "Hits recorded.",
                   dijk::metrics::Type::kCounter,
                   {},
                   static_cast<double>(state.hits.size())});
  });
  server.handle("hits", [&](const json& args) {
    std::lock_guard lock(state.mutex);
    const std::int64_t since = args.value("since_unix", std::int64_t{0});
    json out = json::array();
    for (const auto& h : state.hits) {
      if (static_cast<std::int64_t>(h["time_ns"].get<std::uint64_t>() / 1'000'000'000ULL) >= since)
        out.push_back(h);
    }
    if (args.contains("limit")) {
      const auto limit = args["limit"].get<std::size_t>();
      if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
    }
    return json{{"hits", out}};
  });
  // As dijk-control answers: the request at once, the outcome from sync.status (this sync is instant).
  server.handle("sync.now", [&](const json&) {
    std::lock_guard lock(state.mutex);
    state.previous.push_back(state.set_version);
    ++state.set_version;
    ++state.syncs;
    return json{{"message", "sync requested"}, {"ticket", state.syncs}, {"link", 1}};
  });
  server.handle("sync.status", [&](const json&) {
    std::lock_guard lock(state.mutex);
    return json{{"link", 1},
                {"completed", state.syncs},
                {"running", false},
                {"ok", true},
                {"message", "feed synced: 1 update applied"},
                {"set_version", state.set_version}};
  });
  server.handle("set.show", [&](const json&) {
    std::lock_guard lock(state.mutex);
    return json{{"version", state.set_version},
                {"entries", state.entries},
                {"created_unix", state.started_unix - 7200},
                {"path", shell_config().current().paths.set},
                {"previous", state.previous}};
  });
  server.handle("set.rollback", [&](const json&) {
    std::lock_guard lock(state.mutex);
    if (state.previous.empty()) throw dijk::admin::AdminError("no previous set to roll back to");
    const auto was = state.set_version;
    state.set_version = state.previous.back();
    state.previous.pop_back();
    return json{{"version", state.set_version}, {"was", was}};
  });

  try {
    shell->start();
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << std::endl;
    return 1;
  }
  std::cout << "ready metrics_port=" << shell->metrics_port() << std::endl;
  shell->ready();
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig != SIGHUP) break;
    shell->reload();
  }
  shell->stop();
  return 0;
}
