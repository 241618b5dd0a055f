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

#include "config/admin/config_service.h"
#include "config/admin/server.h"
#include "config/admin/status.h"
#include "config/metrics/http_exporter.h"
#include "config/metrics/registry.h"
#include "config/metrics/status_metrics.h"
#include "config/notify/sd_notify.h"
#include "config/schema/loader.h"
#include "control/daemon/feed_link.h"
#include "control/daemon/journal_view.h"
#include "control/daemon/report_link.h"
#include "control/feed/files.h"
#include "control/journal/ack_state.h"
#include "control/reporter/report_verb.h"
#include "hashcore/set/hash_set.h"

namespace {

using namespace dijk;
using nlohmann::json;

constexpr const char* kVersion = "0.1.0";

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void log(const std::string& line) {
  std::cerr << "dijk-control: " << line << std::endl;
}

std::uint64_t entries_of(const HashSet& set) {
  std::uint64_t n = 0;
  for (std::size_t a = 0; a < kAlgorithmCount; ++a) n += set.exact(static_cast<Algorithm>(a)).size();
  return n;
}

std::shared_ptr<const HashSet> open_set(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return nullptr;
  return HashSet::open(path.string(), SetVerification::structure);
}

// The feed and the reporter as the running config wants them. A config change rebuilds the part whose
// section changed (under the lock, so verbs never see a half-built part).
class ControlDaemon {
 public:
  explicit ControlDaemon(const Config& config) { apply(Config{}, config, true); }

  void apply(const Config& old_config, const Config& next, bool first = false) {
    std::lock_guard lock(mutex_);
    config_ = next;
    const bool feed_changed = first || old_config.feed != next.feed || old_config.paths != next.paths;
    const bool report_changed = first || old_config.reporting != next.reporting ||
                                old_config.paths != next.paths ||
                                old_config.appliance_id != next.appliance_id;
    if (feed_changed) {
      feed_.reset();
      if (!next.feed.url.empty()) {
        try {
          feed_ = std::make_unique<control::FeedLink>(next);
          feed_error_.clear();
        } catch (const std::exception& e) {
          feed_error_ = std::string("feed not started: ") + e.what();
          log(feed_error_);
        }
      }
    }
    if (report_changed) {
      report_.reset();
      if (!next.reporting.url.empty()) {
        try {
          report_ = std::make_unique<control::ReportLink>(next);
          report_error_.clear();
        } catch (const std::exception& e) {
          report_error_ = std::string("reporter not started: ") + e.what();
          log(report_error_);
        }
      }
    }
  }

