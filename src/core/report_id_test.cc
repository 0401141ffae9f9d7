#include "core/report_id.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(ReportIdTest, FormatAndShape) {
  EXPECT_EQ(FormatReportId("SEC", 2026, 42), "SEC-2026-0042");
  EXPECT_EQ(FormatReportId("VIGIL2", 2027, 12345), "VIGIL2-2027-12345");
  EXPECT_TRUE(IsWellFormedReportId("SEC-2026-0042"));
  EXPECT_TRUE(IsWellFormedReportId("SEC-2026-12345"));
  for (const char* bad : {"", "SEC", "sec-2026-0042", "SEC-26-0042", "SEC-2026-042",
                          "SEC-2026-00x2", "SEC-2026-0042/..", "-2026-0042", "SEC_X-2026-0001"}) {
    EXPECT_FALSE(IsWellFormedReportId(bad)) << bad;
  }
}

TEST(ReportIdTest, Prefix) {
  EXPECT_TRUE(ValidateIdPrefix("SEC").ok());
  EXPECT_TRUE(ValidateIdPrefix("A1").ok());
  EXPECT_EQ(ValidateIdPrefix("sec").message(),
            "id prefix \"sec\" must be 1 to 16 upper-case letters and digits, starting with a "
            "letter");
  EXPECT_FALSE(ValidateIdPrefix("").ok());
  EXPECT_FALSE(ValidateIdPrefix("1SEC").ok());
  EXPECT_FALSE(ValidateIdPrefix("ABCDEFGHIJKLMNOPQ").ok());
}

}  // namespace
}  // namespace vigil
