#include "apps/dijk-hotline/inbox/inbox_verbs.h"

#include <sys/resource.h>

#include <csignal>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "apps/dijk-hotline/inbox/fleet_view.h"
#include "apps/dijk-hotline/inbox/hits_listing.h"
#include "apps/dijk-hotline/inbox/inbox_migrate.h"
#include "apps/dijk-hotline/inbox/inbox_server.h"
#include "apps/dijk-hotline/inbox/published_version.h"
#include "apps/dijk-hotline/inbox/web/analyst_web.h"
#include "config/cli/time_arg.h"
#include "config/metrics/http_exporter.h"
#include "core/unix_time.h"

namespace dijk::hotline {
namespace {

// The one piece of process-wide state: what a signal handler may touch.
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) {
  g_stop.store(true);
}

std::uint64_t count_option(const cli::ParsedArgs& a, const std::string& name, std::uint64_t fallback) {
  const auto v = a.value(name);
  if (!v) return fallback;
  if (v->empty() || v->size() > 12 || v->find_first_not_of("0123456789") != std::string::npos ||
      std::stoull(*v) == 0) {
    throw cli::UsageError(name + " wants a positive number, got '" + *v + "'");
  }
  return std::stoull(*v);
}

std::chrono::milliseconds ms_option(const cli::ParsedArgs& a, const std::string& name,
                                    std::chrono::milliseconds fallback) {
  return std::chrono::milliseconds(count_option(a, name, static_cast<std::uint64_t>(fallback.count())));
}

// ADDRESS:PORT of a listener option.
std::pair<std::string, std::uint16_t> listen_address(const std::string& listen, const std::string& option) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw cli::UsageError(option + " wants ADDRESS:PORT");
  unsigned long port = 0;
  try {
    port = std::stoul(listen.substr(colon + 1));
  } catch (...) {
    port = 70000;
  }
  if (port > 65535) throw cli::UsageError("bad port in " + option + " " + listen);
  return {listen.substr(0, colon), static_cast<std::uint16_t>(port)};
}

// The analysts' web view beside the inbox, when --web-listen asks for it.
std::unique_ptr<web::AnalystWeb> start_web_view(const cli::ParsedArgs& a, const inbox::InboxOptions& o) {
  const auto listen = a.value("--web-listen");
  if (!listen) return nullptr;
  web::AnalystWebOptions w;
  std::tie(w.listen_host, w.port) = listen_address(*listen, "--web-listen");
  w.cert = o.cert;
  w.key = o.key;
  w.db = o.db;
  w.tokens = a.required("--web-tokens");
  w.feed_keys = a.value("--web-feed-keys").value_or("");
  auto view = std::make_unique<web::AnalystWeb>(w);
  view->start();
  std::cerr << "inbox: analysts' web view on https://" << w.listen_host << ":" << view->port() << "/"
            << std::endl;
  return view;
}

void add_inbox_counters(const inbox::InboxStats& s, std::vector<metrics::Sample>& out) {
  const auto counter = [&](const char* name, const char* help, const std::atomic<std::uint64_t>& v) {
    out.push_back({name, help, metrics::Type::kCounter, {}, static_cast<double>(v.load())});
  };
  counter("dijk_inbox_hits_stored_total", "Hits stored (first deliveries).", s.hits_accepted);
  counter("dijk_inbox_duplicates_total", "Hits delivered again and stored once.", s.duplicates);
  counter("dijk_inbox_requests_total", "HTTP requests read.", s.requests);
  counter("dijk_inbox_bad_requests_total", "Requests answered 4xx/5xx for what the client sent.",
          s.bad_requests);
  counter("dijk_inbox_tls_failures_total", "TLS handshakes that failed.", s.tls_failures);
  counter("dijk_inbox_heartbeats_total", "Appliance heartbeats stored.", s.heartbeats);
  counter("dijk_inbox_heartbeats_refused_total", "Heartbeats dropped as malformed or another's.",
          s.heartbeats_refused);
}

