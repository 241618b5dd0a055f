#include "apps/dijk-hotline/inbox/heartbeat.h"

namespace dijk::inbox {
namespace {

// Unsigned members are at most 2^63 - 1, so that both stores can hold them as signed 64-bit integers.
constexpr std::uint64_t kMaxCount = static_cast<std::uint64_t>(INT64_MAX);

bool bounded_string(const nlohmann::json& j, const char* name, std::size_t max, std::string& out,
                    bool required, std::string& error) {
  const auto it = j.find(name);
  if (it == j.end()) {
    if (required) error = std::string("heartbeat lacks ") + name;
    return !required;
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max) {
    error = std::string("heartbeat member ") + name + " is not a string of at most " + std::to_string(max) +
            " bytes";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool count(const nlohmann::json& j, const char* name, std::optional<std::uint64_t>& out, std::string& error) {
  const auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > kMaxCount) {
    error = std::string("heartbeat member ") + name + " is not a count";
    return false;
  }
  out = it->get<std::uint64_t>();
  return true;
}

bool time_of(const nlohmann::json& j, const char* name, std::int64_t& out, std::string& error) {
  std::optional<std::uint64_t> v;
  if (!count(j, name, v, error)) return false;
  out = static_cast<std::int64_t>(v.value_or(0));
  return true;
}

}  // namespace

HeartbeatParse parse_heartbeat(const nlohmann::json& j, std::string_view appliance) {
  HeartbeatParse r;
  if (!j.is_object()) {
    r.error = "heartbeat is not an object";
    return r;
  }
  Heartbeat h;
  std::string& e = r.error;
  if (!bounded_string(j, "appliance", 256, h.appliance, true, e)) return r;
  if (h.appliance != appliance) {
    r.error = "heartbeat of another appliance";
    return r;
  }
  std::optional<std::uint64_t> set_version, backlog;
  if (!bounded_string(j, "software", 64, h.software, false, e) ||
      !bounded_string(j, "feed_state", 16, h.feed_state, false, e) ||
      !bounded_string(j, "feed_error", 512, h.feed_error, false, e) ||
      !time_of(j, "sent_unix", h.sent_unix, e) || !time_of(j, "last_sync_unix", h.last_sync_unix, e) ||
      !count(j, "set_version", set_version, e) || !count(j, "backlog", backlog, e) ||
      !count(j, "files_hashed", h.files_hashed, e) || !count(j, "hits", h.hits, e) ||
      !count(j, "drops", h.drops, e)) {
    return r;
  }
  h.set_version = set_version.value_or(0);
  h.backlog = backlog.value_or(0);
  r.heartbeat = std::move(h);
  return r;
}

nlohmann::json to_json(const Heartbeat& h) {
  nlohmann::json j{
      {"appliance", h.appliance},           {"sent_unix", h.sent_unix},   {"software", h.software},
      {"set_version", h.set_version},       {"feed_state", h.feed_state}, {"feed_error", h.feed_error},
      {"last_sync_unix", h.last_sync_unix}, {"backlog", h.backlog}};
  if (h.files_hashed) j["files_hashed"] = *h.files_hashed;
  if (h.hits) j["hits"] = *h.hits;
  if (h.drops) j["drops"] = *h.drops;
  return j;
}

}  // namespace dijk::inbox
