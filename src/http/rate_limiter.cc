#include "http/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace vigil {

bool RateLimiter::Allow(const std::string& key, int* retry_after_seconds) {
  if (per_minute_ <= 0) return true;
  const Instant now = clock_.Now();
  const double per_micro = per_minute_ / (60.0 * kMicrosPerSecond);
  std::lock_guard<std::mutex> lock(mu_);
  if (buckets_.size() > 100000) {
    // Forget full buckets so a flood of addresses cannot grow memory without bound.
    std::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.tokens + (now - kv.second.refilled_at) * per_micro >= per_minute_;
    });
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{static_cast<double>(per_minute_), now});
  Bucket& b = it->second;
  b.tokens = std::min<double>(per_minute_, b.tokens + (now - b.refilled_at) * per_micro);
  b.refilled_at = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_seconds) {
    *retry_after_seconds =
        std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / per_micro / kMicrosPerSecond)));
  }
  return false;
}

}  // namespace vigil
