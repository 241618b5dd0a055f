// Hostile journal bytes (a damaged disk, a torn write): frame checks and payload decoding must reject
// anything malformed without reading out of bounds. Each input is tried as a run of frames (as recovery
// scans a segment), as a bare payload, and re-framed with a correct CRC so the fuzzer reaches the decoder.
#include <cstdint>
#include <span>
#include <vector>

#include "control/journal/record.h"

using namespace dijk::journal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  std::size_t at = 0;
  while (true) {
    const FrameCheck c = check_frame(in.subspan(at));
    if (c.status != FrameStatus::ok) break;
    (void)decode_payload(in.subspan(at + kFrameHeaderSize, c.payload_size));
    at += kFrameHeaderSize + c.payload_size;
  }
  if (auto r = decode_payload(in)) {
    // Whatever decodes must encode again to a frame that decodes to the same fields.
    std::vector<std::uint8_t> again;
    append_framed_record(r->hit, r->appliance_id, again);
    const FrameCheck c = check_frame(again);
    if (c.status != FrameStatus::ok) __builtin_trap();
    const auto r2 = decode_payload(std::span<const std::uint8_t>(again).subspan(kFrameHeaderSize));
    if (!r2 || r2->hit.hash != r->hit.hash || r2->hit.uri != r->hit.uri ||
        r2->appliance_id != r->appliance_id) {
      __builtin_trap();
    }
  }
  return 0;
}
