// Requests per minute per key (an address, a token), counted in the store: every instance on
// one database enforces the same limit. A sliding window: a key may make PER_MINUTE requests in
// any 60 seconds.
#pragma once

#include <string>

#include "core/time.h"
#include "store/store.h"

namespace vigil {

class RateLimiter {
 public:
  /// PER_MINUTE == 0 disables the limit (nothing is written). STORE and CLOCK must outlive the
  /// limiter. Thread-safe.
  RateLimiter(Store& store, const Clock& clock, int per_minute)
      : store_(store), clock_(clock), per_minute_(per_minute) {}

  /// Counts one request for KEY; false when KEY already made PER_MINUTE in the last minute, with
  /// *RETRY_AFTER_SECONDS set to when the oldest of them stops counting (at least 1). A store
  /// that cannot be written lets the request through: it meets the same store next.
  bool Allow(const std::string& key, int* retry_after_seconds);

 private:
  Store& store_;
  const Clock& clock_;
  const int per_minute_;
};

}  // namespace vigil
