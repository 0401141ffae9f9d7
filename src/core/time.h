// UTC instants and the Clock seam. An Instant is microseconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil {

using Instant = int64_t;
constexpr Instant kMicrosPerSecond = 1'000'000;
constexpr Instant kMicrosPerDay = 86'400 * kMicrosPerSecond;

/// "2026-11-27T15:00:00Z": second precision, always UTC.
std::string FormatUtc(Instant t);
/// "2026-11-27T15:00:00.123456Z": microsecond precision, for events.
std::string FormatUtcMicros(Instant t);
/// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.frac]]Z" or with a "+HH:MM"/"-HH:MM" offset.
Result<Instant> ParseUtc(std::string_view text);
/// Days since 1970-01-01 of the proleptic Gregorian date Y-M-D (M 1..12, D 1..31).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
/// The UTC calendar year of T.
int UtcYear(Instant t);
/// Day of week of T in UTC, 0 = Sunday.
int UtcWeekday(Instant t);

/// The time source. Production reads the system clock; tests drive a FakeClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

/// A clock that moves only when told to. Not thread-safe against concurrent Advance().
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Instant start) : now_(start) {}
  Instant Now() const override { return now_; }
  void Advance(Instant by) { now_ += by; }
  void Set(Instant t) { now_ = t; }

 private:
  Instant now_;
};

}  // namespace vigil
