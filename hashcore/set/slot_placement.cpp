#include "hashcore/set/slot_placement.h"

#include <cstring>
#include <utility>

namespace dijk::setfile {
namespace {
// Moves one insertion may make before the attempt is given up. At 95 % load an insertion makes a few
// moves on average; a budget this size fails only for a table that cannot be filled.
constexpr int kMaxMoves = 2000;
}  // namespace

SlotPlacement::SlotPlacement(const ExactLayout& layout, const SlotHashing& hashing, std::uint8_t* buckets,
                             std::uint64_t random_seed)
    : layout_(layout),
      hashing_(hashing),
      buckets_(buckets),
      random_(random_seed | 1),
      moving_(layout.slot_size),
      evicted_(layout.slot_size) {}

std::uint32_t SlotPlacement::next_random() {
  random_ ^= random_ << 13;
  random_ ^= random_ >> 7;
  random_ ^= random_ << 17;
  return static_cast<std::uint32_t>(random_ >> 32);
}

bool SlotPlacement::put_if_free(std::uint64_t bucket, const std::uint8_t* image) {
  for (std::uint32_t i = 0; i < kSlotsPerBucket; ++i) {
    std::uint8_t* s = slot(bucket, i);
    if ((s[2] & kSlotOccupied) == 0) {
      std::memcpy(s, image, layout_.slot_size);
      return true;
    }
  }
  return false;
}

bool SlotPlacement::insert(const std::uint8_t* digest, std::uint16_t list_index) {
  const SlotAddress address = hashing_.address(digest);
  std::uint8_t* image = moving_.data();
  std::memcpy(image, &list_index, sizeof list_index);
  hashing_.write_slot(digest, address, image);
  if (put_if_free(address.first_bucket, image)) return true;
  image[2] |= kSlotInSecondBucket;
  if (put_if_free(address.second_bucket, image)) return true;

  // Both full: take a random slot of the second bucket, and carry its occupant to its other bucket.
  std::uint64_t bucket = address.second_bucket;
  for (int move = 0; move < kMaxMoves; ++move) {
    std::uint8_t* victim = slot(bucket, next_random() % kSlotsPerBucket);
    std::memcpy(evicted_.data(), victim, layout_.slot_size);
    std::memcpy(victim, image, layout_.slot_size);
    std::swap(moving_, evicted_);
    image = moving_.data();
    bucket = hashing_.other_bucket(bucket, image);
    image[2] ^= kSlotInSecondBucket;
    if (put_if_free(bucket, image)) return true;
  }
  return false;
}

std::uint8_t* SlotPlacement::find(const std::uint8_t* digest) {
  const SlotAddress address = hashing_.address(digest);
  std::uint8_t* image = moving_.data();
  hashing_.write_slot(digest, address, image);
  // A slot holds the digest when everything after its list index matches the image, with the
  // second-bucket flag as the bucket says.
  for (const auto& [bucket, second] :
       {std::pair{address.first_bucket, false}, std::pair{address.second_bucket, true}}) {
    image[2] =
        static_cast<std::uint8_t>(second ? image[2] | kSlotInSecondBucket : image[2] & ~kSlotInSecondBucket);
    for (std::uint32_t i = 0; i < kSlotsPerBucket; ++i) {
      std::uint8_t* s = slot(bucket, i);
      if ((s[2] & kSlotOccupied) != 0 && std::memcmp(s + 2, image + 2, layout_.slot_size - 2) == 0) return s;
    }
  }
  return nullptr;
}

}  // namespace dijk::setfile