  admin::DaemonStatus status(std::int64_t started_unix) {
    std::lock_guard lock(mutex_);
    const auto now = now_unix();
    admin::DaemonStatus s;
    s.daemon = "dijk-control";
    s.version = kVersion;
    s.pid = getpid();
    s.uptime_s = static_cast<std::uint64_t>(now - started_unix);
    s.appliance_id = config_.appliance_id;
    try {
      if (const auto set = open_set(config_.paths.set)) {
        s.set =
            admin::SetStatus{set->version(), entries_of(*set),
                             static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - set->created_unix())),
                             config_.paths.set};
      }
    } catch (const std::exception&) {
      // A set that does not open is the feed's problem to report; status still answers.
    }
    admin::FeedStatus f;
    if (feed_) {
      const auto st = feed_->status();
      f.healthy = st.last_failure == feed::Failure::none && st.last_success != 0;
      if (st.last_success != 0) f.last_success_age_s = static_cast<std::uint64_t>(now - st.last_success);
      if (st.last_failure != feed::Failure::none) {
        f.last_error = std::string(feed::failure_name(st.last_failure)) + ": " + st.last_error;
      } else if (st.last_success == 0) {
        f.last_error = "no sync has completed yet";
      }
    } else {
      f.last_error = feed_error_.empty() ? "no feed configured (feed.url is empty)" : feed_error_;
    }
    s.feed = f;
    admin::ReporterStatus r;
    if (report_) {
      const auto st = report_->state();
      r.delivered = st.delivered;
      r.last_error = st.last_error;
      try {
        r.backlog = control::backlog(config_.paths.journal, st.acked_position, kBacklogCap);
      } catch (const std::exception& e) {
        r.last_error = std::string("journal unreadable: ") + e.what();
      }
      if (st.last_delivery_unix != 0)
        r.last_delivery_age_s = static_cast<std::uint64_t>(now - st.last_delivery_unix);
      if (r.backlog > 0 && st.waiting_since_unix != 0 &&
          now - st.waiting_since_unix >= static_cast<std::int64_t>(config_.reporting.alarm_after_s)) {
        r.alarm = std::to_string(r.backlog) + " hits undelivered for " +
                  std::to_string(now - st.waiting_since_unix) + " s";
      }
    } else {
      r.last_error = report_error_.empty() ? "no inbox configured (reporting.url is empty)" : report_error_;
    }
    s.reporter = r;
    return s;
  }

  json sync_now() {
    std::lock_guard lock(mutex_);
    if (!feed_)
      throw admin::AdminError(feed_error_.empty() ? "no feed configured (feed.url is empty)" : feed_error_);
    const auto before = feed_->status().installed_version;
    const auto st = feed_->sync_now();
    if (st.last_failure != feed::Failure::none) {
      throw admin::AdminError("sync failed (" + std::string(feed::failure_name(st.last_failure)) +
                              "): " + st.last_error + "; set version " +
                              std::to_string(st.installed_version) + " keeps serving");
    }
    const std::string message = st.installed_version == before
                                    ? "feed synced: set version " + std::to_string(before) + " is up to date"
                                    : "feed synced: version " + std::to_string(st.installed_version) +
                                          " installed (" + st.last_method + ", was " +
                                          std::to_string(before) + ")";
    return json{{"message", message},
                {"set_version", st.installed_version},
                {"previous_version", before},
                {"method", st.last_method},
                {"seconds", st.last_seconds}};
  }

  // SIGUSR1: a sync on the feed's own thread, without waiting for it.
  void request_sync() {
    std::lock_guard lock(mutex_);
    if (feed_) feed_->request_sync();
  }

  json set_show() {
    std::lock_guard lock(mutex_);
    const auto set = open_set(config_.paths.set);
    if (!set) throw admin::AdminError("no set installed at " + config_.paths.set);
    json previous = json::array();
    try {
      if (const auto p = open_set(control::set_dir_of(config_) / "previous.set"))
        previous.push_back(p->version());
    } catch (const std::exception&) {
    }
    return json{{"version", set->version()},
                {"entries", entries_of(*set)},
                {"created_unix", set->created_unix()},
                {"age_s", std::max<std::int64_t>(0, now_unix() - set->created_unix())},
                {"path", config_.paths.set},
                {"previous", previous}};
  }

  json set_rollback() {
    std::lock_guard lock(mutex_);
    const auto dir = control::set_dir_of(config_);
    const auto was = open_set(config_.paths.set);
    try {
      sync::rollback_set(dir.string());
    } catch (const std::exception& e) {
      throw admin::AdminError(std::string("rollback refused: ") + e.what());
    }
    const auto now = open_set(config_.paths.set);
    log("rolled back from set version " + std::to_string(was ? was->version() : 0) + " to " +
        std::to_string(now ? now->version() : 0));
    return json{{"version", now ? now->version() : 0}, {"was", was ? was->version() : 0}};
  }

  json hits(const json& args) {
    std::lock_guard lock(mutex_);
    const std::uint64_t acked =
        report_ ? report_->state().acked_position
                : journal::read_ack_position(control::ack_state_file_of(config_)).value_or(0);
    try {
      return json{{"hits", control::recent_hits(config_.paths.journal, acked,
                                                args.value("since_unix", std::int64_t{0}),
                                                args.value("limit", std::size_t{1000}))}};
    } catch (const std::exception& e) {
      throw admin::AdminError(std::string("journal unreadable: ") + e.what());
    }
  }

  // Sync and delivery counters for the metrics registry.
  void collect(std::vector<metrics::Sample>& out) {
    std::lock_guard lock(mutex_);
    const auto counter = [&](std::string name, std::string help, double v, metrics::Labels labels = {}) {
      out.push_back({std::move(name), std::move(help), metrics::Type::kCounter, std::move(labels), v});
    };
    if (feed_) {
      const auto st = feed_->status();
      counter("dijk_feed_syncs_total", "Feed syncs attempted.", static_cast<double>(st.attempts));
      counter("dijk_feed_installs_total", "New set versions installed from the feed.",
              static_cast<double>(st.installs));
      for (std::size_t i = 1; i < feed::kFailureCount; ++i) {
        counter("dijk_feed_failures_total", "Feed syncs refused or failed, by reason.",
                static_cast<double>(st.failures[i]),
                {{"reason", std::string(feed::failure_name(static_cast<feed::Failure>(i)))}});
      }
      out.push_back({"dijk_feed_version_accepted",
                     "Highest feed version accepted.",
                     metrics::Type::kGauge,
                     {},
                     static_cast<double>(st.accepted_version)});
    }
    if (report_) {
      const auto st = report_->state();
      counter("dijk_reporter_batches_total", "Report batches sent to the inbox.",
              static_cast<double>(st.batches));
      counter("dijk_reporter_failures_total", "Report batches that failed and will be resent.",
              static_cast<double>(st.failures));
      counter("dijk_reporter_duplicates_total", "Hits the inbox already had (a resent batch).",
              static_cast<double>(st.duplicates));
    }
  }

  bool alive() {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return true;  // a sync or rebuild in progress holds it; the sync has time-outs
    return !report_ || report_->alive(std::chrono::seconds(30));
  }

 private:
  static constexpr std::uint64_t kBacklogCap = 1'000'000;
  std::mutex mutex_;
  Config config_;
  std::unique_ptr<control::FeedLink> feed_;
  std::unique_ptr<control::ReportLink> report_;
  std::string feed_error_, report_error_;
};

