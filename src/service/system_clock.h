// The production clock.
#pragma once

#include <chrono>

#include "core/time.h"

namespace vigil {

class SystemClock final : public Clock {
 public:
  Instant Now() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace vigil
