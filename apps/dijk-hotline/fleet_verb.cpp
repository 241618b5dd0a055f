// `dijk-hotline fleet`: the appliances as their heartbeats describe them.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "apps/dijk-hotline/inbox/fleet_view.h"
#include "apps/dijk-hotline/inbox/published_version.h"
#include "apps/dijk-hotline/verbs.h"
#include "config/cli/time_arg.h"
#include "core/unix_time.h"

namespace dijk::hotline {
namespace {

int run_fleet(const cli::ParsedArgs& a) {
  const std::string db = a.required("--db");
  FleetPolicy policy;
  policy.now = unix_now();
  if (const auto v = a.value("--silent-after")) {
    policy.silent_after_s = policy.now - cli::parse_time_arg(*v, policy.now, "--silent-after");
    if (policy.silent_after_s <= 0) throw cli::UsageError("--silent-after wants a time span such as 15m");
  }
  if (const auto v = a.value("--max-lag")) {
    if (v->empty() || v->size() > 9 || v->find_first_not_of("0123456789") != std::string::npos)
      throw cli::UsageError("--max-lag wants a number of versions");
    policy.max_lag = std::stoull(*v);
  }
  if (const auto dir = a.value("--feed")) policy.published = published_version(*dir);
  if (!inbox::is_postgres_url(db) && !std::filesystem::exists(db))
    throw std::runtime_error("no inbox database at " + db);
  const Fleet fleet = fleet_of(*inbox::open_inbox_store(db), policy);
  print_fleet(fleet, a.flag("--json"), std::cout);
  const bool all_healthy = std::all_of(fleet.entries.begin(), fleet.entries.end(),
                                       [](const FleetEntry& e) { return e.problems.empty(); });
  return all_healthy ? cli::kExitOk : cli::kExitFound;
}

}  // namespace

cli::Verb fleet_verb() {
  return {
      "fleet",
      "show each appliance's last heartbeat: last seen, set lag, health",
      "fleet --db FILE|URL [--feed DIR] [--silent-after SPAN] [--max-lag N] [--json]",
      "One line per appliance that has sent a heartbeat (with each report batch, and every few minutes\n"
      "without hits): when it was last seen, its software and set version, how many versions it is behind\n"
      "(against --feed's published version, else the newest any appliance holds), its feed state and last\n"
      "sync, its reporter backlog and dijkd's counters (files hashed, hits, drops). An appliance is flagged\n"
      "silent when its last heartbeat is older than --silent-after (default 15m), lagging when more than\n"
      "--max-lag versions behind (default 1), and when its feed fails. Exit status 1 when any is flagged,\n"
      "for monitoring scripts. The inbox serves the same as Prometheus metrics (inbox --metrics-listen).",
      {{"--db", true, "the inbox database: a SQLite file or a postgresql:// URL", "FILE|URL"},
       {"--feed", true, "the feed directory whose published version lag is measured against", "DIR"},
       {"--silent-after", true, "flag an appliance unheard for longer (90s, 15m, 2h; default 15m)", "SPAN"},
       {"--max-lag", true, "flag an appliance more versions behind (default 1)", "N"},
       {"--json", false, "one JSON object a line", ""}},
      run_fleet,
  };
}

}  // namespace dijk::hotline
