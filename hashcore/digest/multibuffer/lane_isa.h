#pragma once
// Which lane kernels this process uses: AVX-512 (16 lanes), AVX2 (8 lanes) or none (OpenSSL, one stream
// at a time). Decided at run time from the CPU, so one build runs on any x86-64; DIJK_DIGEST_LANES can
// force a narrower choice (tests and benchmarks put the old path beside the new). Pure functions.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dijk::digest_lanes {

enum class LaneIsa : std::uint8_t { none, avx2, avx512 };

constexpr std::size_t lane_count(LaneIsa isa) {
  return isa == LaneIsa::avx512 ? 16 : isa == LaneIsa::avx2 ? 8 : 1;
}
std::string_view lane_isa_name(LaneIsa isa);
std::optional<LaneIsa> lane_isa_from_name(std::string_view name);  // "off"/"none", "avx2", "avx512"

// Whether this CPU runs the kernels of `isa` (none: always).
bool cpu_supports(LaneIsa isa);
// The widest kernels this CPU runs.
LaneIsa best_lane_isa();

// The kernels to use given a request ("auto" or empty: the best the CPU has; "off", "avx2", "avx512"):
// never wider than the CPU allows. Unknown words count as "auto".
LaneIsa choose_lane_isa(std::string_view request);
// choose_lane_isa of the environment variable DIJK_DIGEST_LANES.
LaneIsa lane_isa_from_environment();
// The kernels for a config setting ([hashing] digest_lanes): "auto" is lane_isa_from_environment(); "off",
// "avx2", "avx512" as choose_lane_isa.
LaneIsa lane_isa_for_setting(std::string_view setting);

}  // namespace dijk::digest_lanes
