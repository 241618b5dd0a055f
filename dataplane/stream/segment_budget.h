#pragma once
// The worker-wide cap on memory held for out-of-order segments. Every stored segment takes its payload
// plus a fixed overhead from here and gives it back when delivered or discarded.
#include <cstdint>

namespace dijk {

class SegmentBudget {
 public:
  // What one stored segment costs beyond its payload (vector header, allocator rounding).
  static constexpr std::uint64_t kPerSegmentOverhead = 64;

  explicit SegmentBudget(std::uint64_t cap_bytes) : cap_(cap_bytes) {}
  bool try_take(std::uint64_t n) {
    if (n > cap_ - used_) return false;
    used_ += n;
    if (used_ > peak_) peak_ = used_;
    return true;
  }
  void give(std::uint64_t n) { used_ -= n; }
  std::uint64_t used() const { return used_; }
  std::uint64_t peak() const { return peak_; }
  std::uint64_t cap() const { return cap_; }

 private:
  std::uint64_t cap_;
  std::uint64_t used_ = 0;
  std::uint64_t peak_ = 0;
};

}  // namespace dijk
