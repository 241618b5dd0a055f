#pragma once
// Wall-clock seconds since the epoch: the time hit records, set headers, manifests and status carry.
#include <chrono>
#include <cstdint>

namespace dijk {

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The same clock in nanoseconds: the time a hit carries.
inline std::uint64_t unix_now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace dijk
