// TOTP secrets at rest: the sealed form and the key file (threat D3).
#include "service/totp_secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace vigil {
namespace {

const std::string kSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

TEST(TotpSecretBox, SealedSecretsOpenOnlyForTheirAccountAndKey) {
  TotpSecretBox box(std::string(TotpSecretBox::kKeyBytes, 'k'));
  const std::string sealed = box.Seal("amy@example.org", kSecret);
  EXPECT_TRUE(sealed.starts_with("v1:"));
  EXPECT_TRUE(TotpSecretBox::IsSealed(sealed));
  EXPECT_FALSE(TotpSecretBox::IsSealed(kSecret));
  EXPECT_EQ(sealed.find(kSecret), std::string::npos);
  EXPECT_NE(box.Seal("amy@example.org", kSecret), sealed);  // a fresh nonce each time
  EXPECT_EQ(box.Open("amy@example.org", sealed), kSecret);
  EXPECT_EQ(box.Open("bob@example.org", sealed), std::nullopt);  // swapped between accounts
  TotpSecretBox other(std::string(TotpSecretBox::kKeyBytes, 'o'));
  EXPECT_EQ(other.Open("amy@example.org", sealed), std::nullopt);  // another key
  std::string altered = sealed;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(box.Open("amy@example.org", altered), std::nullopt);
  EXPECT_EQ(box.Open("amy@example.org", kSecret), std::nullopt);  // clear is not sealed
  EXPECT_EQ(box.Open("amy@example.org", "v1:"), std::nullopt);
  EXPECT_EQ(box.Open("amy@example.org", "v1:!!!"), std::nullopt);
}

TEST(TotpSecretBox, KeyFileIsMadeOnceWithMode0600) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/totp.key";
  Result<std::string> made = LoadOrCreateTotpKey(path);
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_EQ(made->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  Result<std::string> again = LoadOrCreateTotpKey(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *made);
  EXPECT_NE(*LoadOrCreateTotpKey(dir.path() + "/other.key"), *made);
}

TEST(TotpSecretBox, AKeyFileOthersCanReadOrOfTheWrongSizeIsRefused) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/totp.key";
  ASSERT_TRUE(LoadOrCreateTotpKey(path).ok());
  ::chmod(path.c_str(), 0644);
  Result<std::string> wide = LoadOrCreateTotpKey(path);
  EXPECT_EQ(wide.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(wide.status().message(),
            path +
                ": the TOTP key file must be readable by its owner only (mode 0644); run "
                "chmod 600 " +
                path);
  ::chmod(path.c_str(), 0640);
  EXPECT_EQ(LoadOrCreateTotpKey(path).status().message(),
            path +
                ": the TOTP key file must be readable by its owner only (mode 0640); run "
                "chmod 600 " +
                path);
  ::chmod(path.c_str(), 0600);
  { std::ofstream(path, std::ios::app) << "x"; }
  EXPECT_EQ(LoadOrCreateTotpKey(path).status().message(),
            path +
                ": a TOTP key file holds exactly 32 bytes, this one has 33 (restore it from "
                "the backup)");
  { std::ofstream(path, std::ios::trunc); }
  EXPECT_EQ(LoadOrCreateTotpKey(path).status().message(),
            path +
                ": a TOTP key file holds exactly 32 bytes, this one has 0 (restore it from "
                "the backup)");
  std::filesystem::remove(path);
  std::filesystem::create_directory(path);
  EXPECT_EQ(LoadOrCreateTotpKey(path).status().message(), path + ": not a regular file");
}

}  // namespace
}  // namespace vigil
