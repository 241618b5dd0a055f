#include "apps/dijk-hotline/inbox/report_parse.h"

#include <nlohmann/json.hpp>

namespace dijk::inbox {
namespace {

ReportParse fail(int status, std::string reason) {
  ReportParse r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

bool short_string(const nlohmann::json& j, const char* name, std::size_t max, std::string& out) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return out.size() <= max;
}

// A journal name as dijk-control sends it: 1 to 32 of [a-z0-9-].
bool is_journal_name(const std::string& s) {
  return !s.empty() && s.size() <= 32 &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
}

bool is_hex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

ReportParse parse_report(std::string_view body, std::string_view appliance) {
  // Depth is bounded by nlohmann's recursive parser only by the body size cap; reject deep nesting
  // cheaply first, since a valid report nests three levels at most.
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > 8) return fail(400, "report nests too deeply");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail(400, "body is not a JSON object");
  const auto fmt = doc.find("format");
  if (fmt == doc.end() || !fmt->is_string() || fmt->get<std::string>() != "dijk-hits/1") {
    return fail(400, "unknown report format (want dijk-hits/1)");
  }
  const auto hits = doc.find("hits");
  if (hits == doc.end() || !hits->is_array()) return fail(400, "report has no hits array");
  if (hits->size() > kMaxHitsPerReport) return fail(413, "too many hits in one report");
  ReportParse r;
  r.hits.reserve(hits->size());
  const std::string prefix = std::string(appliance) + ":";
  for (const auto& h : *hits) {
    if (!h.is_object()) return fail(400, "a hit is not an object");
    InboxHit out;
    if (!short_string(h, "key", 512, out.key) || !short_string(h, "appliance", 256, out.appliance)) {
      return fail(422, "a hit lacks its key or appliance");
    }
    if (out.appliance != appliance)
      return fail(403, "hit from appliance '" + out.appliance + "' on another's certificate");
    const auto pos = h.find("position");
    const auto t = h.find("time_ns");
    if (pos == h.end() || !pos->is_number_unsigned() || t == h.end() || !t->is_number_unsigned()) {
      return fail(422, "a hit lacks position or time_ns");
    }
    out.position = pos->get<std::uint64_t>();
    out.time_ns = t->get<std::uint64_t>();
    // dijkd's journal ("wire", or no name) keys hits appliance:position; every other journal
    // appliance:journal:position, so positions of two journals never collide.
    if (h.contains("journal") &&
        (!short_string(h, "journal", 32, out.journal) || !is_journal_name(out.journal)))
      return fail(422, "malformed journal name");
    const bool wire = out.journal.empty() || out.journal == "wire";
    const std::string expected = prefix + (wire ? "" : out.journal + ":") + std::to_string(out.position);
    if (out.key != expected)
      return fail(422, wire ? "idempotency key does not match appliance:position"
                            : "idempotency key does not match appliance:journal:position");
    if (!short_string(h, "algorithm", 16, out.algorithm) || !short_string(h, "hash", 128, out.hash) ||
        !is_hex(out.hash)) {
      return fail(422, "a hit lacks a valid algorithm or hash");
    }
    if (h.contains("list") && !short_string(h, "list", 256, out.list))
      return fail(422, "malformed list name");
    out.report = h.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    r.hits.push_back(std::move(out));
  }
  if (const auto beat = doc.find("heartbeat"); beat != doc.end()) {
    auto parsed = parse_heartbeat(*beat, appliance);
    r.heartbeat = std::move(parsed.heartbeat);
    r.heartbeat_error = std::move(parsed.error);
  }
  return r;
}

}  // namespace dijk::inbox
