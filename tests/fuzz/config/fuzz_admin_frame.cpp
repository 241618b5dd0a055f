// Hostile bytes on the admin socket: the frame decoder and request parser must refuse cleanly, never
// buffer more than one frame's worth, never crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/admin/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dijk::admin::FrameDecoder decoder;
  // Feed in uneven pieces, as a socket would deliver them.
  std::size_t at = 0;
  std::string payload;
  for (std::size_t piece = 1; at < size; piece = piece * 3 % 17 + 1) {
    const std::size_t n = std::min(piece, size - at);
    decoder.feed(reinterpret_cast<const char*>(data) + at, n);
    at += n;
    for (;;) {
      const auto status = decoder.next(payload);
      if (status == dijk::admin::FrameDecoder::Status::kNeedMore) break;
      if (status == dijk::admin::FrameDecoder::Status::kError) {
        if (decoder.error().empty() || decoder.buffered() != 0) std::abort();
        return 0;
      }
      if (payload.size() > dijk::admin::kMaxFrameBytes) std::abort();
      std::string why;
      const auto request = dijk::admin::parse_request(payload, why);
      if (!request && why.empty()) std::abort();
      if (request) {
        // What parses must round-trip through the encoder.
        std::string again_why;
        const auto again = dijk::admin::parse_request(dijk::admin::encode_request(*request), again_why);
        if (!again || again->verb != request->verb) std::abort();
      }
    }
    if (decoder.buffered() > dijk::admin::kMaxFrameBytes + dijk::admin::kFrameHeaderBytes + 17) std::abort();
  }
  return 0;
}
