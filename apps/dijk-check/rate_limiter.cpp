#include "apps/dijk-check/rate_limiter.h"

#include <algorithm>

namespace dijk::check {

namespace {
constexpr std::size_t kPruneAbove = 4096;  // clients tracked before idle ones are dropped
}

bool RateLimiter::allow(const std::string& client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(client);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = rate_;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(rate_, b.tokens + std::max(0.0, elapsed) * rate_);
  }
  b.last = now;
  if (fresh && buckets_.size() > kPruneAbove) prune(now);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void RateLimiter::prune(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double idle = std::chrono::duration<double>(now - it->second.last).count();
    if (idle * rate_ >= rate_) {  // a second or more idle: full again
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace dijk::check
