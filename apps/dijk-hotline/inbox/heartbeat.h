#pragma once
// An appliance's heartbeat: how it is doing, sent with each report batch and, when there are no hits,
// alone in an otherwise empty report every few minutes (format in docs/journal.md). The inbox keeps the
// latest per appliance for `dijk-hotline fleet` and its metrics. It comes from outside: every member is
// checked and bounded, and one that is wrong costs the heartbeat, never the hits it travels with.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace dijk::inbox {

struct Heartbeat {
  std::string appliance;
  std::int64_t sent_unix = 0;  // the appliance's clock
  std::string software;        // dijk version
  std::uint64_t set_version = 0;
  std::string feed_state;           // "ok", "failing" or "off" (no feed configured)
  std::string feed_error;           // why failing
  std::int64_t last_sync_unix = 0;  // the last successful feed sync; 0: none since start
  std::uint64_t backlog = 0;        // hits in the journals not yet acknowledged by the inbox
  // From dijkd's counters since it started; absent when dijk-control could not ask dijkd.
  std::optional<std::uint64_t> files_hashed, hits, drops;
};

struct HeartbeatParse {
  std::optional<Heartbeat> heartbeat;
  std::string error;  // why not, when there was one and it is refused
};

// appliance: the authenticated identity; a heartbeat naming another is refused.
HeartbeatParse parse_heartbeat(const nlohmann::json& j, std::string_view appliance);
// The heartbeat as the inbox stores it: only the members above, each checked.
nlohmann::json to_json(const Heartbeat& h);

}  // namespace dijk::inbox
