// Run-time choice of the lane kernels; see lane_isa.h. Pure functions, any thread.
#include "hashcore/digest/multibuffer/lane_isa.h"

#include <algorithm>
#include <cstdlib>

namespace dijk::digest_lanes {

std::string_view lane_isa_name(LaneIsa isa) {
  switch (isa) {
    case LaneIsa::none:
      return "off";
    case LaneIsa::avx2:
      return "avx2";
    case LaneIsa::avx512:
      return "avx512";
  }
  return "off";
}

std::optional<LaneIsa> lane_isa_from_name(std::string_view name) {
  if (name == "off" || name == "none") return LaneIsa::none;
  if (name == "avx2") return LaneIsa::avx2;
  if (name == "avx512") return LaneIsa::avx512;
  return std::nullopt;
}

bool cpu_supports(LaneIsa isa) {
  switch (isa) {
    case LaneIsa::none:
      return true;
    case LaneIsa::avx2:
      return __builtin_cpu_supports("avx2");
    case LaneIsa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2");
  }
  return false;
}

LaneIsa best_lane_isa() {
  if (cpu_supports(LaneIsa::avx512)) return LaneIsa::avx512;
  if (cpu_supports(LaneIsa::avx2)) return LaneIsa::avx2;
  return LaneIsa::none;
}

LaneIsa choose_lane_isa(std::string_view request) {
  const LaneIsa best = best_lane_isa();
  const std::optional<LaneIsa> asked = lane_isa_from_name(request);
  if (!asked) return best;
  // The enum is ordered by width: a request wider than the CPU gets the widest it has.
  return std::min(*asked, best);
}

LaneIsa lane_isa_from_environment() {
  const char* v = std::getenv("DIJK_DIGEST_LANES");
  return choose_lane_isa(v != nullptr ? std::string_view(v) : std::string_view());
}

LaneIsa lane_isa_for_setting(std::string_view setting) {
  return setting.empty() || setting == "auto" ? lane_isa_from_environment() : choose_lane_isa(setting);
}

}  // namespace dijk::digest_lanes