int run_inbox(const cli::ParsedArgs& a) {
  inbox::InboxOptions o;
  const std::string listen = a.required("--listen");
  o.cert = a.required("--cert");
  o.key = a.required("--key");
  o.client_ca = a.required("--client-ca");
  o.db = a.required("--db");
  if (auto crl = a.value("--crl")) o.crl = *crl;
  std::tie(o.listen_host, o.port) = listen_address(listen, "--listen");
  o.handshakes.timeout = ms_option(a, "--handshake-timeout-ms", o.handshakes.timeout);
  o.handshakes.max_pending = count_option(a, "--max-handshakes", o.handshakes.max_pending);
  o.handshakes.max_per_source = count_option(a, "--max-handshakes-per-source", o.handshakes.max_per_source);
  o.max_connections = count_option(a, "--max-connections", o.max_connections);
  o.max_per_appliance = count_option(a, "--max-per-appliance", o.max_per_appliance);
  o.request_timeout = ms_option(a, "--request-timeout-ms", o.request_timeout);
  o.idle_timeout = ms_option(a, "--idle-timeout-ms", o.idle_timeout);
  o.body_memory = count_option(a, "--body-memory-mb", o.body_memory >> 20) << 20;
  // Every pending handshake and served connection holds a descriptor: allow what the caps allow.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  inbox::InboxServer server(o);
  server.start();
  // Prometheus: the inbox's counters and the fleet, read from the database at each scrape.
  metrics::Registry registry;
  std::unique_ptr<metrics::HttpExporter> exporter;
  if (const auto listen_metrics = a.value("--metrics-listen")) {
    const auto feed_dir = a.value("--feed");
    registry.add_collector([&server, feed_dir](std::vector<metrics::Sample>& out) {
      add_inbox_counters(server.stats(), out);
      FleetPolicy policy;
      policy.now = unix_now();
      try {
        if (feed_dir) policy.published = published_version(*feed_dir);
        fleet_metrics(fleet_of(server.store(), policy), out);
      } catch (const std::exception& e) {
        std::cerr << "inbox: fleet metrics: " << e.what() << std::endl;  // the counters still answer
      }
    });
    exporter = std::make_unique<metrics::HttpExporter>(registry, *listen_metrics);
    exporter->start();
    std::cerr << "inbox: metrics on http://" << *listen_metrics << "/metrics" << std::endl;
  }
  std::cerr << "inbox: listening on " << o.listen_host << ":" << server.port() << ", database "
            << server.store().describe() << std::endl;
  auto web_view = start_web_view(a, o);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (web_view) web_view->stop();
  if (exporter) exporter->stop();
  server.stop();
  const auto& s = server.stats();
  std::cerr << "inbox: stopped; " << s.hits_accepted << " hits stored, " << s.duplicates << " duplicates, "
            << s.bad_requests << " bad requests, " << s.forbidden << " forbidden, " << s.tls_failures
            << " failed handshakes, " << s.handshake_timeouts << " handshake timeouts, "
            << s.handshakes_evicted << " handshakes evicted, " << s.request_timeouts
            << " request timeouts; refused " << s.refused_busy << " (all slots busy), " << s.refused_appliance
            << " (appliance's slots busy), " << s.refused_memory << " (body memory)\n";
  std::cerr << "inbox: refused " << s.revoked << " connections and requests on revoked certificates\n";
  return cli::kExitOk;
}

int run_hits(const cli::ParsedArgs& a) {
  const std::string db = a.required("--db");
  const int formats = (a.flag("--json") ? 1 : 0) + (a.flag("--csv") ? 1 : 0) + (a.flag("--counts") ? 1 : 0);
  if (formats > 1) throw cli::UsageError("one of --json, --csv and --counts");
  HitsQuery q;
  q.format = a.flag("--json")     ? HitsFormat::json
             : a.flag("--csv")    ? HitsFormat::csv
             : a.flag("--counts") ? HitsFormat::counts
                                  : HitsFormat::table;
  const std::int64_t now = unix_now();
  // Plain digits stay unix seconds, as before the shared time syntax.
  const auto time_option = [&](const char* name) -> std::optional<std::int64_t> {
    const auto v = a.value(name);
    if (!v) return std::nullopt;
    if (!v->empty() && v->size() <= 12 && v->find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(*v);
    }
    return cli::parse_time_arg(*v, now, name);
  };
  q.since = time_option("--since").value_or(0);
  q.match.until = time_option("--until");
  q.match.appliance = a.value("--appliance");
  q.match.list = a.value("--list");
  q.match.source = a.value("--source");
  q.match.hash = a.value("--hash");
  if (a.value("--limit")) q.limit = count_option(a, "--limit", 0);
  if (!inbox::is_postgres_url(db) && !std::filesystem::exists(db))
    throw std::runtime_error("no inbox database at " + db);
  print_hits(*inbox::open_inbox_store(db), q, std::cout);
  return cli::kExitOk;
}

