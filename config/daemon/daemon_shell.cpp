#include "config/daemon/daemon_shell.h"

#include "config/metrics/http_exporter.h"
#include "config/metrics/status_metrics.h"
#include "config/notify/sd_notify.h"
#include "core/log_line.h"

namespace dijk::daemon {
namespace {

admin::AdminServer::Options server_options(const ShellOptions& o) {
  admin::AdminServer::Options s;
  s.socket_path = o.socket;
  s.group = o.group.value_or(o.config.admin.group);
  s.mode = o.socket_mode;
  return s;
}

}  // namespace

struct DaemonShell::Running {
  std::unique_ptr<metrics::HttpExporter> exporter;
  std::unique_ptr<sd::WatchdogPinger> watchdog;
};

DaemonShell::DaemonShell(ShellOptions options)
    : options_(std::move(options)),
      reloads_(registry_.counter("dijk_config_reloads_total", "Config changes applied.",
                                 {{"daemon", options_.name}})),
      config_(
          options_.config_path, options_.config,
          [this](const Config& old_config, const Config& next) {
            if (options_.apply) options_.apply(old_config, next);
            reloads_.add();
          },
          [this](const std::string& line) { log(line); }, options_.restart_keys, options_.name),
      server_(server_options(options_)) {
  config_.register_verbs(server_);
  const auto status = [this] {
    auto s = options_.status();
    s.config = config_.status();
    return s;
  };
  server_.handle("status", [status](const nlohmann::json&) { return to_json(status()); });
  metrics::export_status(registry_, status);
  registry_.add_collector([this](std::vector<metrics::Sample>& out) {
    const auto& c = server_.counters();
    const metrics::Labels daemon{{"daemon", options_.name}};
    out.push_back({"dijk_admin_requests_total", "Admin requests served.", metrics::Type::kCounter, daemon,
                   static_cast<double>(c.requests.load())});
    out.push_back({"dijk_admin_denied_total", "Admin connections refused by credentials.",
                   metrics::Type::kCounter, daemon, static_cast<double>(c.denied.load())});
  });
  server_.handle("stats", [this](const nlohmann::json&) {
    return nlohmann::json{{"counters", metrics::to_json(registry_.collect())}};
  });
}

DaemonShell::~DaemonShell() {
  stop();
}

void DaemonShell::start() {
  auto running = std::make_unique<Running>();
  server_.start();
  if (!options_.metrics_listen.empty()) {
    running->exporter = std::make_unique<metrics::HttpExporter>(registry_, options_.metrics_listen);
    running->exporter->start();
  }
  if (options_.alive) running->watchdog = std::make_unique<sd::WatchdogPinger>(options_.alive);
  running_ = std::move(running);
}

void DaemonShell::ready() {
  sd::ready("serving");
  const auto port = metrics_port();
  log("ready: admin socket " + options_.socket +
      (port != 0 ? ", metrics on port " + std::to_string(port) : ""));
}

void DaemonShell::reload() {
  sd::reloading();
  try {
    config_.reload();
    log("config reloaded");
  } catch (const std::exception&) {
    // ConfigService logged every error; the running config stays.
  }
  sd::ready();
}

void DaemonShell::stop() {
  if (!running_) return;
  sd::stopping();
  running_->watchdog.reset();
  server_.stop();
  if (running_->exporter) running_->exporter->stop();
  running_.reset();
}

std::uint16_t DaemonShell::metrics_port() const {
  return running_ && running_->exporter ? running_->exporter->port() : 0;
}

void DaemonShell::log(const std::string& line) const {
  log_line(options_.name, line);
}

}  // namespace dijk::daemon
