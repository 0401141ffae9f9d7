#include "mail/maildir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "support/temp_dir.h"

namespace vigil::mail {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().string());
  return out;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(MaildirTest, EachMailIsOneFileInNewWithTheEnvelopeOnTop) {
  testing::TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  const std::string dir = tmp.path() + "/mail";
  ASSERT_TRUE(DeliverToMaildir(dir, "security+x@example.org", "rita@example.org",
                               "Subject: one\r\n\r\nbody\r\nline two\r\n")
                  .ok());
  ASSERT_TRUE(
      DeliverToMaildir(dir, "security@example.org", "bob@example.org", "Subject: two\n\nsecond\n")
          .ok());
  EXPECT_TRUE(Files(dir + "/tmp").empty());
  EXPECT_TRUE(Files(dir + "/cur").empty());
  std::vector<std::string> mails = Files(dir + "/new");
  ASSERT_EQ(mails.size(), 2u);
  std::sort(mails.begin(), mails.end(),
            [](const std::string& a, const std::string& b) { return Read(a) < Read(b); });
  EXPECT_EQ(Read(mails[0]),
            "Return-Path: <security+x@example.org>\nDelivered-To: rita@example.org\n"
            "Subject: one\n\nbody\nline two\n");
  EXPECT_EQ(Read(mails[1]),
            "Return-Path: <security@example.org>\nDelivered-To: bob@example.org\n"
            "Subject: two\n\nsecond\n");
  struct stat st {};
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(mails[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(MaildirTest, AFolderThatCannotBeMadeIsRetriedNotLost) {
  testing::TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  const std::string file = tmp.path() + "/not-a-folder";
  std::ofstream(file) << "x";
  Status st = DeliverToMaildir(file, "a@example.org", "b@example.org", "Subject: x\n\ny\n");
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_EQ(st.message(), "maildir " + file + ": cannot create " + file + "/tmp: Not a directory");
}

}  // namespace
}  // namespace vigil::mail
