#include "core/verdict.h"

#include <algorithm>

namespace dijk {

const char* verdict_name(Verdict v) {
  for (const auto& [name, verdict] : kVerdictNames) {
    if (verdict == v) return name.data();  // the names are literals: NUL-terminated
  }
  return "block";
}

std::optional<Verdict> verdict_from_name(std::string_view name) {
  for (const auto& [text, verdict] : kVerdictNames) {
    if (text == name) return verdict;
  }
  return std::nullopt;
}

namespace {
const PolicyRule* find_rule(const std::vector<PolicyRule>& rules, std::string_view name) {
  const auto it =
      std::find_if(rules.begin(), rules.end(), [&](const PolicyRule& r) { return r.name == name; });
  return it == rules.end() ? nullptr : &*it;
}
}  // namespace

Verdict VerdictPolicy::action_for(std::string_view list, std::string_view category) const {
  if (const PolicyRule* r = find_rule(by_list_, list)) return r->action;
  if (!category.empty()) {
    if (const PolicyRule* r = find_rule(by_category_, category)) return r->action;
  }
  return default_;
}

}  // namespace dijk
