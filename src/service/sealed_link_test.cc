#include "service/sealed_link.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(SealedLinkTest, ALinkOpensOnlyForItsReportAndRecipient) {
  const TotpSecretBox box(std::string(TotpSecretBox::kKeyBytes, '\x42'));
  const std::string token = "vgc_0123456789abcdefABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";
  const std::string sealed = SealLink(box, "SEC-2026-0001", "rita@example.org", token);
  ASSERT_TRUE(sealed.starts_with(kSealedLinkMarker));
  EXPECT_EQ(sealed.find(token), std::string::npos);
  EXPECT_NE(SealLink(box, "SEC-2026-0001", "rita@example.org", token), sealed);  // fresh nonce

  const std::string text = "Your link:\n\nhttps://v.example/track/" + sealed + "\n\nThanks.\n";
  EXPECT_TRUE(HasSealedLink(text));
  Result<std::string> opened = OpenSealedLinks(box, "SEC-2026-0001", "rita@example.org", text);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "Your link:\n\nhttps://v.example/track/" + token + "\n\nThanks.\n");
  EXPECT_FALSE(HasSealedLink(*opened));

  // Bound: another report, another recipient, another key, an altered byte.
  EXPECT_FALSE(OpenSealedLinks(box, "SEC-2026-0002", "rita@example.org", text).ok());
  EXPECT_FALSE(OpenSealedLinks(box, "SEC-2026-0001", "mallory@example.org", text).ok());
  const TotpSecretBox other(std::string(TotpSecretBox::kKeyBytes, '\x43'));
  EXPECT_FALSE(OpenSealedLinks(other, "SEC-2026-0001", "rita@example.org", text).ok());
  // Another base64 character in the middle: still well-formed, one decoded byte differs.
  std::string altered = text;
  char& c = altered[altered.find(kSealedLinkMarker) + kSealedLinkMarker.size() + 3 + 40];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(OpenSealedLinks(box, "SEC-2026-0001", "rita@example.org", altered).status().code(),
            Code::kInvalidArgument);
  // Never a TOTP secret: the same box does not open it as the recipient's.
  EXPECT_FALSE(box.Open("rita@example.org", sealed.substr(kSealedLinkMarker.size())).has_value());

  EXPECT_EQ(HideSealedLinks(text, "<hidden>"),
            "Your link:\n\nhttps://v.example/track/<hidden>\n\nThanks.\n");
  EXPECT_EQ(HideSealedLinks("no link", "<hidden>"), "no link");
}

}  // namespace
}  // namespace vigil
