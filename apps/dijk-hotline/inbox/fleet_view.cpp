#include "apps/dijk-hotline/inbox/fleet_view.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

#include "apps/dijk-hotline/inbox/text_table.h"
#include "config/cli/time_arg.h"

namespace dijk::hotline {
namespace {

std::string ago(std::int64_t s) {
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string count_text(const std::optional<std::uint64_t>& v) {
  return v ? std::to_string(*v) : "-";
}

}  // namespace

Fleet fleet_of(inbox::InboxStore& store, const FleetPolicy& policy) {
  Fleet fleet;
  store.list_heartbeats([&](const inbox::StoredHeartbeat& stored) {
    FleetEntry e;
    e.appliance = stored.appliance;
    e.last_seen = stored.received_at;
    e.age_s = std::max<std::int64_t>(0, policy.now - stored.received_at);
    const auto j = nlohmann::json::parse(stored.heartbeat, nullptr, false);
    auto parsed = inbox::parse_heartbeat(j, stored.appliance);
    e.beat = std::move(parsed.heartbeat);
    if (!e.beat) e.problems.push_back("heartbeat unreadable: " + parsed.error);
    fleet.entries.push_back(std::move(e));
  });
  fleet.reference_published = policy.published.has_value();
  if (policy.published) {
    fleet.reference_version = *policy.published;
  } else {
    for (const auto& e : fleet.entries)
      if (e.beat) fleet.reference_version = std::max(fleet.reference_version, e.beat->set_version);
  }
  for (auto& e : fleet.entries) {
    if (e.age_s > policy.silent_after_s) {
      e.silent = true;
      e.problems.insert(e.problems.begin(), "silent for " + ago(e.age_s));
    }
    if (!e.beat) continue;
    const inbox::Heartbeat& b = *e.beat;
    e.lag = fleet.reference_version > b.set_version ? fleet.reference_version - b.set_version : 0;
    if (e.lag > policy.max_lag) {
      e.lagging = true;
      e.problems.push_back("set " + std::to_string(e.lag) + " versions behind");
    }
    if (b.feed_state == "failing")
      e.problems.push_back("feed failing" + (b.feed_error.empty() ? std::string() : ": " + b.feed_error));
  }
  return fleet;
}

void print_fleet(const Fleet& fleet, bool json, std::ostream& out) {
  if (json) {
    for (const auto& e : fleet.entries) {
      nlohmann::json j = e.beat ? inbox::to_json(*e.beat) : nlohmann::json{{"appliance", e.appliance}};
      j["last_seen_unix"] = e.last_seen;
      j["last_seen"] = cli::format_iso_utc(e.last_seen);
      j["age_s"] = e.age_s;
      j["set_lag"] = e.lag;
      j["silent"] = e.silent;
      j["lagging"] = e.lagging;
      j["healthy"] = e.problems.empty();
      j["problems"] = e.problems;
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    return;
  }
  std::vector<std::vector<std::string>> cells{{"APPLIANCE", "LAST-SEEN", "AGO", "SOFTWARE", "SET", "LAG",
                                               "FEED", "LAST-SYNC", "BACKLOG", "FILES", "HITS", "DROPS",
                                               "HEALTH"}};
  for (const auto& e : fleet.entries) {
    std::vector<std::string> line{e.appliance, cli::format_iso_utc(e.last_seen), ago(e.age_s)};
    if (e.beat) {
      const auto& b = *e.beat;
      line.insert(line.end(), {b.software, std::to_string(b.set_version), std::to_string(e.lag), b.feed_state,
                               b.last_sync_unix ? cli::format_iso_utc(b.last_sync_unix) : "never",
                               std::to_string(b.backlog), count_text(b.files_hashed), count_text(b.hits),
                               count_text(b.drops)});
    } else {
      line.insert(line.end(), 9, "?");
    }
    std::string health = "ok";
    if (!e.problems.empty()) {
      health.clear();
      for (const auto& p : e.problems) health += (health.empty() ? "" : "; ") + p;
    }
    line.push_back(health);
    cells.push_back(std::move(line));
  }
  print_text_table(std::move(cells), out);
  std::size_t silent = 0, lagging = 0, unhealthy = 0;
  for (const auto& e : fleet.entries) {
    silent += e.silent;
    lagging += e.lagging;
    unhealthy += !e.problems.empty();
  }
  out << fleet.entries.size() << " appliances, " << unhealthy << " unhealthy (" << silent << " silent, "
      << lagging << " lagging); set lag against version " << fleet.reference_version
      << (fleet.reference_published ? " (published)" : " (the newest in the fleet)") << "\n";
}

void fleet_metrics(const Fleet& fleet, std::vector<metrics::Sample>& out) {
  using metrics::Type;
  const auto gauge = [&](const char* name, const char* help, double v, metrics::Labels labels = {}) {
    out.push_back({name, help, Type::kGauge, std::move(labels), v});
  };
  std::size_t silent = 0, lagging = 0, unhealthy = 0;
  for (const auto& e : fleet.entries) {
    silent += e.silent;
    lagging += e.lagging;
    unhealthy += !e.problems.empty();
  }
  gauge("dijk_fleet_appliances", "Appliances that have sent a heartbeat.",
        static_cast<double>(fleet.entries.size()));
  gauge("dijk_fleet_silent_appliances", "Appliances whose last heartbeat is older than the silence limit.",
        static_cast<double>(silent));
  gauge("dijk_fleet_lagging_appliances", "Appliances more set versions behind than allowed.",
        static_cast<double>(lagging));
  gauge("dijk_fleet_unhealthy_appliances", "Appliances silent, lagging, or with a failing feed.",
        static_cast<double>(unhealthy));
  gauge("dijk_fleet_reference_set_version", "The set version lag is measured against.",
        static_cast<double>(fleet.reference_version));
  for (const auto& e : fleet.entries) {
    const metrics::Labels who{{"appliance", e.appliance}};
    gauge("dijk_fleet_last_seen_age_seconds", "Seconds since the appliance's last heartbeat arrived.",
          static_cast<double>(e.age_s), who);
    gauge("dijk_fleet_healthy", "1 when the appliance has no problem, else 0.", e.problems.empty() ? 1 : 0,
          who);
    if (!e.beat) continue;
    const auto& b = *e.beat;
    gauge("dijk_fleet_set_version", "The set version the appliance serves.",
          static_cast<double>(b.set_version), who);
    gauge("dijk_fleet_set_lag_versions", "Set versions the appliance is behind.", static_cast<double>(e.lag),
          who);
    gauge("dijk_fleet_reporter_backlog_hits", "Hits waiting on the appliance for the inbox.",
          static_cast<double>(b.backlog), who);
    gauge("dijk_fleet_feed_ok", "1 when the appliance's feed syncs, else 0.", b.feed_state == "ok" ? 1 : 0,
          who);
    // The appliance's own counters since dijkd started (they reset when it restarts).
    if (b.files_hashed)
      gauge("dijk_fleet_files_hashed", "Files the appliance hashed since dijkd started.",
            static_cast<double>(*b.files_hashed), who);
    if (b.hits)
      gauge("dijk_fleet_hits", "Hits the appliance found since dijkd started.", static_cast<double>(*b.hits),
            who);
    if (b.drops)
      gauge("dijk_fleet_drops", "Traffic the appliance could not fully process since dijkd started.",
            static_cast<double>(*b.drops), who);
  }
}

}  // namespace dijk::hotline
