// Hostile snapshot and delta files: decoding must refuse with FeedFormatError within its caps, never crash
// or over-allocate; what decodes must apply to a set without incident.
#include <cstdint>
#include <span>

#include "control/feed/content.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dijk::feed;
  const std::span<const std::uint8_t> bytes(data, size);
  ContentLimits limits;
  limits.max_entries = 1u << 20;
  try {
    (void)decode_header(bytes, limits);
  } catch (const FeedFormatError&) {
  }
  try {
    SetContents c = decode_snapshot(bytes, limits);
    (void)c.exact_count();
  } catch (const FeedFormatError&) {
  }
  try {
    const Delta d = decode_delta(bytes, limits);
    SetContents base;
    base.lists.push_back({"l", "c"});
    apply_delta(base, d);
  } catch (const FeedFormatError&) {
  }
  return 0;
}
