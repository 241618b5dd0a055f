#pragma once
// The report the reporter sends and the inbox stores (format "dijk-hits/1", documented in docs/journal.md):
// a JSON object {"format":"dijk-hits/1","hits":[...]}, each hit keyed by "<appliance>:<position>" (dijkd's
// "wire" journal) or "<appliance>:<journal>:<position>" (any other journal, which each hit then names).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/journal/journal_reader.h"
#include "control/reporter/privacy.h"

namespace dijk::reporter {

inline constexpr const char* kReportFormat = "dijk-hits/1";

// The journal whose keys keep the form they had before there were several: dijkd's.
inline constexpr std::string_view kWireJournalName = "wire";
inline bool is_wire_journal(std::string_view journal) {
  return journal.empty() || journal == kWireJournalName;
}

// journal: empty or "wire" for dijkd's journal.
std::string idempotency_key(const std::string& appliance_id, std::string_view journal,
                            std::uint64_t position);
// How an admin names a hit of a journal: "POS" in the wire journal, "NAME:POS" in any other.
std::string hit_id(std::string_view journal, std::uint64_t position);
std::string format_ip(const IpAddress& ip);  // dotted quad for IPv4-mapped, RFC 5952 text otherwise

// One hit as it leaves the appliance, with the policy applied. key may be null only when no field is hashed.
// journal: the journal the entry is from (empty or "wire" for dijkd's); any other is named in the hit.
nlohmann::json hit_to_json(const journal::JournalEntry& entry, const PrivacyPolicy& policy,
                           const HmacKey* key, std::string_view journal = {});
std::string build_report(const std::vector<journal::JournalEntry>& entries, const PrivacyPolicy& policy,
                         const HmacKey* key);
// The report around hits already made by hit_to_json (the first count of them), with the appliance's
// heartbeat when there is one.
std::string build_report(const std::vector<nlohmann::json>& hits, std::size_t count,
                         const nlohmann::json* heartbeat = nullptr);

}  // namespace dijk::reporter
