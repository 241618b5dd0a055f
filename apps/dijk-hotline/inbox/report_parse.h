#pragma once
// Validates a report body ("dijk-hits/1", see docs/journal.md) from an authenticated appliance.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/dijk-hotline/inbox/heartbeat.h"

namespace dijk::inbox {

inline constexpr std::size_t kMaxHitsPerReport = 10'000;

struct InboxHit {
  std::string key;  // idempotency key: "<appliance>:<position>", or "<appliance>:<journal>:<position>"
  std::string appliance;
  std::string journal;  // empty for dijkd's journal ("wire")
  std::uint64_t position = 0;
  std::uint64_t time_ns = 0;
  std::string algorithm, hash, list;
  std::string report;  // the hit object as JSON, normalised
};

struct ReportParse {
  int status = 0;  // 0: fine; otherwise 400 (not JSON / wrong shape), 403 (another appliance's hits), 422
  std::string reason;
  std::vector<InboxHit> hits;
  // The report's "heartbeat", when it has one that passes; a refused one is only noted (the hits stand).
  std::optional<Heartbeat> heartbeat;
  std::string heartbeat_error;
};

// appliance: the authenticated identity (client certificate common name). Every hit must carry it.
ReportParse parse_report(std::string_view body, std::string_view appliance);

}  // namespace dijk::inbox
