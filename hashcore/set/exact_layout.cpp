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
  std::uint32_t within_budget_bits = 0;
  bool any_within_budget = false;
  for (std::uint32_t bits = log2 > 4 ? log2 - 4 : 0; bits <= std::min<std::uint32_t>(log2 + 1, 30); ++bits) {
    if (exact_layout(digest_size, bits, count).section_length <= budget)
      any_within_budget = true, within_budget_bits = bits;  // the last is the largest
  }
  // Out of budget (small sets, where the bucket table weighs most): about four entries a bucket.
  return any_within_budget ? within_budget_bits : log2 - 2;
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
