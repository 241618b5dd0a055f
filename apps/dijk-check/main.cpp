// dijk-check: the local check API (docs/check-api.md). A hosting platform asks it about an upload before
// publishing it: over a unix socket (group dijk-api) or TCP with a bearer token. It serves the same set as
// dijkd (swapped when dijk-control installs a new one) and journals hits into its own journal, which
// dijk-control reports like the wire journal.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "apps/dijk-check/api_metrics.h"
#include "apps/dijk-check/check_engine.h"
#include "apps/dijk-check/check_service.h"
#include "apps/dijk-check/http_server.h"
#include "apps/dijk-check/icap/icap_server.h"
#include "config/cli/daemon_args.h"
#include "config/cli/version.h"
#include "config/daemon/daemon_shell.h"
#include "config/daemon/restart_keys.h"
#include "config/schema/loader.h"
#include "config/schema/tls_material.h"
#include "control/journal/journal_writer.h"
#include "core/log_line.h"
#include "core/unix_time.h"
#include "dataplane/pipeline/live_set.h"
#include "hashcore/pdq_index/pdq_set_section.h"

namespace {

using namespace dijk;

void log(const std::string& line) {
  log_line("dijk-check", line);
}

// The secret is the file's first line; a missing or empty file refuses to start (a typo would otherwise
// lock every client out, or worse, accept an empty token).
std::string read_token(const CheckApiToken& t) {
  std::ifstream in(t.token_file);
  std::string secret;
  if (!in || !std::getline(in, secret)) throw std::runtime_error("cannot read token file " + t.token_file);
  while (!secret.empty() && (secret.back() == '\r' || secret.back() == ' ')) secret.pop_back();
  if (secret.size() < 16)
    throw std::runtime_error("token " + t.name + ": the secret must be 16 bytes or more");
  return secret;
}

// The 403 page a blocked ICAP upload gets; a missing file refuses to start rather than block with an
// empty page nobody chose.
std::string read_block_page(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream page;
  if (!in || !(page << in.rdbuf())) throw std::runtime_error("cannot read icap.block_page " + path);
  if (page.str().size() > (1u << 20)) throw std::runtime_error("icap.block_page " + path + " is over 1 MiB");
  return page.str();
}

// What `dijkctl` reads over the admin socket; the request counts are in the metrics (`stats`).
admin::DaemonStatus check_status(const Config& config, const LiveSet& live,
                                 std::chrono::steady_clock::time_point started) {
  admin::DaemonStatus s;
  s.daemon = "dijk-check";
  s.version = std::string(cli::dijk_version());
  s.pid = getpid();
  s.uptime_s = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count());
  s.appliance_id = config.appliance_id;
  if (const auto set = live.current()) {
    const std::int64_t age = unix_now() - set->created_unix();
    s.set = admin::SetStatus{set->version(), set_entry_count(*set),
                             age > 0 ? static_cast<std::uint64_t>(age) : 0, live.path()};
  }
  s.set_error = live.status().last_error;
  return s;
}

