#include "mail/outgoing_mail.h"

#include <gtest/gtest.h>

namespace vigil::mail {
namespace {

TEST(OutgoingMailTest, HeadersCannotBeInjectedAndBodyIsQuotedPrintable) {
  OutgoingMail m;
  m.from_name = "Example security";
  m.from_address = "security@example.org";
  m.to = "carl@example.org";
  m.reply_to = "security+SEC-2026-0001@example.org";
  m.subject = "[SEC-2026-0001] Hi\r\nBcc: evil@x.org";
  m.message_id = "vigil-outbox-1-0@example.org";
  m.date = 0;
  m.body = ".leading dot\ncaf\xc3\xa9 = ok";
  const std::string out = ComposeMessage(m);
  EXPECT_NE(out.find("Subject: [SEC-2026-0001] Hi  Bcc: evil@x.org\r\n"), std::string::npos);
  EXPECT_EQ(out.find("\r\nBcc:"), std::string::npos);
  EXPECT_NE(out.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(out.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n=2Eleading dot\r\ncaf=C3=A9 =3D ok\r\n")) << out;
}

}  // namespace
}  // namespace vigil::mail
