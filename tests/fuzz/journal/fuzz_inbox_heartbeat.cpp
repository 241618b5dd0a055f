// Hostile heartbeats: whatever an appliance puts in a report's "heartbeat", the inbox keeps a heartbeat
// only of the authenticated appliance, with bounded members, or drops it with a reason; it never crashes,
// and what it keeps reads back the same from storage.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "apps/dijk-hotline/inbox/heartbeat.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return 0;
  const auto r = dijk::inbox::parse_heartbeat(j, "appliance-1");
  if (r.heartbeat.has_value() == !r.error.empty()) __builtin_trap();
  if (!r.heartbeat) return 0;
  const auto& h = *r.heartbeat;
  if (h.appliance != "appliance-1" || h.software.size() > 64 || h.feed_state.size() > 16 ||
      h.feed_error.size() > 512 || h.sent_unix < 0 || h.last_sync_unix < 0)
    __builtin_trap();
  // The stored form parses back to the same heartbeat (fleet_view reads it so).
  const auto stored = dijk::inbox::to_json(h).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto again =
      dijk::inbox::parse_heartbeat(nlohmann::json::parse(stored, nullptr, false), "appliance-1");
  if (!again.heartbeat || dijk::inbox::to_json(*again.heartbeat) != dijk::inbox::to_json(h)) __builtin_trap();
  return 0;
}
