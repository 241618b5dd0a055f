// dijk-control: the appliance's link to the hotline. One daemon runs the feed sync and the hit reporter
// from /etc/dijk/dijk.toml and answers dijkctl on admin.control_socket; a few verbs remain for scripts.
//   dijk-control run [--config FILE]                 the daemon (systemd's ExecStart)
//   dijk-control sync-once [--config FILE]           one feed sync now, outcome on stdout (exit 1 on failure)
//   dijk-control set-rollback [--config FILE]        swap current.set and previous.set
//   dijk-control status [--config FILE]              the last sync's status file
//   dijk-control report --journal DIR --url URL ...  the reporter alone, from flags
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "apps/dijk-control/control_daemon.h"
#include "apps/dijk-control/feed_link.h"
#include "apps/dijk-control/report_verb.h"
#include "config/cli/daemon_args.h"
#include "config/cli/version.h"
#include "config/daemon/daemon_shell.h"
#include "config/daemon/restart_keys.h"
#include "config/metrics/registry.h"
#include "config/schema/loader.h"
#include "control/feed/files.h"
#include "core/unix_time.h"

namespace {

using namespace dijk;
using nlohmann::json;

void log(const std::string& line) {
  std::cerr << "dijk-control: " << line << std::endl;
}

int run(const std::string& config_file) {
  const auto loaded = load_config_file(config_file);
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    return 2;
  }
  const sigset_t signals = cli::block_daemon_signals({SIGHUP, SIGTERM, SIGINT, SIGUSR1});

  const auto started = unix_now();
  control::ControlDaemon daemon(loaded.config);
  dijk::daemon::ShellOptions options;
  options.name = "dijk-control";
  options.config_path = config_file;
  options.config = loaded.config;
  options.socket = loaded.config.admin.control_socket;
  if (loaded.config.metrics.enabled) options.metrics_listen = loaded.config.metrics.control_listen;
  options.apply = [&](const Config& old_config, const Config& next) { daemon.apply(old_config, next); };
  options.restart_keys = dijk::daemon::control_restart_keys();
  options.status = [&] { return daemon.status(started); };
  options.alive = [&] { return daemon.alive(); };  // pings only while the reporters' loops turn
  dijk::daemon::DaemonShell shell(std::move(options));
  auto& server = shell.server();
  shell.registry().add_collector([&](std::vector<metrics::Sample>& out) { daemon.collect(out); });
  server.handle("sync.now", [&](const json&) { return daemon.sync_now(); });
  server.handle("sync.status", [&](const json&) { return daemon.sync_status(); });
  server.handle("set.show", [&](const json&) { return daemon.set_show(); });
  server.handle("set.rollback", [&](const json&) { return daemon.set_rollback(); });
  server.handle("set.merge", [&](const json&) { return daemon.set_merge(); });
  server.handle("hits", [&](const json& args) { return daemon.hits(args); });
  server.handle("hits.quarantine.list", [&](const json&) { return daemon.quarantine_list(); });
  server.handle("hits.quarantine.retry", [&](const json& args) { return daemon.quarantine_retry(args); });
  server.handle("hits.quarantine.drop", [&](const json& args) { return daemon.quarantine_drop(args); });
  try {
    shell.start();
  } catch (const std::exception& e) {
    log(e.what());
    return 2;
  }
  shell.ready();

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      shell.reload();
    } else if (sig == SIGUSR1) {
      daemon.request_sync();
    } else {
      break;
    }
  }
  shell.stop();
  return 0;
}

Config config_or_exit(const std::string& file) {
  const auto loaded = load_config_file(file);
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    std::exit(2);
  }
  return loaded.config;
}

constexpr const char* kUsage =
    "usage:\n"
    "  dijk-control run [--config FILE]            the daemon: feed sync, hit reporting, admin socket\n"
    "  dijk-control sync-once [--config FILE]      one feed sync now (exit 1 if it failed)\n"
    "  dijk-control sync-once --feed-url URL --feed NAME --root-key FILE --ca FILE --set-dir DIR\n"
    "                         [--client-cert FILE --client-key FILE] [--timeout SECONDS]\n"
    "  dijk-control set-rollback [--config FILE | --set-dir DIR]   swap current.set and previous.set\n"
    "  dijk-control status [--config FILE | --set-dir DIR]         the last feed sync's status\n"
    "  dijk-control report --help                  the reporter alone, from flags\n"
    "  dijk-control --version\n"
    "FILE defaults to /etc/dijk/dijk.toml. Exit status: 0 ok, 1 sync failed (sync-once), 2 error, 64 "
    "usage.\n";

