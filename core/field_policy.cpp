#include "core/field_policy.h"

namespace dijk {

std::optional<FieldPolicy> parse_field_policy(std::string_view text) {
  for (const auto& [name, policy] : kFieldPolicySpellings) {
    if (name == text) return policy;
  }
  return std::nullopt;
}

std::string_view field_policy_name(FieldPolicy p) {
  for (const auto& [name, policy] : kFieldPolicySpellings) {
    if (policy == p) return name;  // the first spelling of each policy is its canonical one
  }
  return "send";
}

}  // namespace dijk
