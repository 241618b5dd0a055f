#pragma once
// What a hit report says about one field that can identify a person (the uploader's address, the upload's
// URL, its file name): send the value, omit it, or send HMAC-SHA256(local key, value) so the hotline can
// correlate without learning the value. One enum for the config schema and the reporter alike.
#include <optional>
#include <string_view>

namespace dijk {

enum class FieldPolicy { send, omit, hmac };

// "send", "omit", "hmac"; "hash" is accepted as an older spelling of "hmac" (the report verb's).
std::optional<FieldPolicy> parse_field_policy(std::string_view text);
// The canonical spelling, as the config renders it.
std::string_view field_policy_name(FieldPolicy p);

}  // namespace dijk
