#include "mail/openpgp.h"

#include <gtest/gtest.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <string>

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
  EXPECT_EQ(*b->Decrypt(*enc, 5), "hello");  // exactly at the cap
  EXPECT_EQ(b->Decrypt(*enc, 4).status().message(), "decrypted message is larger than 4 bytes");
  Result<std::string> wrong = a->Decrypt(*enc, 1 << 20);
  EXPECT_EQ(wrong.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(wrong.status().message().starts_with("message is encrypted to key "));
  EXPECT_EQ(a->Decrypt("garbage", 1 << 20).status().message(),
            "message is not a readable OpenPGP message");
  EXPECT_EQ(ProjectKey::Load(a->public_armored()).status().message(),
            "project key: not an OpenPGP secret key");
  EXPECT_EQ(*PublicKeyFingerprint(b->public_armored()), b->fingerprint());
  EXPECT_EQ(PublicKeyFingerprint("x").status().message(),
            "not an OpenPGP public key that can encrypt");
}

// PLAINTEXT encrypted to RECIPIENT_PUBLIC with zlib at level 9, as a hostile sender would make a
// compression bomb (gpg does the same with --compress-level 9); binary output.
std::string CompressedMessage(const std::string& plaintext, const std::string& recipient_public) {
  rnp_ffi_t ffi = nullptr;
  EXPECT_EQ(rnp_ffi_create(&ffi, "GPG", "GPG"), RNP_SUCCESS);
  rnp_input_t key = nullptr;
  rnp_input_from_memory(&key, reinterpret_cast<const uint8_t*>(recipient_public.data()),
                        recipient_public.size(), false);
  EXPECT_EQ(rnp_load_keys(ffi, "GPG", key, RNP_LOAD_SAVE_PUBLIC_KEYS), RNP_SUCCESS);
  rnp_input_destroy(key);
  rnp_input_t in = nullptr;
  rnp_input_from_memory(&in, reinterpret_cast<const uint8_t*>(plaintext.data()), plaintext.size(),
                        false);
  rnp_output_t out = nullptr;
  rnp_output_to_memory(&out, 0);
  rnp_op_encrypt_t op = nullptr;
  EXPECT_EQ(rnp_op_encrypt_create(&op, ffi, in, out), RNP_SUCCESS);
  rnp_identifier_iterator_t it = nullptr;
  const char* grip = nullptr;
  rnp_identifier_iterator_create(ffi, &it, "grip");
  while (rnp_identifier_iterator_next(it, &grip) == RNP_SUCCESS && grip) {
    rnp_key_handle_t k = nullptr;
    bool can = false;
    if (rnp_locate_key(ffi, "grip", grip, &k) == RNP_SUCCESS && k &&
        rnp_key_allows_usage(k, "encrypt", &can) == RNP_SUCCESS && can) {
      EXPECT_EQ(rnp_op_encrypt_add_recipient(op, k), RNP_SUCCESS);
    }
    rnp_key_handle_destroy(k);
  }
  rnp_identifier_iterator_destroy(it);
  EXPECT_EQ(rnp_op_encrypt_set_compression(op, "zlib", 9), RNP_SUCCESS);
  EXPECT_EQ(rnp_op_encrypt_execute(op), RNP_SUCCESS);
  rnp_op_encrypt_destroy(op);
  uint8_t* buf = nullptr;
  size_t len = 0;
  rnp_output_memory_get_buf(out, &buf, &len, false);
  std::string message(reinterpret_cast<const char*>(buf), len);
  rnp_output_destroy(out);
  rnp_input_destroy(in);
  rnp_ffi_destroy(ffi);
  return message;
}

TEST(OpenPgpTest, ACompressionBombIsStoppedAtTheCap) {
  Result<ProjectKey> key = ProjectKey::Generate("Project <security@example.org>");
  ASSERT_TRUE(key.ok());
  const std::string bomb = CompressedMessage(std::string(64 << 20, '\0'), key->public_armored());
  ASSERT_LT(bomb.size(), 200u << 10) << "not compressed";  // 64 MiB inflate from < 200 KiB
  Result<std::string> plain = key->Decrypt(bomb, 1 << 20);
  EXPECT_EQ(plain.status().code(), Code::kTooLarge);
  EXPECT_EQ(plain.status().message(), "decrypted message is larger than 1048576 bytes");
  // The same message under a cap it fits in is read whole.
  Result<std::string> whole = key->Decrypt(bomb, 64 << 20);
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  EXPECT_EQ(whole->size(), size_t{64} << 20);
}

}  // namespace
}  // namespace vigil::mail
