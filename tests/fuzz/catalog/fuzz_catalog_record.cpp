// The catalog's record bytes come back from disk, where anything may have happened to them: whatever
// they hold, the decoder and the in-place view agree on what they accept, never read past the bytes,
// and what they accept encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "dataplane/catalog/catalog_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dijk::catalog;
  const std::span<const std::uint8_t> bytes(data, size);
  const auto record = decode_record(bytes);
  RecordView view;
  const bool viewed = view_record(bytes, view);
  if (record.has_value() != viewed) std::abort();
  if (record) {
    if (encode_record(*record) != std::vector<std::uint8_t>(data, data + size)) std::abort();
    if (view.digests != record->digests) std::abort();
    if ((view.pdq != nullptr) != record->pdq.has_value()) std::abort();
    if (view.pdq != nullptr && std::memcmp(view.pdq, record->pdq->bytes.data(), 32) != 0) std::abort();
  }
  if (const auto key = decode_key(bytes)) {
    const auto again = encode_key(*key);
    if (std::memcmp(again.data(), data, again.size()) != 0) std::abort();
  }
  return 0;
}
