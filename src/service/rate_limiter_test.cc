// The rate limiter counts in the store: two limiters on one store (two instances on one
// database) share the limit, on every engine the service tests run on.
#include "service/rate_limiter.h"

#include <gtest/gtest.h>

#include "support/service_fixture.h"

namespace vigil {
namespace {

class RateLimiterTest : public testing::ServiceFixture {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenServices()); }
};

TEST_F(RateLimiterTest, AKeyMakesPerMinuteRequestsInAnySixtySeconds) {
  RateLimiter limiter(*store_, clock_, 3);
  int retry = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.Allow("a", &retry));
    clock_.Advance(10 * kMicrosPerSecond);
  }
  // Hits at 0, 10 and 20 s; now 30 s: the first one stops counting at 60 s.
  EXPECT_FALSE(limiter.Allow("a", &retry));
  EXPECT_EQ(retry, 30);
  EXPECT_TRUE(limiter.Allow("b", &retry));  // another key has its own count
  clock_.Advance(30 * kMicrosPerSecond);
  EXPECT_TRUE(limiter.Allow("a", &retry));
  EXPECT_FALSE(limiter.Allow("a", &retry));
  EXPECT_EQ(retry, 10);
}

TEST_F(RateLimiterTest, TwoInstancesOnOneDatabaseShareTheLimit) {
  RateLimiter one(*store_, clock_, 4);
  RateLimiter other(*store_, clock_, 4);
  int retry = 0;
  EXPECT_TRUE(one.Allow("submit:192.0.2.7", &retry));
  EXPECT_TRUE(other.Allow("submit:192.0.2.7", &retry));
  EXPECT_TRUE(one.Allow("submit:192.0.2.7", &retry));
  EXPECT_TRUE(other.Allow("submit:192.0.2.7", &retry));
  EXPECT_FALSE(one.Allow("submit:192.0.2.7", &retry));
  EXPECT_FALSE(other.Allow("submit:192.0.2.7", &retry));
  EXPECT_EQ(retry, 60);
}

TEST_F(RateLimiterTest, ZeroDisables) {
  RateLimiter limiter(*store_, clock_, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Allow("a", nullptr));
  EXPECT_EQ(store_->CountHits("a", 0)->count, 0);
}

}  // namespace
}  // namespace vigil
