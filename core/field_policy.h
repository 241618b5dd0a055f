#pragma once
// What a hit report says about one field that can identify a person (the uploader's address, the upload's
// URL, its file name): send the value, omit it, or send HMAC-SHA256(local key, value) so the hotline can
// correlate without learning the value. One enum, and one policy over the three fields, for the config
// schema and the reporter alike.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dijk {

enum class FieldPolicy { send, omit, hmac };

// Every accepted spelling, canonical ones first: the parser below and the config schema both read by it.
// "hash" is the report verb's older spelling of "hmac".
inline constexpr std::array<std::pair<std::string_view, FieldPolicy>, 4> kFieldPolicySpellings = {{
    {"send", FieldPolicy::send},
    {"omit", FieldPolicy::omit},
    {"hmac", FieldPolicy::hmac},
    {"hash", FieldPolicy::hmac},
}};

// "send", "omit", "hmac"; "hash" is accepted as an older spelling of "hmac" (the report verb's).
std::optional<FieldPolicy> parse_field_policy(std::string_view text);
// The canonical spelling, as the config renders it.
std::string_view field_policy_name(FieldPolicy p);

// `[reporting.privacy]`, and the report verb's flags. The default is the one docs/journal.md states: the
// uploader's address, the field that most directly names a person, leaves the box only as an HMAC; the URL
// and file name are what the hotline acts on, so they are sent unless the provider says otherwise.
struct PrivacyPolicy {
  FieldPolicy client_ip = FieldPolicy::hmac;  // the uploader's address (and port, sent only with send)
  FieldPolicy url = FieldPolicy::send;        // host + URI of the upload request
  FieldPolicy filename = FieldPolicy::send;   // multipart filename (wire) and file path (scans)
  // The local key (at least 16 bytes) for hmac; read only when a field is hmac, so an unused default
  // path need not exist. dijk-control makes it at first start.
  std::string hmac_key = "/var/lib/dijk/state/privacy-hmac.key";

  bool any_hmac() const {
    return client_ip == FieldPolicy::hmac || url == FieldPolicy::hmac || filename == FieldPolicy::hmac;
  }
  // Every field as it is: for the admin's own views on the box, which withhold nothing.
  static PrivacyPolicy send_everything() {
    PrivacyPolicy p;
    p.client_ip = FieldPolicy::send;
    return p;
  }

  bool operator==(const PrivacyPolicy&) const = default;
};

}  // namespace dijk
