#pragma once
// Fills the buckets of an exact-hash section: each digest goes to one of its two buckets, moving earlier
// ones to their other bucket when both are full (random-walk cuckoo insertion). Writer side only.
#include <cstdint>
#include <vector>

#include "hashcore/set/exact_layout.h"

namespace dijk::setfile {

class SlotPlacement {
 public:
  SlotPlacement(const ExactLayout& layout, const SlotHashing& hashing, std::uint8_t* buckets,
                std::uint64_t random_seed);

  // Stores the digest with its list index; false if no place was found within the move budget (the table
  // is too full for this seed: the caller starts over with another seed or more buckets).
  bool insert(const std::uint8_t* digest, std::uint16_t list_index);
  // The slot holding the digest, or null (merging an overlay into a copy of a built table).
  std::uint8_t* find(const std::uint8_t* digest);

 private:
  std::uint8_t* slot(std::uint64_t bucket, std::uint32_t i) const {
    return buckets_ + layout_.slot_offset(bucket, i);
  }
  // Puts `image` (flags telling whether `bucket` is its second one) in a free slot of `bucket`.
  bool put_if_free(std::uint64_t bucket, const std::uint8_t* image);
  std::uint32_t next_random();

  ExactLayout layout_;
  SlotHashing hashing_;
  std::uint8_t* buckets_;
  std::uint64_t random_;
  std::vector<std::uint8_t> moving_;  // the slot being placed
  std::vector<std::uint8_t> evicted_;
};

}  // namespace dijk::setfile
