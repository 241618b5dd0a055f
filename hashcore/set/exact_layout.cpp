#include "hashcore/set/exact_layout.h"

#include <bit>

#include "hashcore/set/set_format.h"

namespace dijk::setfile {
namespace {
constexpr std::uint64_t align8(std::uint64_t v) {
  return (v + 7) & ~std::uint64_t{7};
}
}  // namespace

std::uint32_t choose_bucket_bits(std::uint64_t count) {
  if (count < 8) return 0;
  const auto log2 = static_cast<std::uint32_t>(std::bit_width(count) - 1);
  const std::uint32_t bits = log2 - 2;
  return bits > 30 ? 30 : bits;
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
