#include "patch/mailinfo.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "patch/mbox.h"
#include "support/git_sandbox.h"
#include "support/varied_history.h"

namespace vigil::patch {
namespace {

std::string DataPath(const std::string& name) {
  return std::string(VIGIL_TESTDATA_DIR) + "/git-mailinfo/" + name;
}

std::string Data(const std::string& name) {
  EXPECT_TRUE(std::filesystem::exists(DataPath(name))) << name;
  return GitSandbox::ReadFile(DataPath(name));
}

std::vector<std::string> Split(const std::string& name, bool mboxrd = false) {
  MboxOptions options;
  options.mboxrd = mboxrd;
  auto messages = SplitMbox(Data(name), options);
  EXPECT_TRUE(messages.ok()) << messages.status().ToString();
  return messages.ok() ? *messages : std::vector<std::string>{};
}

MailInfo Parse(const std::string& mail, const MailinfoOptions& options = {}) {
  auto info = ParseMail(mail, options);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return info.ok() ? *info : MailInfo{};
}

// git's t5100: every message of sample.mbox, with each option variant git has expected files for;
// info, msg and patch must be equal byte for byte.
TEST(MailinfoTest, SampleMboxMatchesGitByteForByte) {
  std::vector<std::string> mails = Split("sample.mbox");
  ASSERT_EQ(mails.size(), 18u);
  int compared = 0;
  for (size_t i = 0; i < mails.size(); ++i) {
    char num[32];
    std::snprintf(num, sizeof num, "%04zu", i + 1);
    struct Variant {
      std::string suffix;
      MailinfoOptions options;
    };
    std::vector<Variant> variants = {{"", {}}};
    MailinfoOptions scissors;
    scissors.scissors = true;
    MailinfoOptions no_inbody;
    no_inbody.inbody_headers = false;
    MailinfoOptions message_id;
    message_id.message_id = true;
    variants.push_back({"--scissors", scissors});
    variants.push_back({"--no-inbody-headers", no_inbody});
    variants.push_back({"--message-id", message_id});
    for (const Variant& v : variants) {
      std::string mo = std::string(num) + v.suffix;
      if (!v.suffix.empty() && !std::filesystem::exists(DataPath("msg" + mo))) continue;
      MailInfo info = Parse(mails[i], v.options);
      EXPECT_EQ(info.body, Data("msg" + mo)) << mo;
      EXPECT_EQ(info.patch, Data("patch" + mo)) << mo;
      EXPECT_EQ(info.info, Data("info" + mo)) << mo;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 23);
}

TEST(MailinfoTest, Rfc2047SamplesMatchGit) {
  std::vector<std::string> mails = Split("rfc2047-samples.mbox");
  ASSERT_EQ(mails.size(), 11u);
  for (size_t i = 0; i < mails.size(); ++i) {
    char num[32];
    std::snprintf(num, sizeof num, "%04zu", i + 1);
    MailInfo info = Parse(mails[i]);
    EXPECT_EQ(info.body, "") << num;
    EXPECT_EQ(info.patch, "") << num;
    EXPECT_EQ(info.info, Data(std::string("rfc2047-info-") + num)) << num;
  }
}

TEST(MailinfoTest, NulBytesArePreserved) {
  std::vector<std::string> plain = Split("nul-plain");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0], Data("nul-plain"));
  MailInfo info = Parse(plain[0]);
  EXPECT_EQ(std::count(info.patch.begin(), info.patch.end(), '\n'), 4);

