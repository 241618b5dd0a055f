#pragma once
// Which stored hits a listing keeps beyond `since` (the store's own bound): one rule for
// `dijk-hotline hits` and the analysts' web view, so the two always agree on what a filter means.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dijk::inbox {

struct HitMatch {
  std::optional<std::int64_t> until;                   // received before (unix seconds)
  std::optional<std::string> appliance, list, source;  // exact
  std::optional<std::string> hash;                     // hex, any case

  bool accepts(std::int64_t received_at, std::string_view hit_appliance, std::string_view hit_list,
               std::string_view hit_source, std::string_view hit_hash) const;
};

}  // namespace dijk::inbox
