#pragma once
// What `dijk-hotline hits` prints: the inbox's stored hits, filtered, as a table for people (ISO times,
// aligned columns), as CSV or as JSON lines with the same fields, or counted per appliance and per list.
// Every field comes from an appliance: the table escapes each for the terminal (printable_text), CSV quotes
// per RFC 4180, JSON escapes per JSON.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "apps/dijk-hotline/inbox/hit_match.h"

namespace dijk::inbox {
class InboxStore;
}

namespace dijk::hotline {

enum class HitsFormat { table, csv, json, counts };

struct HitsQuery {
  std::int64_t since = 0;              // received at or after (unix seconds)
  inbox::HitMatch match;               // until, appliance, list, source (wire, file...), hash
  std::optional<std::uint64_t> limit;  // the newest N of the matches, still printed oldest first
  HitsFormat format = HitsFormat::table;
};

// The fields of every format, in order (CSV header; JSON keys, a key only when the hit has the field).
// `received` and `time` are the ISO 8601 UTC forms of received_at and time_ns. Columns are only ever
// added at the end, so that scripts that cut CSV columns by number keep working. JSON also keeps any
// field a newer appliance sends that this list does not know yet, after the known ones.
inline constexpr const char* kHitFields[] = {
    "received_at",    "key",         "appliance",        "position",  "time_ns",
    "source",         "kind",        "algorithm",        "hash",      "list",
    "category",       "size",        "file_type",        "method",    "client_ip",
    "client_ip_hmac", "url",         "url_hmac",         "filename",  "filename_hmac",
    "path",           "path_hmac",   "received",         "time",      "set_version",
    "pdq_distance",   "pdq_quality", "truncated_fields", "server_ip", "server_port",
    "client_port",    "customer",    "upload_id",        "action"};

// Returns the number of hits printed (or counted).
std::uint64_t print_hits(inbox::InboxStore& store, const HitsQuery& query, std::ostream& out);

}  // namespace dijk::hotline