  std::vector<std::string> b64 = Split("nul-b64.in");
  ASSERT_EQ(b64.size(), 1u);
  EXPECT_EQ(Parse(b64[0]).patch, Data("nul-b64.expect"));
}

TEST(MailinfoTest, FromHeaderForms) {
  for (const char* name : {"info-from", "embed-from", "quoted-string", "comment"}) {
    std::vector<std::string> mails = Split(std::string(name) + ".in");
    ASSERT_EQ(mails.size(), 1u) << name;
    EXPECT_EQ(Parse(mails[0]).info, Data(std::string(name) + ".expect")) << name;
  }
}

TEST(MailinfoTest, QuotedFromStaysInTheBody) {
  std::vector<std::string> mails = Split("quoted-from.in");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(Parse(mails[0]).body, Data("quoted-from.expect"));
}

TEST(MailinfoTest, MboxrdIsUnescaped) {
  std::vector<std::string> mails = Split("sample.mboxrd", /*mboxrd=*/true);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(Parse(mails[0]).body, Data("0001mboxrd"));
  EXPECT_EQ(Parse(mails[1]).body, Data("0002mboxrd"));

  MboxOptions rd;
  rd.mboxrd = true;
  auto sp = SplitMbox(
      "From mboxrd Mon Sep 17 00:00:00 2001\nFrom: trailing spacer <sp@example.com>\n"
      "Subject: [PATCH] a commit with trailing space\n\nFrom \n>From \n\n",
      rd);
  ASSERT_TRUE(sp.ok());
  ASSERT_EQ(sp->size(), 1u);
  EXPECT_EQ(Parse((*sp)[0]).body, "From \nFrom \n\n");
}

/// The quoted-cr fixtures write CR as "%%"; as git's t5100 does, a "%%" at the end of a line is
/// dropped for the first mail (no CRLF in its base64) and every "%%" is a CR for the second.
std::string WithCr(std::string text, bool drop_at_line_end) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "%%") == 0) {
      ++i;
      if (!(drop_at_line_end && i + 1 < text.size() && text[i + 1] == '\n')) out += '\r';
      continue;
    }
    out += text[i];
  }
  return out;
}

TEST(MailinfoTest, QuotedCrInBase64) {
  std::vector<std::string> mails = Split("quoted-cr.mbox");
  ASSERT_EQ(mails.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    MailInfo info = Parse(mails[i]);
    EXPECT_EQ(info.body, WithCr(Data("quoted-cr-msg"), i == 0)) << i;
    EXPECT_EQ(info.patch, WithCr(Data("quoted-cr-patch"), i == 0)) << i;
    EXPECT_EQ(info.info, Data("quoted-cr-info")) << i;
  }
  MailinfoOptions strip;
  strip.strip_quoted_cr = true;
  MailInfo stripped = Parse(mails[1], strip);
  EXPECT_EQ(stripped.body, WithCr(Data("quoted-cr-msg"), true));
  EXPECT_EQ(stripped.patch, WithCr(Data("quoted-cr-patch"), true));
}

TEST(MailinfoTest, SubjectCleaning) {
  MailInfo info = Parse("Subject: Re: [PATCH v2 3/7] [other] RE: fix: it\n\nbody\n");
  EXPECT_EQ(info.subject, "fix: it");
  EXPECT_EQ(info.series, (SeriesPosition{2, 3, 7, false}));
  MailinfoOptions b;
  b.keep_non_patch_brackets = true;
  EXPECT_EQ(Parse("Subject: [PATCH] [other] [PATCH] message\n\n", b).subject, "[other] message");
  MailinfoOptions k;
  k.keep_subject = true;
  EXPECT_EQ(Parse("Subject: [PATCH] [other] [PATCH] message\n\n", k).subject,
            "[PATCH] [other] [PATCH] message");
  EXPECT_EQ(Parse("Subject: [PATCH] [other] [PATCH] message\n\n").subject, "message");
}

TEST(MailinfoTest, SeriesPosition) {
  EXPECT_EQ(ParseSeriesPosition("[PATCH v2 3/7] x"), (SeriesPosition{2, 3, 7, false}));
  EXPECT_EQ(ParseSeriesPosition("[RFC PATCH 1/2] x"), (SeriesPosition{1, 1, 2, true}));
  EXPECT_EQ(ParseSeriesPosition("[PATCH net-next v3 0/4] x"), (SeriesPosition{3, 0, 4, false}));
  EXPECT_EQ(ParseSeriesPosition("Re: [PATCH 2/2 V5] x"), (SeriesPosition{5, 2, 2, false}));
  EXPECT_EQ(ParseSeriesPosition("no prefix"), (SeriesPosition{1, 1, 1, false}));
  EXPECT_EQ(ParseSeriesPosition("[PATCH] x"), (SeriesPosition{1, 1, 1, false}));
}

