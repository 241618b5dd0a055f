#pragma once
// The straightforward way to compute PDQ, as the reference tool does: decode the whole image to RGB in
// fresh buffers, convert to float luma, filter with column passes that stride down the image, decimate,
// DCT. The benchmark's "before" figure; its hash is checked against ours so the comparison is fair.
#include <cstdint>
#include <optional>
#include <span>

#include "hashcore/pdq/pdq_hash.h"

namespace dijk::bench {

std::optional<PdqResult> naive_pdq(std::span<const std::uint8_t> file);

}  // namespace dijk::bench