int usage() {
  std::cerr << kUsage;
  return 64;
}

// Asked for: on stdout, and a success.
int help() {
  std::cout << "dijk-control: the appliance's link to the hotline (feed sync, hit reporting).\n\n" << kUsage;
  return 0;
}

bool asks_for_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h" || (i == 1 && a == "help")) return true;
  }
  return false;
}

// --name value pairs; a name may repeat (--root-key).
std::multimap<std::string, std::string> parse_flags(int argc, char** argv) {
  std::multimap<std::string, std::string> out;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (!a.starts_with("--") || i + 1 >= argc) throw std::invalid_argument("bad argument '" + a + "'");
    out.emplace(a.substr(2), argv[++i]);
  }
  return out;
}

std::string flag(const std::multimap<std::string, std::string>& f, const std::string& name, bool required) {
  const auto it = f.find(name);
  if (it != f.end()) return it->second;
  if (required) throw std::invalid_argument("missing --" + name);
  return {};
}

// The set directory from --set-dir, else from the config's paths.set.
std::string set_dir_from(const std::multimap<std::string, std::string>& f) {
  if (f.count("set-dir")) return flag(f, "set-dir", true);
  return control::set_dir_of(config_or_exit(f.count("config") ? flag(f, "config", true) : kDefaultConfigPath))
      .string();
}

int sync_once(const std::multimap<std::string, std::string>& f) {
  sync::SyncConfig config;
  sync::HttpsOptions https;
  if (f.count("feed-url")) {
    https.base_url = flag(f, "feed-url", true);
    https.ca_file = flag(f, "ca", true);
    https.client_cert = flag(f, "client-cert", false);
    https.client_key = flag(f, "client-key", false);
    if (const auto t = flag(f, "timeout", false); !t.empty())
      https.total_timeout = std::chrono::seconds(std::stol(t));
    config.feed_name = flag(f, "feed", true);
    config.set_dir = flag(f, "set-dir", true);
    for (auto [it, end] = f.equal_range("root-key"); it != end; ++it) {
      config.roots.push_back(feed::load_public_key(it->second));
    }
    if (config.roots.empty()) throw std::invalid_argument("missing --root-key");
  } else {
    const Config c = config_or_exit(f.count("config") ? flag(f, "config", true) : kDefaultConfigPath);
    if (c.feed.url.empty()) throw std::runtime_error("no feed configured (feed.url is empty)");
    config = control::sync_config_of(c);
    https = control::https_options_of(c);
  }
  std::filesystem::create_directories(config.set_dir);
  sync::Syncer syncer(config, std::make_unique<sync::HttpsFetcher>(https));
  const sync::SyncStatus st = syncer.sync_once();
  std::cout << st.to_text();
  return st.last_failure == feed::Failure::none ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string verb = argv[1];
  if (verb == "--version") {
    std::cout << "dijk-control " << cli::dijk_version() << "\n";
    return 0;
  }
  if (verb != "report" && asks_for_help(argc, argv)) return help();
  if (verb == "sync") {
    std::cerr << "dijk-control: 'sync' is now 'run': the feed sync and the reporter in one daemon, from\n"
                 "dijk.toml ([feed] name, url, root_key, ca, interval_s; the sets live beside paths.set)\n";
    return 64;
  }
  if (verb == "report") {  // the reporter alone, from flags (control/reporter); `run` embeds it
    cli::VerbTable verbs("dijk-control", "dijk-control: the hotline link.");
    verbs.add(reporter::report_verb());
    return verbs.dispatch(argc, argv);
  }
  std::multimap<std::string, std::string> flags;
  try {
    flags = parse_flags(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "dijk-control " << verb << ": " << e.what() << "\n";
    return usage();
  }
  try {
    if (verb == "run") {
      if (flags.size() > 1 || (flags.size() == 1 && !flags.count("config"))) return usage();
      return run(flags.count("config") ? flag(flags, "config", true) : kDefaultConfigPath);
    }
    if (verb == "sync-once") return sync_once(flags);
    if (verb == "set-rollback") {
      sync::rollback_set(set_dir_from(flags));
      std::cout << "rolled back: current.set and previous.set exchanged\n";
      return 0;
    }
    if (verb == "status") {
      std::cout << feed::read_text_file(set_dir_from(flags) + "/sync-status", 1 << 20);
      return 0;
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "dijk-control " << verb << ": " << e.what() << "\n";
    return usage();
  } catch (const std::exception& e) {
    std::cerr << "dijk-control " << verb << ": " << e.what() << "\n";
    return 2;
  }
  return usage();
}
