#pragma once
// Exponential backoff with "equal jitter": each delay is half the current step fixed and half random, and
// the step doubles up to a cap, so many appliances coming back after an inbox outage do not all retry in
// the same instant. One per delivery loop.
#include <algorithm>
#include <chrono>
#include <random>

namespace dijk::reporter {

class RetryBackoff {
 public:
  RetryBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), step_(initial), rng_(std::random_device{}()) {}

  // The delay before the next attempt after a failure; the step after it is twice as long.
  std::chrono::milliseconds next_delay() {
    const auto half = step_.count() / 2;
    std::uniform_int_distribution<long long> jitter(0, half);
    const std::chrono::milliseconds delay(half + jitter(rng_));
    step_ = std::min(step_ * 2, max_);
    return delay;
  }
  // A success: the next failure starts from the initial step again.
  void reset() { step_ = initial_; }

 private:
  std::chrono::milliseconds initial_, max_, step_;
  std::mt19937_64 rng_;
};

}  // namespace dijk::reporter