int run(const std::string& config_file) {
  const auto loaded = load_config_file(config_file);
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    return 2;
  }
  const Config& config = loaded.config;
  const CheckApiConfig& api = config.check_api;
  const sigset_t signals = cli::block_daemon_signals({SIGHUP, SIGTERM, SIGINT});

  try {
    LiveSet live(config.paths.set, /*serve_later=*/true, "dijk-check");
    live.watch(std::chrono::milliseconds(1000));
    check::CheckEngine engine(live, static_cast<int>(config.hashing.pdq_max_distance));

    journal::JournalOptions jopts;
    jopts.dir = api.journal;
    jopts.appliance_id = config.appliance_id;
    jopts.ack_state = config.paths.state + "/reporter-ack-api";
    journal::JournalWriter journal(jopts);
    auto journal_hits = [&journal](const std::vector<HitEvent>& hits) {
      std::uint64_t ticket = 0;
      for (const HitEvent& h : hits) ticket = journal.append_shared(h);
      return journal.wait_durable_shared(ticket);
    };

    VerdictPolicy policy(config.policy.default_action, config.policy.lists, config.policy.categories);
    check::CheckService service(engine, live, policy, journal_hits, api.max_hashes);

    // The daemon shell: admin socket (status, stats, config show), the Prometheus exporter over the
    // check API's counters, sd_notify readiness and reload.
    const auto started = std::chrono::steady_clock::now();
    daemon::ShellOptions shell_options;
    shell_options.name = "dijk-check";
    shell_options.config_path = config_file;
    shell_options.config = config;
    shell_options.restart_keys = daemon::check_restart_keys();
    shell_options.apply = [&](const Config& old_config, const Config& next) {
      if (next.policy != old_config.policy)
        service.set_policy(
            VerdictPolicy(next.policy.default_action, next.policy.lists, next.policy.categories));
      if (next.hashing.pdq_max_distance != old_config.hashing.pdq_max_distance)
        engine.set_pdq_radius(static_cast<int>(next.hashing.pdq_max_distance));
      if (next.paths.set != old_config.paths.set) {
        try {
          live.retarget(next.paths.set);
        } catch (const std::exception& e) {
          log("paths.set: " + std::string(e.what()) + ": the current set keeps serving");
        }
      }
    };
    shell_options.socket = config.admin.check_socket;
    if (config.metrics.enabled) shell_options.metrics_listen = api.metrics_listen;
    shell_options.status = [&] { return check_status(config, live, started); };
    daemon::DaemonShell shell(std::move(shell_options));
    check::ApiMetrics api_metrics(shell.registry());
    check::ServerOptions options;
    options.socket_path = api.socket;
    options.socket_group = api.socket_group;
    options.listen = api.listen;
    for (const auto& t : api.tokens) options.tokens.emplace_back(t.name, read_token(t));
    options.max_body_bytes = std::uint64_t{api.max_body_mb} << 20;
    options.rate_per_client = api.rate_per_client;
    options.header_timeout_s = api.header_timeout_s;
    options.idle_timeout_s = api.idle_timeout_s;
    options.threads = api.threads;
    options.max_connections = api.max_connections;
    if (!api.tls_cert.empty()) {
      // Read again (the loader checked them too): the files may have changed since, and this is the copy
      // served.
      const auto tls = TlsMaterial::load(api.tls_cert, api.tls_key, api.tls_client_ca);
      options.tls_cert_pem = tls.cert_pem();
      options.tls_key_pem = tls.key_pem();
      options.tls_client_ca_pem = tls.client_ca_pem();
      options.tls_client_names.insert(api.tls_client_names.begin(), api.tls_client_names.end());
    }
    check::HttpServer server(options, service, api_metrics);

    // ICAP for proxies: the same service (matcher, policy, journal) behind a second front door.
    std::unique_ptr<icap::IcapServer> icap_server;
    icap::IcapSessionOptions icap_options;
    if (!config.icap.listen.empty()) {
      icap_options.service = config.icap.service;
      icap_options.preview = config.icap.preview_bytes;
      icap_options.max_connections = config.icap.max_connections;
      icap_options.max_file_bytes = std::uint64_t{api.max_body_mb} << 20;
      if (!config.icap.block_page.empty()) icap_options.block_page = read_block_page(config.icap.block_page);
      icap::IcapServerOptions so;
      so.listen = config.icap.listen;
      so.threads = api.threads;
      so.max_connections = config.icap.max_connections;
      so.idle_timeout_s = config.icap.idle_timeout_s;
      so.request_timeout_s = config.icap.request_timeout_s;
      icap_server = std::make_unique<icap::IcapServer>(
          so, [&] { return std::make_unique<icap::IcapSession>(icap_options, service, engine, api_metrics); },
          api_metrics);
      icap_server->start();
    }
    shell.start();
    // The check API last: once /v1/health answers, every front door is listening.
    server.start();
    log("serving" + (api.socket.empty() ? std::string() : " on " + api.socket) +
        (api.listen.empty() ? std::string() : ", tcp port " + std::to_string(server.tcp_port())) +
        (icap_server ? ", icap port " + std::to_string(icap_server->port()) : std::string()) +
        (shell.metrics_port() != 0 ? ", metrics port " + std::to_string(shell.metrics_port())
                                   : std::string()) +
        ", set version " + std::to_string(engine.set_version()));
    shell.ready();
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        live.check_now();
        shell.reload();  // applies [policy], the PDQ radius and paths.set; the rest waits for a restart
        continue;
      }
      break;
    }
    shell.stop();
    if (icap_server) icap_server->stop();
    server.stop();
    journal.close();
  } catch (const std::exception& e) {
    log(e.what());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = cli::parse_daemon_args(
      argc, argv, "dijk-check",
      "The local check API: POST /v1/check, GET /v1/hash/ALG/HEX, POST /v1/hashes, POST /v1/pdq,\n"
      "GET /v1/health. Configured in [check_api] and [policy]; see docs/check-api.md.\n");
  return args.exit ? *args.exit : run(args.config);
}
