#include "control/reporter/report_format.h"

#include <arpa/inet.h>

#include <stdexcept>

namespace dijk::reporter {

std::string idempotency_key(const std::string& appliance_id, std::string_view journal,
                            std::uint64_t position) {
  return appliance_id + ":" + hit_id(journal, position);
}

std::string hit_id(std::string_view journal, std::uint64_t position) {
  if (is_wire_journal(journal)) return std::to_string(position);
  return std::string(journal) + ":" + std::to_string(position);
}

std::string format_ip(const IpAddress& ip) {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char text[INET6_ADDRSTRLEN] = {};
  if (std::equal(std::begin(kMapped), std::end(kMapped), ip.bytes.begin())) {
    ::inet_ntop(AF_INET, ip.bytes.data() + 12, text, sizeof text);
  } else {
    ::inet_ntop(AF_INET6, ip.bytes.data(), text, sizeof text);
  }
  return text;
}

namespace {
void put_field(nlohmann::json& j, const char* name, const std::string& value, FieldPolicy policy,
               const HmacKey* key) {
  if (value.empty()) return;
  switch (policy) {
    case FieldPolicy::send:
      j[name] = value;
      break;
    case FieldPolicy::omit:
      break;
    case FieldPolicy::hmac:
      if (key == nullptr) throw std::logic_error("privacy policy hashes a field but no HMAC key is set");
      j[std::string(name) + "_hmac"] = key->hex_mac(value);
      break;
  }
}
}  // namespace

nlohmann::json hit_to_json(const journal::JournalEntry& entry, const PrivacyPolicy& policy,
                           const HmacKey* key, std::string_view journal) {
  const HitEvent& h = entry.record.hit;
  nlohmann::json j;
  j["key"] = idempotency_key(entry.record.appliance_id, journal, entry.position);
  j["appliance"] = entry.record.appliance_id;
  if (!is_wire_journal(journal)) j["journal"] = std::string(journal);
  j["position"] = entry.position;
  j["time_ns"] = h.time_ns;
  j["source"] = hit_source_name(h.source);
  j["kind"] = h.kind == HitKind::pdq ? "pdq" : "exact";
  j["algorithm"] = h.algorithm;
  j["hash"] = h.hash;
  j["list"] = h.list;
  j["category"] = h.category;
  j["size"] = h.size;
  j["file_type"] = h.file_type;
  j["set_version"] = h.set_version;
  if (h.pdq_distance) j["pdq_distance"] = *h.pdq_distance;
  if (h.pdq_quality) j["pdq_quality"] = *h.pdq_quality;
  if (entry.record.truncated_fields) j["truncated_fields"] = true;
  if (!h.method.empty()) j["method"] = h.method;
  if (h.flow) {
    j["server_ip"] = format_ip(h.flow->dst);
    j["server_port"] = h.flow->dst_port;
    put_field(j, "client_ip", format_ip(h.flow->src), policy.client_ip, key);
    if (policy.client_ip == FieldPolicy::send) j["client_port"] = h.flow->src_port;
  }
  if (!h.host.empty() || !h.uri.empty()) put_field(j, "url", "http://" + h.host + h.uri, policy.url, key);
  put_field(j, "filename", h.filename, policy.filename, key);
  put_field(j, "path", h.path, policy.filename, key);
  if (h.file_stat) {
    j["owner_uid"] = h.file_stat->owner_uid;
    j["mtime_ns"] = h.file_stat->mtime_ns;
  }
  // API and ICAP hits: the platform's own ids for the upload go as they are (they name an upload, not a
  // person); the uploader's IP follows the client_ip policy like a wire hit's.
  if (!h.customer.empty()) j["customer"] = h.customer;
  if (!h.upload_id.empty()) j["upload_id"] = h.upload_id;
  if (!h.action.empty()) j["action"] = h.action;
  put_field(j, "client_ip", h.client_ip, policy.client_ip, key);
  return j;
}

std::string build_report(const std::vector<journal::JournalEntry>& entries, const PrivacyPolicy& policy,
                         const HmacKey* key) {
  std::vector<nlohmann::json> hits;
  for (const auto& e : entries) hits.push_back(hit_to_json(e, policy, key));
  return build_report(hits, hits.size());
}

std::string build_report(const std::vector<nlohmann::json>& hits, std::size_t count,
                         const nlohmann::json* heartbeat) {
  nlohmann::json report;
  report["format"] = kReportFormat;
  nlohmann::json sent = nlohmann::json::array();
  for (std::size_t i = 0; i < count && i < hits.size(); ++i) sent.push_back(hits[i]);
  report["hits"] = std::move(sent);
  if (heartbeat != nullptr) report["heartbeat"] = *heartbeat;
  // Replace invalid UTF-8 (URIs and filenames are raw bytes off the wire) rather than fail.
  return report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace dijk::reporter
