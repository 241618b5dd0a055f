#include "apps/dijk-check/rate_limiter.h"

#include <gtest/gtest.h>

namespace dijk::check {
namespace {

TEST(RateLimiter, BurstOfOneSecondThenTheRate) {
  RateLimiter limiter(3);
  const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("web", t0));
  EXPECT_FALSE(limiter.allow("web", t0));
  EXPECT_TRUE(limiter.allow("other", t0));  // per client
  EXPECT_FALSE(limiter.allow("web", t0 + std::chrono::milliseconds(100)));
  EXPECT_TRUE(limiter.allow("web", t0 + std::chrono::milliseconds(400)));  // 1.2 tokens back, 1 spent
  EXPECT_FALSE(limiter.allow("web", t0 + std::chrono::milliseconds(450)));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("web", t0 + std::chrono::seconds(10)));  // full again
  EXPECT_FALSE(limiter.allow("web", t0 + std::chrono::seconds(10)));
}

}  // namespace
}  // namespace dijk::check
