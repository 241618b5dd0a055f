#pragma once
// The appliance's heartbeat, as dijk-control sends it to the inbox with each report and alone every
// [reporting] heartbeat_s when there are no hits (format in docs/journal.md): versions, feed state, last
// sync, reporter backlog (from dijk-control's own status), and dijkd's key counters (asked over dijkd's
// admin socket; absent when dijkd does not answer, which the hotline then sees).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/admin/status.h"

namespace dijk::control {

struct DijkdCounters {
  std::uint64_t files_hashed = 0;  // files the stream stage completed, every lcore
  std::uint64_t hits = 0;          // hits handed to the hit sinks
  std::uint64_t drops = 0;         // the status's drops, added up (NIC, forward, evictions, truncated, PDQ)
};

// dijkd's counters, or nullopt when it does not answer within a second.
std::optional<DijkdCounters> ask_dijkd(const std::string& socket);

nlohmann::json heartbeat_of(const admin::DaemonStatus& control, const std::optional<DijkdCounters>& dijkd,
                            std::int64_t now_unix);

}  // namespace dijk::control
