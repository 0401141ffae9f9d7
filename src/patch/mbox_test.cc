#include "patch/mbox.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/git_sandbox.h"

namespace vigil::patch {
namespace {

std::string Data(const std::string& name) {
  return GitSandbox::ReadFile(std::string(VIGIL_TESTDATA_DIR) + "/git-mailinfo/" + name);
}

/// The files `git mailsplit [-b] [--mboxrd]` writes for `input`, in order.
std::vector<std::string> GitMailsplit(GitSandbox& git, const std::string& input, bool mboxrd) {
  std::filesystem::create_directories(git.dir() + "/out");
  std::vector<std::string> args = {"mailsplit", "-b", "-oout"};
  if (mboxrd) args.push_back("--mboxrd");
  int code = 0;
  std::string count = git.Git(args, input, &code);
  EXPECT_EQ(code, 0);
  std::vector<std::string> messages;
  int n = std::atoi(count.c_str());
  for (int i = 1; i <= n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "/out/%04d", i);
    messages.push_back(GitSandbox::ReadFile(git.dir() + name));
    std::filesystem::remove(git.dir() + name);
  }
  return messages;
}

TEST(MboxTest, SplitsLikeGitMailsplit) {
  GitSandbox git;
  ASSERT_TRUE(git.ok());
  const std::string crlf =
      "From 1234567890123456789012345678901234567890 Mon Sep 17 00:00:00 2001\r\n"
      "From: A <a@example.com>\r\nSubject: crlf\r\n\r\nbody\r\n>From here\r\n"
      "From nobody Mon Sep 17 00:00:00 2001\r\nSubject: two\r\n\r\n>>From x\r\n";
  for (const char* name : {"sample.mbox", "rfc2047-samples.mbox", "quoted-cr.mbox", "nul-plain",
                           "sample.mboxrd", "embed-from.in"}) {
    for (bool mboxrd : {false, true}) {
      std::string input = Data(name);
      MboxOptions options;
      options.mboxrd = mboxrd;
      auto ours = SplitMbox(input, options);
      ASSERT_TRUE(ours.ok()) << name << ": " << ours.status().ToString();
      EXPECT_EQ(*ours, GitMailsplit(git, input, mboxrd)) << name << " mboxrd=" << mboxrd;
    }
  }
  for (bool mboxrd : {false, true}) {
    MboxOptions options;
    options.mboxrd = mboxrd;
    auto ours = SplitMbox(crlf, options);
    ASSERT_TRUE(ours.ok());
    EXPECT_EQ(ours->size(), 2u);
    EXPECT_EQ(*ours, GitMailsplit(git, crlf, mboxrd));
  }
}

TEST(MboxTest, BareMessageAndPlainDiff) {
  auto bare = SplitMbox("\n\nFrom: A <a@example.com>\nSubject: hi\n\nFrom the start\n");
  ASSERT_TRUE(bare.ok());
  ASSERT_EQ(bare->size(), 1u);
  EXPECT_EQ((*bare)[0], "From: A <a@example.com>\nSubject: hi\n\nFrom the start\n");
  auto diff = SplitMbox("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n");
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->size(), 1u);
}

TEST(MboxTest, KeepCr) {
  MboxOptions options;
  options.keep_cr = true;
  auto kept = SplitMbox("Subject: x\r\n\r\nbody\r\n", options);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ((*kept)[0], "Subject: x\r\n\r\nbody\r\n");
  auto stripped = SplitMbox("Subject: x\r\n\r\nbody\r\n");
  ASSERT_TRUE(stripped.ok());
  EXPECT_EQ((*stripped)[0], "Subject: x\n\nbody\n");
}

TEST(MboxTest, FromLineRecognition) {
  EXPECT_TRUE(IsMboxFromLine("From nobody Mon Sep 17 00:00:00 2001\n"));
  EXPECT_TRUE(IsMboxFromLine("From bda@mnsspb.ru Wed Nov 12 17:54:41 2008\n"));
  EXPECT_FALSE(IsMboxFromLine("From here to there, the end.\n"));
  EXPECT_FALSE(IsMboxFromLine("From nobody Mon Sep 17 00:00:00 89\n"));
  EXPECT_FALSE(IsMboxFromLine("From: A <a@example.com>\n"));
}

TEST(MboxTest, Errors) {
  EXPECT_EQ(SplitMbox("").status().message(), "mbox: input is empty");
  EXPECT_EQ(SplitMbox(" \n\n").status().message(), "mbox: input is empty");
  const std::string from = "From nobody Mon Sep 17 00:00:00 2001\n";
  EXPECT_EQ(SplitMbox(from + "Subject: a\n\nbody\n" + from).status().message(),
            "mbox: message 2 is empty");
  EXPECT_EQ(SplitMbox(from + "Subject: a\n\nbody\n+trunc").status().message(),
            "mbox: message 1 is truncated: its last line has no newline");

  MboxOptions small;
  small.limits.max_input_bytes = 10;
  auto big = SplitMbox("Subject: x\n\nbody\n", small);
  EXPECT_EQ(big.status().code(), Code::kTooLarge);
  EXPECT_EQ(big.status().message(), "mbox: input is 17 bytes, over the limit of 10");

  MboxOptions few;
  few.limits.max_messages = 1;
  EXPECT_EQ(SplitMbox(from + "S: a\n\nb\n" + from + "S: b\n\nc\n", few).status().message(),
            "mbox: more than 1 messages");

  MboxOptions tiny;
  tiny.limits.max_message_bytes = 40;
  EXPECT_EQ(SplitMbox(from + "Subject: a\n\nbody\n", tiny).status().message(),
            "mbox: message 1 is over the limit of 40 bytes");

  // The default input limit is 50 MB.
  std::string huge(50u * 1024 * 1024 + 1, 'x');
  EXPECT_EQ(SplitMbox(huge).status().message(),
            "mbox: input is 52428801 bytes, over the limit of 52428800");
}

TEST(MboxTest, ForEachGivesViewsUnlessAMessageChanges) {
  const std::string from = "From nobody Mon Sep 17 00:00:00 2001\n";
  const std::string input = from + "Subject: a\n\nbody\n" + from + "Subject: b\r\n\r\nbody\r\n";
  std::vector<std::string> seen;
  std::vector<bool> inside;
  Status st = ForEachMboxMessage(input, {}, [&](std::string_view message) {
    seen.emplace_back(message);
    inside.push_back(message.data() >= input.data() &&
                     message.data() < input.data() + input.size());
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(seen, (std::vector<std::string>{from + "Subject: a\n\nbody\n",
                                            from + "Subject: b\n\nbody\n"}));
  EXPECT_EQ(inside, (std::vector<bool>{true, false}));

  int visits = 0;
  st = ForEachMboxMessage(input, {}, [&](std::string_view) {
    ++visits;
    return Status::Invalid("stop");
  });
  EXPECT_EQ(st.message(), "stop");
  EXPECT_EQ(visits, 1);
}

}  // namespace
}  // namespace vigil::patch
