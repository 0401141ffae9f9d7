// Reply and bounce address tags (threat M8c): bound to what they name, keyed, rotatable.
#include "service/mail_tags.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "support/temp_dir.h"

namespace vigil {
namespace {

bool Base32(const std::string& s) {
  return s.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567") == std::string::npos;
}

TEST(MailTagsTest, ATagBindsTheReportAndThePersonUnderItsKey) {
  const MailTags tags(std::string(MailTags::kKeyBytes, 'k'));
  const std::string t = tags.ReplyTag("SEC-2026-0001", "amy@example.org");
  EXPECT_EQ(t.size(), 20u);  // 100 bits
  EXPECT_TRUE(Base32(t)) << t;
  EXPECT_EQ(tags.ReplyTag("SEC-2026-0001", "Amy@Example.ORG"), t);
  std::set<std::string> seen{
      t,
      tags.ReplyTag("SEC-2026-0002", "amy@example.org"),
      tags.ReplyTag("SEC-2026-0001", "bob@example.org"),
      tags.BounceTag("SEC-2026-0001", 1, "amy@example.org"),
      tags.BounceTag("SEC-2026-0001", 2, "amy@example.org"),
      tags.BounceTag("SEC-2026-0001", 1, "bob@example.org"),
      MailTags(std::string(MailTags::kKeyBytes, 'o')).ReplyTag("SEC-2026-0001", "amy@example.org")};
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_TRUE(MailTags::Matches(t, t));
  EXPECT_TRUE(MailTags::Matches(LowerAscii(t), t));
  EXPECT_FALSE(MailTags::Matches(t.substr(0, 19), t));
  EXPECT_FALSE(MailTags::Matches("", t));
}

TEST(MailTagsTest, AddressesParseBackToWhatTheyBind) {
  const MailTags tags(std::string(MailTags::kKeyBytes, 'k'));
  mail::SecurityAddress ours;
  const std::string reply = tags.ReplyAddress(ours, "SEC-2026-0001", "amy@example.org");
  std::optional<mail::SecurityRecipient> r = mail::ParseSecurityRecipient(reply, ours);
  ASSERT_TRUE(r) << reply;
  EXPECT_EQ(r->report_id, "SEC-2026-0001");
  EXPECT_EQ(r->outbox_id, 0);
  EXPECT_TRUE(MailTags::Matches(r->tag, tags.ReplyTag("SEC-2026-0001", "amy@example.org")));
  const std::string bounce = tags.BounceAddress(ours, "SEC-2026-0001", 42, "amy@example.org");
  EXPECT_LE(bounce.find('@'), 64u);  // RFC 5321's limit on a local part
  std::optional<mail::SecurityRecipient> b = mail::ParseSecurityRecipient(bounce, ours);
  ASSERT_TRUE(b) << bounce;
  EXPECT_EQ(b->outbox_id, 42);
  EXPECT_TRUE(MailTags::Matches(b->tag, tags.BounceTag("SEC-2026-0001", 42, "amy@example.org")));
}

TEST(MailTagsTest, TheKeyFileIsMadeOnceAndRotationReplacesIt) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = MailTags::KeyPath(dir.path());
  Result<MailTags> first = MailTags::Load(path);
  ASSERT_TRUE(first.ok()) << first.status().message();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  const std::string tag = first->ReplyTag("SEC-2026-0001", "amy@example.org");
  EXPECT_EQ(MailTags::Load(path)->ReplyTag("SEC-2026-0001", "amy@example.org"), tag);
  ASSERT_TRUE(MailTags::Rotate(path).ok());
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_NE(MailTags::Load(path)->ReplyTag("SEC-2026-0001", "amy@example.org"), tag);
}

}  // namespace
}  // namespace vigil
