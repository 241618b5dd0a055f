#pragma once
// Requests a second per client, as a token bucket per client key (a token's name, or a uid on the unix
// socket): a client may burst up to one second's worth, then gets `rate` a second. Thread-safe.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace dijk::check {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(std::uint32_t per_second) : rate_(per_second) {}

  // True if the client may make one more request at `now` (and takes it).
  bool allow(const std::string& client, Clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
  };
  // Buckets idle long enough to be full again carry no state: dropped when the map grows.
  void prune(Clock::time_point now);

  double rate_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace dijk::check
