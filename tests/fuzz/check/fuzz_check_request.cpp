// The check API's request bodies (apps/dijk-check/request_body): a POST /v1/check body as multipart or raw,
// fed in pieces of varying size, the POST /v1/hashes list and the POST /v1/pdq query. The first byte picks
// the parser and the piece size; the rest is the body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "apps/dijk-check/request_body.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::span<const std::uint8_t> body(data + 1, size - 1);
  const std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
  switch (selector % 4) {
    case 0:
    case 1: {
      const bool multipart = selector % 4 == 0;
      dijk::check::UploadBody upload(multipart ? "multipart/form-data; boundary=XyZ" : "image/jpeg",
                                     /*max_bytes=*/4096);
      const std::size_t piece = 1u + static_cast<std::size_t>(selector >> 2);
      for (std::size_t at = 0; at < body.size(); at += piece) {
        upload.feed(body.subspan(at, std::min(piece, body.size() - at)));
      }
      const auto status = upload.finish();
      if (status == dijk::check::UploadBody::Status::ok && upload.file().size() > 4096) __builtin_trap();
      break;
    }
    case 2: {
      const auto r = dijk::check::parse_hash_list(text, 64);
      if (r.error.empty() && r.hashes.size() > 64) __builtin_trap();
      for (const auto& q : r.hashes) {
        if (q.error.empty() && (!q.algorithm || q.digest().size() != dijk::digest_size(*q.algorithm)))
          __builtin_trap();
      }
      break;
    }
    default: {
      const auto r = dijk::check::parse_pdq_request(text);
      if (r.error.empty() && (r.threshold < 0 || r.threshold > 64)) __builtin_trap();
      break;
    }
  }
  return 0;
}
