#pragma once
// TCP sequence numbers compare modulo 2^32 (RFC 1982 serial arithmetic), so streams survive wraparound.
#include <cstdint>

namespace dijk::seq {

// Signed distance from `from` to `to`: positive when `to` is ahead.
constexpr std::int32_t diff(std::uint32_t to, std::uint32_t from) {
  return static_cast<std::int32_t>(to - from);
}
constexpr bool lt(std::uint32_t a, std::uint32_t b) {
  return diff(a, b) < 0;
}
constexpr bool le(std::uint32_t a, std::uint32_t b) {
  return diff(a, b) <= 0;
}

}  // namespace dijk::seq