int run_migrate(const cli::ParsedArgs& a) {
  const std::string from = a.required("--from");
  const std::string to = a.required("--to");
  if (from == to) throw cli::UsageError("--from and --to name the same database");
  // Never create an empty source: a mistyped path would "migrate" nothing and look fine.
  if (!inbox::is_postgres_url(from) && !std::filesystem::exists(from))
    throw std::runtime_error("no inbox database at " + from);
  const auto source = inbox::open_inbox_store(from);
  const auto destination = inbox::open_inbox_store(to);
  const std::uint64_t before = destination->count();
  const inbox::MigrateResult r = inbox::migrate_hits(*source, *destination);
  std::cout << "migrated " << r.read << " hits from " << source->describe() << " to "
            << destination->describe() << ": " << r.copied << " copied, " << r.present << " already there, "
            << r.heartbeats << " heartbeats offered; the destination held " << before << " and now holds "
            << destination->count() << "\n";
  return cli::kExitOk;
}

}  // namespace

cli::Verb inbox_verb() {
  return {
      "inbox",
      "run the reference inbox that appliances report hits to",
      "inbox --listen ADDRESS:PORT --cert FILE --key FILE --client-ca FILE [--crl FILE] --db FILE|URL\n"
      "      [--web-listen ADDRESS:PORT --web-tokens FILE [--web-feed-keys DIR]] [LIMIT OPTIONS]",
      "An HTTPS server (TLS 1.2+) for POST /v1/hits. Only appliances with a certificate issued by\n"
      "--client-ca get in; the certificate's common name is the appliance id and must match every hit.\n"
      "Reports are stored in --db, deduplicated by idempotency key, before the appliance is told so: a\n"
      "SQLite file, or a PostgreSQL URL (postgresql://USER@HOST/DB?sslmode=verify-full; the password from\n"
      "~/.pgpass or PGPASSWORD), which several inboxes may share. Runs until SIGINT/SIGTERM. Schema and\n"
      "report format: docs/journal.md.\n"
      "With --crl (the appliance CA's crl.pem, docs/enrollment.md), a revoked certificate's connections and\n"
      "requests are refused with 403, logged and counted; the list is read again whenever it changes.\n"
      "With --web-listen, analysts read hits, the fleet and the feed's history in a browser (read-only, the\n"
      "same certificate; sign-in with a name and secret from --web-tokens, one NAME SECRET a line).\n"
      "Handshakes run on one thread with a short deadline; over a cap the oldest is dropped for the newest.\n"
      "Authenticated connections are served within per-appliance and total caps (503 beyond), each request\n"
      "within one deadline (408 beyond), bodies within one memory budget (503 beyond, 413 if larger).\n"
      "Each report may carry the appliance's heartbeat; the latest per appliance is kept (see `fleet`),\n"
      "and --metrics-listen serves it with the inbox's counters to Prometheus (plain HTTP: keep it local).",
      {{"--listen", true, "address and port to listen on (IPv4), e.g. 127.0.0.1:8443", "ADDRESS:PORT"},
       {"--cert", true, "the inbox's server certificate chain (PEM)", "FILE"},
       {"--key", true, "its private key (PEM)", "FILE"},
       {"--client-ca", true, "the CA that issues appliance certificates (PEM)", "FILE"},
       {"--crl", true, "revoked appliance certificates (PEM CRL signed by --client-ca)", "FILE"},
       {"--db", true, "a SQLite file (created if missing) or a postgresql:// URL", "FILE|URL"},
       {"--web-listen", true, "also serve the analysts' web view here (IPv4), e.g. 127.0.0.1:8444",
        "ADDRESS:PORT"},
       {"--web-tokens", true, "the analysts who may sign in: NAME SECRET a line (mode 0600)", "FILE"},
       {"--web-feed-keys", true, "the feed's keys directory, for the feed history page", "DIR"},
       {"--handshake-timeout-ms", true, "a TLS handshake must complete within this (default 2000)", "MS"},
       {"--max-handshakes", true, "handshakes under way at once (default 512)", "N"},
       {"--max-handshakes-per-source", true, "of which from one address (default 32)", "N"},
       {"--max-connections", true, "authenticated connections served at once (default 64)", "N"},
       {"--max-per-appliance", true, "of which one appliance holds (default 4)", "N"},
       {"--request-timeout-ms", true, "a whole request, handshake to body, within this (default 30000)",
        "MS"},
       {"--idle-timeout-ms", true, "a kept-alive connection waits this for its next request (default 15000)",
        "MS"},
       {"--body-memory-mb", true, "request bodies held at once, in MiB (default 64)", "N"},
       {"--metrics-listen", true, "serve Prometheus metrics (the inbox's and the fleet's) on HOST:PORT",
        "HOST:PORT"},
       {"--feed", true, "the feed directory whose version the fleet's set lag is measured against", "DIR"}},
      run_inbox,
  };
}