int run(const std::string& config_file) {
  const auto loaded = load_config_file(config_file);
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    return 2;
  }
  // Signals are taken synchronously by this thread; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const auto started = now_unix();
  ControlDaemon daemon(loaded.config);
  metrics::Registry registry;
  auto& reloads =
      registry.counter("dijk_config_reloads_total", "Config changes applied.", {{"daemon", "dijk-control"}});
  admin::ConfigService config(
      config_file, loaded.config,
      [&](const Config& old_config, const Config& next) {
        daemon.apply(old_config, next);
        reloads.add();
      },
      log);

  admin::AdminServer::Options options;
  options.socket_path = loaded.config.admin.control_socket;
  options.group = loaded.config.admin.group;
  admin::AdminServer server(options);
  config.register_verbs(server);
  const auto status = [&] { return daemon.status(started); };
  server.handle("status", [&](const json&) { return to_json(status()); });
  metrics::export_status(registry, status);
  registry.add_collector([&](std::vector<metrics::Sample>& out) { daemon.collect(out); });
  registry.add_collector([&server](std::vector<metrics::Sample>& out) {
    const auto& c = server.counters();
    out.push_back({"dijk_admin_requests_total",
                   "Admin requests served.",
                   metrics::Type::kCounter,
                   {{"daemon", "dijk-control"}},
                   static_cast<double>(c.requests.load())});
    out.push_back({"dijk_admin_denied_total",
                   "Admin connections refused by credentials.",
                   metrics::Type::kCounter,
                   {{"daemon", "dijk-control"}},
                   static_cast<double>(c.denied.load())});
  });
  server.handle("stats", [&](const json&) {
    return json{{"counters", metrics::to_json(registry.collect())}};
  });
  server.handle("sync.now", [&](const json&) { return daemon.sync_now(); });
  server.handle("set.show", [&](const json&) { return daemon.set_show(); });
  server.handle("set.rollback", [&](const json&) { return daemon.set_rollback(); });
  server.handle("hits", [&](const json& args) { return daemon.hits(args); });

  std::unique_ptr<metrics::HttpExporter> exporter;
  try {
    server.start();
    if (loaded.config.metrics.enabled) {
      exporter = std::make_unique<metrics::HttpExporter>(registry, loaded.config.metrics.control_listen);
      exporter->start();
    }
  } catch (const std::exception& e) {
    log(e.what());
    return 2;
  }
  sd::WatchdogPinger watchdog([&] { return daemon.alive(); });
  log(std::string("serving on ") + loaded.config.admin.control_socket +
      (exporter ? ", metrics on port " + std::to_string(exporter->port()) : std::string()));
  sd::ready("serving");

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      sd::reloading();
      try {
        config.reload();
        log("config reloaded");
      } catch (const std::exception&) {
        // ConfigService logged every error; the previous config stays.
      }
      sd::ready();
    } else if (sig == SIGUSR1) {
      daemon.request_sync();
    } else {
      sd::stopping();
      break;
    }
  }
  server.stop();
  if (exporter) exporter->stop();
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

int usage() {
  std::cerr
      << "usage:\n"
         "  dijk-control run [--config FILE]            the daemon: feed sync, hit reporting, admin socket\n"
         "  dijk-control sync-once [--config FILE]      one feed sync now (exit 1 if it failed)\n"
         "  dijk-control sync-once --feed-url URL --feed NAME --root-key FILE --ca FILE --set-dir DIR\n"
         "                         [--client-cert FILE --client-key FILE] [--timeout SECONDS]\n"
         "  dijk-control set-rollback [--config FILE | --set-dir DIR]   swap current.set and previous.set\n"
         "  dijk-control status [--config FILE | --set-dir DIR]         the last feed sync's status\n"
         "FILE defaults to "
      << kDefaultConfigPath << ".\n";
  return 64;
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
