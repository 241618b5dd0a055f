#include "apps/dijk-hotline/inbox/hit_match.h"

#include <algorithm>
#include <cctype>

namespace dijk::inbox {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

bool HitMatch::accepts(std::int64_t received_at, std::string_view hit_appliance, std::string_view hit_list,
                       std::string_view hit_source, std::string_view hit_hash) const {
  if (until && received_at >= *until) return false;
  if (appliance && hit_appliance != *appliance) return false;
  if (list && hit_list != *list) return false;
  if (source && hit_source != *source) return false;
  if (hash && !equal_ignoring_case(hit_hash, *hash)) return false;
  return true;
}

}  // namespace dijk::inbox
