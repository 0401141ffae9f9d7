#include "mail/mail_address.h"

#include <gtest/gtest.h>

namespace vigil::mail {
namespace {

TEST(MailAddressTest, SecurityRecipients) {
  SecurityAddress a;
  EXPECT_EQ(MatchSecurityRecipient("Security@EXAMPLE.org", a), "");
  EXPECT_EQ(MatchSecurityRecipient("security+sec-2026-0042@example.org", a), "SEC-2026-0042");
  EXPECT_EQ(MatchSecurityRecipient("security+nope@example.org", a), std::nullopt);
  EXPECT_EQ(MatchSecurityRecipient("security@other.org", a), std::nullopt);
  EXPECT_EQ(MatchSecurityRecipient("alice@example.org", a), std::nullopt);
  EXPECT_EQ(SubjectReportTag("Re: [PATCH] [SEC-2026-0001] fix"), "SEC-2026-0001");
  EXPECT_EQ(SubjectReportTag("[PATCH 1/2] fix"), "");
}

}  // namespace
}  // namespace vigil::mail
