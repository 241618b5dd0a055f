#include "apps/dijk-control/report_verb.h"

#include <csignal>
#include <iostream>
#include <string>

#include "config/schema/journals.h"
#include "control/reporter/reporter.h"

namespace dijk::reporter {
namespace {

// The one piece of process-wide state: what a signal handler may touch.
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) {
  g_stop.store(true);
}

std::uint64_t number(const cli::ParsedArgs& a, const std::string& name, std::uint64_t fallback) {
  const auto v = a.value(name);
  if (!v) return fallback;
  if (v->empty() || v->find_first_not_of("0123456789") != std::string::npos) {
    throw cli::UsageError(name + " wants a non-negative number, got '" + *v + "'");
  }
  return std::stoull(*v);
}

std::chrono::milliseconds ms(const cli::ParsedArgs& a, const std::string& name,
                             std::chrono::milliseconds fallback) {
  return std::chrono::milliseconds(number(a, name, static_cast<std::uint64_t>(fallback.count())));
}

// The flag's value, or the policy's default (the same as dijk.toml's).
FieldPolicy policy(const cli::ParsedArgs& a, const std::string& name, FieldPolicy fallback) {
  const auto v = a.value(name);
  if (!v) return fallback;
  const auto p = parse_field_policy(*v);
  if (!p) throw cli::UsageError(name + " wants send, omit or hmac, got '" + *v + "'");
  return *p;
}

int run_report(const cli::ParsedArgs& a) {
  ReporterOptions o;
  o.journal_dir = a.required("--journal");
  if (auto n = a.value("--journal-name")) {
    if (*n != kWireJournal && !valid_journal_name(*n))
      throw cli::UsageError("--journal-name wants 1-32 of [a-z0-9-], got '" + *n + "'");
    o.journal_name = *n;
  }
  o.tls.url = a.required("--url");
  o.tls.cert = a.required("--cert");
  o.tls.key = a.required("--key");
  o.tls.ca = a.required("--ca");
  o.state_file = a.required("--state");
  if (auto q = a.value("--quarantine")) o.quarantine_dir = *q;
  if (auto k = a.value("--hmac-key")) o.privacy.hmac_key = *k;
  o.privacy.client_ip = policy(a, "--client-ip", o.privacy.client_ip);
  o.privacy.url = policy(a, "--url-field", o.privacy.url);
  o.privacy.filename = policy(a, "--filename", o.privacy.filename);
  o.batch_max_hits = number(a, "--batch", o.batch_max_hits);
  if (o.batch_max_hits == 0) throw cli::UsageError("--batch must be at least 1");
  o.tls.request_timeout = ms(a, "--timeout-ms", o.tls.request_timeout);
  o.tls.connect_timeout = ms(a, "--connect-timeout-ms", o.tls.connect_timeout);
  o.backoff_initial = ms(a, "--backoff-initial-ms", o.backoff_initial);
  o.backoff_max = ms(a, "--backoff-max-ms", o.backoff_max);
  o.poll_interval = ms(a, "--poll-ms", o.poll_interval);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  Reporter reporter(o);
  reporter.run(g_stop);
  const auto& s = reporter.stats();
  std::cerr << "reporter: stopped; " << s.hits_acknowledged << " hits acknowledged in " << s.batches_sent
            << " batches (" << s.failures << " failed attempts), position " << s.acked_position << "\n";
  return cli::kExitOk;
}

}  // namespace

cli::Verb report_verb() {
  return {
      "report",
      "send journaled hits to the hotline's inbox",
      "report --journal DIR --url URL --cert FILE --key FILE --ca FILE --state FILE [OPTIONS]",
      "Tails the hit journal from the acknowledged position in --state and POSTs hits in batches to --url\n"
      "over HTTPS with the appliance's client certificate, trusting only --ca. Each hit carries the\n"
      "idempotency key APPLIANCE:POSITION (APPLIANCE:NAME:POSITION with --journal-name). Failed batches are "
      "resent with exponential backoff and jitter;\n"
      "--state moves (atomically) only once the inbox has stored a batch. Per-field privacy policy:\n"
      "send, omit or hmac (HMAC-SHA256 with --hmac-key; \"hash\" is accepted too). Hits the inbox\n"
      "refuses for good (4xx but 408/429) are moved to --quarantine so later ones go on. Runs until\n"
      "SIGINT/SIGTERM.",
      {{"--journal", true, "the journal directory", "DIR"},
       {"--journal-name", true, "its name in keys and reports, e.g. api (default wire: dijkd's)", "NAME"},
       {"--url", true, "the inbox endpoint, e.g. https://inbox.example:8443/v1/hits", "URL"},
       {"--cert", true, "the appliance's client certificate (PEM)", "FILE"},
       {"--key", true, "its private key (PEM)", "FILE"},
       {"--ca", true, "the only CA trusted for the inbox's certificate (PEM)", "FILE"},
       {"--state", true, "where the acknowledged position is kept", "FILE"},
       {"--quarantine", true, "where refused hits are kept (default: reporter-quarantine beside --state)",
        "DIR"},
       {"--hmac-key", true,
        "local key for hashed fields, at least 16 bytes (default /var/lib/dijk/state/privacy-hmac.key)",
        "FILE"},
       {"--client-ip", true, "client IP and port: send, omit or hmac (default hmac, as in dijk.toml)",
        "POLICY"},
       {"--url-field", true, "host + URI: send, omit or hmac (default send)", "POLICY"},
       {"--filename", true, "upload filename and file path: send, omit or hmac (default send)", "POLICY"},
       {"--batch", true, "hits per request (default 500)", "N"},
       {"--timeout-ms", true, "give up on a request after this long (default 30000)", "MS"},
       {"--connect-timeout-ms", true, "give up on connecting after this long (default 5000)", "MS"},
       {"--backoff-initial-ms", true, "first retry delay (default 250)", "MS"},
       {"--backoff-max-ms", true, "longest retry delay (default 60000)", "MS"},
       {"--poll-ms", true, "how often to look for new hits when idle (default 50)", "MS"}},
      run_report,
  };
}

}  // namespace dijk::reporter
