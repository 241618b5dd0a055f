#include "hashcore/set/exact_layout.h"

#include <algorithm>
#include <bit>

#include "hashcore/set/set_format.h"

namespace dijk::setfile {
namespace {
constexpr std::uint64_t align8(std::uint64_t v) {
  return (v + 7) & ~std::uint64_t{7};
}
}  // namespace

std::uint32_t choose_bucket_bits(std::uint32_t digest_size, std::uint64_t count) {
  if (count < 8) return 0;
  const auto log2 = static_cast<std::uint32_t>(std::bit_width(count) - 1);
  const std::uint64_t budget = count * (digest_size + 1);
  // From the most buckets down: the first within budget has the smallest buckets that fit.
  const int lowest = static_cast<int>(log2) - 4;
  for (int bits = std::min(static_cast<int>(log2) + 1, 30); bits >= std::max(lowest, 0); --bits) {
    const auto b = static_cast<std::uint32_t>(bits);
    if (exact_layout(digest_size, b, count).section_length <= budget) return b;
  }
  // Out of budget (small sets, where the bucket table weighs most): about four entries a bucket.
  return std::min<std::uint32_t>(log2 - 2, 30);
}

ExactLayout exact_layout(std::uint32_t digest_size, std::uint32_t bucket_bits, std::uint64_t count) {
  ExactLayout l{};
  l.bucket_bits = bucket_bits;
  l.dropped_bytes = bucket_bits / 8;
  l.suffix_size = digest_size - l.dropped_bytes;
  l.buckets_offset = sizeof(ExactHeader);
  l.suffix_offset =
      align8(l.buckets_offset + ((std::uint64_t{1} << bucket_bits) + 1) * sizeof(std::uint32_t));
  l.list_offset = align8(l.suffix_offset + count * l.suffix_size);
  l.section_length = l.list_offset + count * sizeof(std::uint16_t);
  return l;
}

}  // namespace dijk::setfile
