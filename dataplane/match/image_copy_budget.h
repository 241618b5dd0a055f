#pragma once
// How many image bytes one worker may hold in copies at once, and how large one copy may grow. The wire
// path copies images for the PDQ stage while their uploads are still arriving, so a flood of large
// uploads must not grow memory without bound; a file scan keeps one image per file in flight.
#include <cstdint>
#include <limits>

namespace dijk::match {

class ImageCopyBudget {
 public:
  ImageCopyBudget(std::uint64_t max_per_file,
                  std::uint64_t max_total = std::numeric_limits<std::uint64_t>::max())
      : max_per_file_(max_per_file), max_total_(max_total) {}

  std::uint64_t max_per_file() const { return max_per_file_; }
  // Takes n more bytes for a copy if the worker-wide cap allows; false leaves the budget unchanged.
  bool try_take(std::uint64_t n) {
    if (n > max_total_ - used_) return false;
    used_ += n;
    return true;
  }
  void give_back(std::uint64_t n) { used_ -= n; }
  std::uint64_t used() const { return used_; }

 private:
  std::uint64_t max_per_file_;
  std::uint64_t max_total_;
  std::uint64_t used_ = 0;
};

}  // namespace dijk::match
