#include "service/rate_limiter.h"

#include <algorithm>

namespace vigil {

bool RateLimiter::Allow(const std::string& key, int* retry_after_seconds) {
  if (per_minute_ <= 0) return true;
  constexpr Instant kWindow = 60 * kMicrosPerSecond;
  WriteBatch b;
  b.now = clock_.Now();
  b.web.limit_hits.push_back({key, kWindow, per_minute_});
  Status counted = store_.Write(std::move(b)).status();
  if (counted.code() != Code::kRateLimited) return true;
  if (retry_after_seconds) {
    const Instant now = clock_.Now();
    Result<HitCount> hits = store_.CountHits(key, now - kWindow);
    const Instant free_at = hits.ok() && hits->count > 0 ? hits->oldest + kWindow : now + kWindow;
    *retry_after_seconds = static_cast<int>(
        std::max<Instant>(1, (free_at - now + kMicrosPerSecond - 1) / kMicrosPerSecond));
  }
  return false;
}

}  // namespace vigil
