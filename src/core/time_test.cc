#include "core/time.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(TimeTest, FormatAndParseRoundTrip) {
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(1'790'000'000LL * kMicrosPerSecond), "2026-09-21T14:13:20Z");
  EXPECT_EQ(FormatUtcMicros(1'790'000'000LL * kMicrosPerSecond + 42),
            "2026-09-21T14:13:20.000042Z");
  EXPECT_EQ(*ParseUtc("2026-09-21T14:13:20Z"), 1'790'000'000LL * kMicrosPerSecond);
  EXPECT_EQ(*ParseUtc("2026-09-21T16:13:20+02:00"), 1'790'000'000LL * kMicrosPerSecond);
  EXPECT_EQ(*ParseUtc("2026-09-21T14:13:20.5Z"), 1'790'000'000LL * kMicrosPerSecond + 500000);
  EXPECT_EQ(*ParseUtc("2024-02-29"), *ParseUtc("2024-02-29T00:00:00Z"));
  EXPECT_EQ(FormatUtc(-kMicrosPerSecond), "1969-12-31T23:59:59Z");
}

TEST(TimeTest, RejectsMalformed) {
  for (const char* bad : {"", "2026", "2026-13-01", "2026-02-30", "2025-02-29", "2026-09-21T14:13",
                          "2026-09-21T25:00:00Z", "2026-09-21T14:13:20", "2026-09-21T14:13:20Zx",
                          "2026-09-21T14:13:20+2:00"}) {
    Result<Instant> r = ParseUtc(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), std::string("invalid UTC time \"") + bad +
                                        "\": expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
  }
}

TEST(TimeTest, YearAndWeekday) {
  EXPECT_EQ(UtcYear(*ParseUtc("2026-12-31T23:59:59Z")), 2026);
  EXPECT_EQ(UtcYear(*ParseUtc("2027-01-01T00:00:00Z")), 2027);
  EXPECT_EQ(UtcWeekday(*ParseUtc("2026-11-27")), 5);  // a Friday
  EXPECT_EQ(UtcWeekday(0), 4);                        // 1970-01-01 was a Thursday
}

}  // namespace
}  // namespace vigil