TEST(MailinfoTest, ThreadHeadersAndChangeId) {
  MailInfo info = Parse(
      "From: A U Thor <a@example.com>\nSubject: [PATCH v2 0/2] cover\n"
      "Message-ID: <cover-v2@example.com>\nIn-Reply-To:  <cover-v1@example.com> \n"
      "References: <root@example.com>\n <cover-v1@example.com>\n\ncover text\n\n---\n"
      "base-commit: 1234\nchange-id: 20240102-fix-abcdef012345\n\nBest regards,\n");
  EXPECT_EQ(info.message_id, "<cover-v2@example.com>");
  EXPECT_EQ(info.in_reply_to, "<cover-v1@example.com>");
  EXPECT_EQ(info.references,
            (std::vector<std::string>{"<root@example.com>", "<cover-v1@example.com>"}));
  EXPECT_EQ(info.change_id, "20240102-fix-abcdef012345");
  EXPECT_EQ(info.series, (SeriesPosition{2, 0, 2, false}));
}

TEST(MailinfoTest, MimeQuotedPrintableAndCharset) {
  MailInfo info = Parse(
      "From: =?iso-8859-1?q?J=F6rg?= <j@example.com>\nSubject: =?utf-8?b?w6l0w6k=?=\n"
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XX\"\n\npreamble\n"
      "--XX\nContent-Type: text/plain; charset=iso-8859-1\n"
      "Content-Transfer-Encoding: quoted-printable\n\nCaf=E9 is a long line that is =\n"
      "soft-broken.\n---\n--XX\nContent-Type: text/x-patch; charset=utf-8\n"
      "Content-Transfer-Encoding: base64\n\nZGlmZiAtLWdpdCBhL3ggYi94Cg==\n--XX--\nepilogue\n");
  EXPECT_EQ(info.author, "J\xc3\xb6rg");
  EXPECT_EQ(info.subject, "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(info.body, "Caf\xc3\xa9 is a long line that is soft-broken.\n");
  EXPECT_EQ(info.patch, "---\ndiff --git a/x b/x\n\n");
}

TEST(MailinfoTest, FormatFlowed) {
  MailInfo info = Parse(
      "Subject: x\nContent-Type: text/plain; format=flowed\n\nA flowed \nparagraph.\n"
      " From stuffed\n-- \nsig\n");
  EXPECT_EQ(info.body, "A flowed paragraph.\nFrom stuffed\n-- \nsig\n");
}

TEST(MailinfoTest, Errors) {
  EXPECT_EQ(ParseMail("").status().message(), "empty message");
  EXPECT_EQ(ParseMail(" \n\t\n").status().message(), "empty message");
  EXPECT_EQ(ParseMail("Subject: =?x-unknown-9?q?a?=\n\nb\n").status().message(),
            "cannot convert from x-unknown-9 to UTF-8");
  EXPECT_EQ(ParseMail("Subject: a =? b\n\nb\n").status().message(),
            "Subject: malformed RFC 2047 encoded word");
  EXPECT_EQ(ParseMail("Subject: =?utf-8?q?a=00b?=\n\nb\n").status().message(),
            "a NUL byte in 'Subject' is not allowed");
  EXPECT_EQ(ParseMail("Subject: x\nContent-Type: text/plain; charset=nope-42\n\nbody\n")
                .status()
                .message(),
            "cannot convert from nope-42 to UTF-8");
  EXPECT_EQ(
      ParseMail("Subject: x\nContent-Type: text/plain; charset=utf-8\n\nbody\n").status().code(),
      Code::kOk);
}

TEST(MailinfoTest, StripSpace) {
  EXPECT_EQ(StripSpace(""), "");
  EXPECT_EQ(StripSpace("\n\n  \n"), "");
  EXPECT_EQ(StripSpace("\n a  \n\n\n\tb\t\nc"), " a\n\n\tb\nc\n");
}

// `message` must be what `git am` records: check against real git on awkward messages.
TEST(MailinfoTest, MessageEqualsWhatGitAmRecords) {
  GitSandbox git;
  ASSERT_TRUE(git.ok());
  ASSERT_EQ(git.Git({"init", "-q", "-b", "main"}), "");
  git.Write("f.txt", "one\n");
  git.Git({"add", "f.txt"});
  git.Git({"commit", "-q", "-m", "initial"});
  const std::vector<std::string> messages = {
      "simple subject",
      "[tag] subject with brackets\n\nbody line  \n\n\n\nsecond paragraph\t\n",
      "a subject that\nspans two lines\n\nbody",
      "subject\n\nbody\n---\nthis is cut by git am\n",
      "Re: subject\n\n    indented\n\nSigned-off-by: A U Thor <author@example.com>\n",
      "non-ASCII s\xc3\xbc"
      "bject \xe2\x9c\x93\n\nbody \xc3\xa9\n",
  };
  int n = 0;
  for (const std::string& message : messages) {
    git.Write("f.txt", "version " + std::to_string(++n) + "\n");
    git.Git({"commit", "-q", "-a", "-m", message});
    std::string mail = git.Git({"format-patch", "--stdout", "-1", "HEAD"});
    git.Git({"reset", "-q", "--hard", "HEAD~1"});
    git.Write("mail.eml", mail);
    git.Git({"am", "-q", "mail.eml"});
    std::string recorded = git.Git({"log", "-1", "--format=%B"});
    auto split = SplitMbox(mail);
    ASSERT_TRUE(split.ok());
    ASSERT_EQ(split->size(), 1u);
    MailInfo info = Parse((*split)[0]);
    // %B ends with one extra newline after the message.
    EXPECT_EQ(info.message + "\n", recorded) << message;
    EXPECT_EQ(info.author, "A U Thor");
    EXPECT_EQ(info.email, "author@example.com");
    EXPECT_EQ(info.date, "Tue, 2 Jan 2024 03:04:05 +0000");
  }
}

/// Runs `git mailinfo -u OPTION msg patch < mail` and returns {info, msg, patch, exit code}.
struct GitMailinfo {
  std::string info, body, patch;
  int code = -1;
};
GitMailinfo RunGitMailinfo(GitSandbox& git, const std::string& mail, const std::string& option) {
  std::vector<std::string> args = {"mailinfo", "-u"};
  if (!option.empty()) args.push_back(option);
  args.push_back("msg");
  args.push_back("patch");
  GitMailinfo out;
  out.info = git.Git(args, mail, &out.code);
  out.body = GitSandbox::ReadFile(git.dir() + "/msg");
  out.patch = GitSandbox::ReadFile(git.dir() + "/patch");
  return out;
}

MailinfoOptions OptionsFor(const std::string& option) {
  MailinfoOptions o;
  o.scissors = option == "--scissors";
  o.inbody_headers = option != "--no-inbody-headers";
  o.message_id = option == "--message-id";
  o.keep_subject = option == "-k";
  o.keep_non_patch_brackets = option == "-b";
  return o;
}

void ExpectSameAsGitMailinfo(GitSandbox& git, const std::string& mail, const std::string& what) {
  for (std::string option : {"", "--scissors", "--no-inbody-headers", "--message-id", "-k", "-b"}) {
    GitMailinfo expected = RunGitMailinfo(git, mail, option);
    auto ours = ParseMail(mail, OptionsFor(option));
    if (expected.code != 0) {
      EXPECT_FALSE(ours.ok()) << what << " " << option << " (git failed)";
      continue;
    }
    ASSERT_TRUE(ours.ok()) << what << " " << option << ": " << ours.status().ToString();
    EXPECT_EQ(ours->info, expected.info) << what << " " << option;
    // git >= 2.43 writes "Message-ID:", the git this test runs may write "Message-Id:".
    std::string body = expected.body;
    if (size_t p = body.find("\nMessage-Id: "); p != std::string::npos) body[p + 10] = 'D';
    if (body.rfind("Message-Id: ", 0) == 0) body[9] = 'D';
    EXPECT_EQ(ours->body, body) << what << " " << option;
    EXPECT_EQ(ours->patch, expected.patch) << what << " " << option;
  }
}

// Every format-patch mail of a varied history, and hand-made mails covering MIME, charsets,
// in-body headers, scissors and odd From: forms, give what the installed `git mailinfo` gives.
TEST(MailinfoGitTest, SameAsGitMailinfo) {
  GitSandbox git;
  ASSERT_TRUE(git.ok());
  ASSERT_TRUE(BuildVariedHistory(git));
  std::string mbox = git.Git({"format-patch", "--stdout", "--binary", "--root", "HEAD"});
  auto mails = SplitMbox(mbox);
  ASSERT_TRUE(mails.ok());
  ASSERT_EQ(mails->size(), 19u);
  for (size_t i = 0; i < mails->size(); ++i) {
    ExpectSameAsGitMailinfo(git, (*mails)[i], "format-patch " + std::to_string(i + 1));
  }
  EXPECT_EQ(Parse(mails->back()).author, "J\xc3\xb6rg \xc3\x85str\xc3\xb6m");
  // git am drops the leading "[security]" of the subject, as mailinfo cleans it.
  EXPECT_EQ(Parse(mails->back()).message,
            "non-ASCII author\n\nBody with \xc3\xa9 and a long\nparagraph.\n");

  const std::string diff =
      "diff --git a/f b/f\nindex 1111111..2222222 100644\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  const std::vector<std::string> handmade = {
      // multipart with a quoted-printable text part and a base64 patch attachment
      "From: \"Doe, John\" <john@example.com>\nSubject: =?utf-8?q?Re=3A_=5BPATCH_v3_1/2=5D_?=\n"
      " =?utf-8?b?w6l0w6k=?= fix\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"=-=-=\"\n\npreamble\n--=-=-=\n"
      "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n"
      "\nCaf=E9 =\nsoft break.\n\n--=-=-=\nContent-Type: text/x-patch\n"
      "Content-Transfer-Encoding: base64\n\n"
      "ZGlmZiAtLWdpdCBhL2YgYi9mCi0tLSBhL2YKKysrIGIvZgpAQCAtMSArMSBAQAotYQorYgo=\n"
      "--=-=-=--\nepilogue\n",
      // nested multipart/alternative
      "From: j@example.com (John Doe)\nSubject: nested\nContent-Type: multipart/mixed; "
      "boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
      "--inner\nContent-Type: text/plain\n\nplain text\n--inner\nContent-Type: text/html\n\n"
      "<p>html</p>\n--inner--\n--outer\nContent-Type: text/plain\n\n" +
          diff + "--outer--\n",
      // format=flowed with delsp
      "From: <bare@example.com>\nSubject: flowed\nContent-Type: text/plain; format=flowed; "
      "delsp=yes\n\nA long line that was  \nwrapped by the mailer.\n From stuffed\n-- \nsig\n"
      "---\n" +
          diff,
      // in-body headers with a continuation, then a scissors line
      "From: Sender <sender@example.com>\nSubject: [PATCH] mail subject\nDate: Mon, 1 Jan 2024 "
      "00:00:00 +0000\n\nFrom: Real Author <real@example.com>\nSubject: a long in-body\n"
      " subject\n\nbody above\n-- >8 --\nFrom: Cut Author <cut@example.com>\n\nbelow\n---\n" +
          diff,
      // "[PATCH]" in-body line, escaped format-patch separator and CRLF line ends
      "From: John Doe\r\nSubject: crlf\r\n\r\n>From 1234567890123456789012345678901234567890 Mon "
      "Sep 17 00:00:00 2001\r\n[PATCH] in-body subject\r\n\r\nbody\r\n---\r\n" +
          diff,
      // comments and quoted pairs in From:, 8-bit charset body, "diff -" ends the message
      "From: \"A \\\"quoted\\\" name\" (comment) <a@example.com>\nSubject: Re: RE: [x] [PATCH] "
      "charset\nContent-Type: text/plain; charset=\"ISO-8859-15\"\n\n\xa4 euro\n" +
          diff,
      // unknown charset in the body: git fails
      "From: A <a@example.com>\nSubject: bad\nContent-Type: text/plain; charset=x-nope\n\nx\n",
      // no patch at all, only headers and a message
      "From: A <a@example.com>\nSubject: cover\nMessage-ID: <m@example.com>\n\ntext only\n",
  };
  for (size_t i = 0; i < handmade.size(); ++i) {
    ExpectSameAsGitMailinfo(git, handmade[i], "handmade " + std::to_string(i + 1));
  }
}

// Untrusted input: every truncation of a real mail parses or fails cleanly.
TEST(MailinfoTest, TruncatedMailsNeverCrash) {
  std::vector<std::string> mails = Split("sample.mbox");
  ASSERT_FALSE(mails.empty());
  for (const std::string& mail : {mails[3], mails[4], mails[11]}) {
    for (size_t n = 0; n <= mail.size(); n += 7) {
      auto info = ParseMail(std::string_view(mail).substr(0, n));
      if (!info.ok()) {
        EXPECT_FALSE(info.status().message().empty());
      }
    }
  }
}

}  // namespace
}  // namespace vigil::patch
