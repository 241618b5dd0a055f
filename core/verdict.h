#pragma once
// What a checked upload's hits mean for the platform that asked: allow it, publish it but report the hit,
// or refuse it. The action is chosen per list (a rule naming the list) or per category, else a default;
// an upload's verdict is the strictest action among its hits, and `allow` when there are none.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/hit_event.h"

namespace dijk {

// Ordered by strictness: a larger value wins when hits disagree.
enum class Verdict : std::uint8_t { allow = 0, report = 1, block = 2 };

// The spellings the config and every API use.
inline constexpr std::array<std::pair<std::string_view, Verdict>, 3> kVerdictNames = {{
    {"allow", Verdict::allow},
    {"report", Verdict::report},
    {"block", Verdict::block},
}};

const char* verdict_name(Verdict v);
std::optional<Verdict> verdict_from_name(std::string_view name);

struct PolicyRule {
  std::string name;  // a list name or a category
  Verdict action = Verdict::block;

  bool operator==(const PolicyRule&) const = default;
};

class VerdictPolicy {
 public:
  VerdictPolicy() = default;
  VerdictPolicy(Verdict default_action, std::vector<PolicyRule> by_list, std::vector<PolicyRule> by_category)
      : default_(default_action), by_list_(std::move(by_list)), by_category_(std::move(by_category)) {}

  // A rule for the list wins over one for the category, which wins over the default.
  Verdict action_for(std::string_view list, std::string_view category) const;
  // The strictest action among hits or matches: anything with a list and a category (HitEvent, the check
  // API's Match), so every ingress decides the same way.
  template <typename Hits>
  Verdict verdict_for(const Hits& hits) const {
    Verdict v = Verdict::allow;
    for (const auto& h : hits) v = std::max(v, action_for(h.list, h.category));
    return v;
  }

 private:
  Verdict default_ = Verdict::block;
  std::vector<PolicyRule> by_list_;
  std::vector<PolicyRule> by_category_;
};

}  // namespace dijk
