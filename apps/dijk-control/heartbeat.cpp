#include "apps/dijk-control/heartbeat.h"

#include "config/admin/client.h"

namespace dijk::control {

std::optional<DijkdCounters> ask_dijkd(const std::string& socket) {
  try {
    admin::AdminClient status_link(socket, 1000);
    const auto status = status_link.call("status");
    admin::AdminClient stats_link(socket, 1000);
    const auto stats = stats_link.call("stats");
    DijkdCounters c;
    for (const auto& sample : stats.value("counters", nlohmann::json::array())) {
      const auto name = sample.value("name", std::string());
      const auto value = static_cast<std::uint64_t>(sample.value("value", 0.0));
      if (name == "dijk_wire_stream_files_total") c.files_hashed += value;
      if (name == "dijk_hits_reported_total") c.hits += value;
    }
    if (const auto drops = status.find("drops"); drops != status.end() && drops->is_object()) {
      for (const auto& [name, value] : drops->items())
        if (value.is_number_unsigned()) c.drops += value.get<std::uint64_t>();
    }
    return c;
  } catch (const std::exception&) {
    return std::nullopt;  // not running, or not answering: the heartbeat goes without its counters
  }
}

nlohmann::json heartbeat_of(const admin::DaemonStatus& s, const std::optional<DijkdCounters>& dijkd,
                            std::int64_t now_unix) {
  nlohmann::json j{{"appliance", s.appliance_id},
                   {"sent_unix", now_unix},
                   {"software", s.version},
                   {"set_version", s.set ? s.set->version : 0}};
  std::string feed_state = "off", feed_error;
  std::int64_t last_sync = 0;
  if (s.feed && s.feed->configured) {
    feed_state = s.feed->healthy ? "ok" : "failing";
    if (!s.feed->healthy) feed_error = s.feed->last_error.substr(0, 512);
    if (s.feed->last_success_age_s)
      last_sync = now_unix - static_cast<std::int64_t>(*s.feed->last_success_age_s);
  }
  j["feed_state"] = feed_state;
  if (!feed_error.empty()) j["feed_error"] = feed_error;
  if (last_sync > 0) j["last_sync_unix"] = last_sync;
  j["backlog"] = s.reporter ? s.reporter->backlog : 0;
  if (dijkd) {
    j["files_hashed"] = dijkd->files_hashed;
    j["hits"] = dijkd->hits;
    j["drops"] = dijkd->drops;
  }
  return j;
}

}  // namespace dijk::control
