#include "mail/openpgp.h"

#include <gtest/gtest.h>

namespace vigil::mail {
namespace {

TEST(OpenPgpTest, RoundTripBetweenTwoProjectKeys) {
  Result<ProjectKey> a = ProjectKey::Generate("A <a@example.org>");
  Result<ProjectKey> b = ProjectKey::Generate("B <b@example.org>");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->fingerprint().size(), 40u);
  Result<ProjectKey> again = ProjectKey::Load(a->secret_armored());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->fingerprint(), a->fingerprint());
  Result<std::string> enc = a->EncryptAndSign("hello", b->public_armored());
  ASSERT_TRUE(enc.ok()) << enc.status().message();
  EXPECT_EQ(*b->Decrypt(*enc), "hello");
  Result<std::string> wrong = a->Decrypt(*enc);
  EXPECT_EQ(wrong.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(wrong.status().message().starts_with("message is encrypted to key "));
  EXPECT_EQ(a->Decrypt("garbage").status().message(), "message is not a readable OpenPGP message");
  EXPECT_EQ(ProjectKey::Load(a->public_armored()).status().message(),
            "project key: not an OpenPGP secret key");
  EXPECT_EQ(*PublicKeyFingerprint(b->public_armored()), b->fingerprint());
  EXPECT_EQ(PublicKeyFingerprint("x").status().message(),
            "not an OpenPGP public key that can encrypt");
}

}  // namespace
}  // namespace vigil::mail
