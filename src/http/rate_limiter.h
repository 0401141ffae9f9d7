// A token bucket per client address: RATE requests per minute with a burst of RATE.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "core/time.h"

namespace vigil {

class RateLimiter {
 public:
  /// PER_MINUTE == 0 disables the limit. CLOCK must outlive the limiter. Thread-safe.
  RateLimiter(const Clock& clock, int per_minute) : clock_(clock), per_minute_(per_minute) {}

  /// Takes one token for KEY; false when the bucket is empty. *RETRY_AFTER_SECONDS is set to
  /// when the next token is due.
  bool Allow(const std::string& key, int* retry_after_seconds);

 private:
  struct Bucket {
    double tokens;
    Instant refilled_at;
  };
  const Clock& clock_;
  const int per_minute_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace vigil
