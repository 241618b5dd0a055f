#include "core/field_policy.h"

namespace dijk {

std::optional<FieldPolicy> parse_field_policy(std::string_view text) {
  if (text == "send") return FieldPolicy::send;
  if (text == "omit") return FieldPolicy::omit;
  if (text == "hmac" || text == "hash") return FieldPolicy::hmac;
  return std::nullopt;
}

std::string_view field_policy_name(FieldPolicy p) {
  switch (p) {
    case FieldPolicy::send:
      return "send";
    case FieldPolicy::omit:
      return "omit";
    case FieldPolicy::hmac:
      return "hmac";
  }
  return "send";
}

}  // namespace dijk