cli::Verb hits_verb() {
  return {
      "hits",
      "list the hits the inbox holds",
      "hits --db FILE|URL [--since T] [--until T] [--appliance ID] [--list NAME] [--source S] [--hash HEX]\n"
      "     [--limit N] [--json|--csv|--counts]",
      "Prints the stored hits that match every filter given, oldest first: a table with ISO 8601 UTC times\n"
      "(default), CSV with a header (--csv, quoted per RFC 4180), or one JSON object a line (--json) with "
      "the\n"
      "same fields as the CSV (a JSON key only when the hit has it); --counts prints hits per appliance and\n"
      "per list instead. Times (received at the inbox): YYYY-MM-DD[THH:MM[:SS]][Z] in UTC, a time ago (90s,\n"
      "45m, 2h, 7d, 2w), now, @SECONDS or plain unix seconds; --since is inclusive, --until exclusive.\n"
      "--limit keeps the newest N matches. Table cells are escaped for the terminal.",
      {{"--db", true, "the inbox database: a SQLite file or a postgresql:// URL", "FILE|URL"},
       {"--since", true, "only hits received at or after this time", "T"},
       {"--until", true, "only hits received before this time", "T"},
       {"--appliance", true, "only this appliance's hits", "ID"},
       {"--list", true, "only hits on this list", "NAME"},
       {"--source", true, "only hits from this source (wire, scan...)", "S"},
       {"--hash", true, "only hits of this hash (hex)", "HEX"},
       {"--limit", true, "only the newest N matches", "N"},
       {"--json", false, "one JSON object a line", ""},
       {"--csv", false, "CSV with a header", ""},
       {"--counts", false, "hits per appliance and per list", ""}},
      run_hits,
  };
}

cli::Verb inbox_migrate_verb() {
  return {
      "inbox migrate",
      "copy an inbox's hits to another database (SQLite to PostgreSQL)",
      "inbox migrate --from FILE|URL --to FILE|URL",
      "Copies every stored hit from --from to --to, as it is: key, first-received time, report. A hit the\n"
      "destination holds already is skipped, so the verb is safe to run again: stop the old inbox, migrate,\n"
      "start the inboxes on the new database, and a second run copies anything that arrived in between.\n"
      "Each batch of 1000 is one transaction. Prints how many were read, copied and already there. Each\n"
      "appliance's latest heartbeat goes too (a newer one at the destination stays).",
      {{"--from", true, "the inbox database to copy from (must exist)", "FILE|URL"},
       {"--to", true, "the database to copy into (schema created if missing)", "FILE|URL"}},
      run_migrate,
  };
}

}  // namespace dijk::hotline
