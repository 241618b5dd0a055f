#include "hashcore/set/exact_layout.h"

#include <algorithm>

#include "hashcore/set/set_format.h"

namespace dijk::setfile {

std::uint64_t planned_bucket_count(std::uint64_t count) {
  // 95 % of four slots: a two-choice table of four-slot buckets fills to about 98 % before insertions
  // start to fail, so this leaves room while keeping an MD5 entry under 17 bytes.
  return std::max<std::uint64_t>(1, (count * 100 + 379) / 380);
}

std::uint32_t dropped_bytes_for(std::uint64_t bucket_count) {
  std::uint32_t dropped = 0;
  while (dropped < 4 && (std::uint64_t{1} << (8 * (dropped + 1))) <= kMaxQuotientsPerBucket * bucket_count)
    ++dropped;
  return dropped;
}

ExactLayout exact_layout(std::uint32_t digest_size, std::uint64_t bucket_count) {
  ExactLayout l{};
  l.bucket_count = bucket_count;
  l.dropped_bytes = dropped_bytes_for(bucket_count);
  l.slot_size = kSlotTagBytes + digest_size - l.dropped_bytes;
  l.bucket_size = std::uint64_t{kSlotsPerBucket} * l.slot_size;
  l.buckets_offset = sizeof(ExactHeader);
  l.section_length = l.buckets_offset + bucket_count * l.bucket_size;
  return l;
}

bool SlotHashing::rebuild(std::uint64_t bucket, const std::uint8_t* slot, std::uint8_t* digest) const {
  const std::uint32_t key_bytes = 8 - dropped_;
  const std::uint8_t* rest = slot + kSlotTagBytes + key_bytes;
  const std::uint64_t first = (slot[2] & kSlotInSecondBucket) != 0 ? other_bucket(bucket, slot) : bucket;
  std::uint64_t key = stored_key(slot);
  if (dropped_ > 0) {
    // The quotients of the first bucket's keys start at that of its lowest key; the tag picks one.
    const auto lowest_key =
        static_cast<std::uint64_t>(((static_cast<uint128>(first) << 64) + buckets_ - 1) / buckets_);
    const std::uint64_t lowest = lowest_key >> (64 - 8 * dropped_);
    const std::uint64_t q = lowest + ((slot[2] - lowest) & kQuotientTagMask);
    key |= q << (64 - 8 * dropped_);
  }
  if (bucket_of(key) != first) return false;
  const std::uint64_t head = (key ^ rest_hash(rest)) * odd_inverse(kHeadMultiplier);
  for (int i = 0; i < 8; ++i) digest[i] = static_cast<std::uint8_t>(head >> (56 - 8 * i));
  std::memcpy(digest + 8, rest, digest_size_ - 8);
  return true;
}

}  // namespace dijk::setfile
