#include "http/rate_limiter.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(RateLimiterTest, BurstThenRefill) {
  FakeClock clock(0);
  RateLimiter limiter(clock, 60);  // one a second, burst 60
  int retry = 0;
  for (int i = 0; i < 60; ++i) EXPECT_TRUE(limiter.Allow("a", &retry));
  EXPECT_FALSE(limiter.Allow("a", &retry));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(limiter.Allow("b", &retry));
  clock.Advance(kMicrosPerSecond);
  EXPECT_TRUE(limiter.Allow("a", &retry));
  EXPECT_FALSE(limiter.Allow("a", &retry));
}

TEST(RateLimiterTest, ZeroDisables) {
  FakeClock clock(0);
  RateLimiter limiter(clock, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Allow("a", nullptr));
}

}  // namespace
}  // namespace vigil
