// Any bytes as an Ethernet frame: the decoder must never read outside the span, and a TCP result must
// point inside it. Both the first decode and the "reassembled" path are exercised.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dataplane/decode/frame_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dijk::wire::DecodeCounters counters;
  const std::span<const std::uint8_t> frame(data, size);
  for (bool reassembled : {false, true}) {
    const auto d = dijk::wire::decode_frame(frame, 0, counters, reassembled);
    if (d.status == dijk::wire::DecodeStatus::tcp) {
      const auto& p = d.segment.payload;
      if (!p.empty() && (p.data() < data || p.data() + p.size() > data + size)) std::abort();
    }
    if (d.status == dijk::wire::DecodeStatus::dropped && d.reason == dijk::wire::DecodeDrop::count_)
      std::abort();
  }
  if (counters.frames != 1) std::abort();
  return 0;
}
