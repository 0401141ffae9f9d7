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
  EXPECT_EQ(MatchSecurityRecipient("security+SEC-2026-0042.k3x9@example.org", a), "SEC-2026-0042");
  EXPECT_EQ(MatchSecurityRecipient("security+SEC-2026-0042.@example.org", a), std::nullopt);
  EXPECT_EQ(MatchSecurityRecipient("security+SEC-2026-0042.a.b.c@example.org", a), std::nullopt);
  EXPECT_EQ(SubjectReportTag("Re: [PATCH] [SEC-2026-0001] fix"), "SEC-2026-0001");
  EXPECT_EQ(SubjectReportTag("[PATCH 1/2] fix"), "");
}

TEST(MailAddressTest, TaggedRecipientsAreTakenApart) {
  SecurityAddress a;
  std::optional<SecurityRecipient> reply =
      ParseSecurityRecipient("Security+sec-2026-0042.AbC234@example.org", a);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->report_id, "SEC-2026-0042");
  EXPECT_EQ(reply->tag, "abc234");
  EXPECT_EQ(reply->outbox_id, 0);
  std::optional<SecurityRecipient> bounce =
      ParseSecurityRecipient("security+SEC-2026-0042.b17.q7q7@example.org", a);
  ASSERT_TRUE(bounce);
  EXPECT_EQ(bounce->outbox_id, 17);
  EXPECT_EQ(bounce->tag, "q7q7");
  ASSERT_TRUE(ParseSecurityRecipient("security@example.org", a));
  EXPECT_EQ(ParseSecurityRecipient("security@example.org", a)->report_id, "");
  for (const char* bad :
       {"security+SEC-2026-0042.b0.q7@example.org", "security+SEC-2026-0042.x17.q7@example.org",
        "security+SEC-2026-0042.b.q7@example.org", "security+SEC-2026-0042.b17.@example.org",
        "security+SEC-2026-0042.b1234567890123456789.q7@example.org",
        "security+SEC-2026-0042.q-7@example.org", "security+SEC-2026.q7@example.org"}) {
    EXPECT_EQ(ParseSecurityRecipient(bad, a), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace vigil::mail
