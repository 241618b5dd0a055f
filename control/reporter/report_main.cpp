#include "control/reporter/report_main.h"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "control/reporter/reporter.h"

namespace dijk::reporter {
namespace {

constexpr const char* kUsage =
    "usage: report --journal DIR --url https://HOST:PORT/v1/hits --cert FILE --key FILE --ca FILE\n"
    "              --state FILE [--hmac-key FILE] [--client-ip send|omit|hash] [--url-field send|omit|hash]\n"
    "              [--filename send|omit|hash] [--batch N] [--timeout-ms N] [--connect-timeout-ms N]\n"
    "              [--backoff-initial-ms N] [--backoff-max-ms N] [--poll-ms N]\n";

// The one piece of process-wide state: what a signal handler may touch.
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

bool parse_ms(std::string_view v, std::chrono::milliseconds& out) {
  try {
    std::size_t used = 0;
    const long long n = std::stoll(std::string(v), &used);
    if (used != v.size() || n < 0) return false;
    out = std::chrono::milliseconds(n);
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

int report_main(int argc, char** argv) {
  ReporterOptions o;
  int i = 1;
  if (i < argc && std::string_view(argv[i]) == "report") ++i;
  for (; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "report: " << flag << " needs a value\n" << kUsage;
      return 2;
    }
    const std::string_view v = argv[++i];
    bool ok = true;
    const auto policy = [&](FieldPolicy& p) {
      const auto parsed = parse_field_policy(v);
      ok = parsed.has_value();
      if (parsed) p = *parsed;
    };
    if (flag == "--journal") o.journal_dir = v;
    else if (flag == "--url") o.tls.url = v;
    else if (flag == "--cert") o.tls.cert = v;
    else if (flag == "--key") o.tls.key = v;
    else if (flag == "--ca") o.tls.ca = v;
    else if (flag == "--state") o.state_file = v;
    else if (flag == "--hmac-key") o.hmac_key_file = std::filesystem::path(v);
    else if (flag == "--client-ip") policy(o.privacy.client_ip);
    else if (flag == "--url-field") policy(o.privacy.url);
    else if (flag == "--filename") policy(o.privacy.filename);
    else if (flag == "--batch") {
      try {
        o.batch_max_hits = std::stoul(std::string(v));
      } catch (...) {
        ok = false;
      }
      ok = ok && o.batch_max_hits > 0;
    } else if (flag == "--timeout-ms") ok = parse_ms(v, o.tls.request_timeout);
    else if (flag == "--connect-timeout-ms") ok = parse_ms(v, o.tls.connect_timeout);
    else if (flag == "--backoff-initial-ms") ok = parse_ms(v, o.backoff_initial);
    else if (flag == "--backoff-max-ms") ok = parse_ms(v, o.backoff_max);
    else if (flag == "--poll-ms") ok = parse_ms(v, o.poll_interval);
    else {
      std::cerr << "report: unknown option " << flag << "\n" << kUsage;
      return 2;
    }
    if (!ok) {
      std::cerr << "report: bad value for " << flag << ": " << v << "\n";
      return 2;
    }
  }
  if (o.journal_dir.empty() || o.tls.url.empty() || o.tls.cert.empty() || o.tls.key.empty() || o.tls.ca.empty() ||
      o.state_file.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  try {
    Reporter reporter(o);
    reporter.run(g_stop);
    const auto& s = reporter.stats();
    std::cerr << "reporter: stopped; " << s.hits_acknowledged << " hits acknowledged in " << s.batches_sent
              << " batches (" << s.failures << " failed attempts), position " << s.acked_position << "\n";
  } catch (const std::exception& e) {
    std::cerr << "report: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace dijk::reporter
