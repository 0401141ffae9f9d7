#include "patch/trailers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "patch/git_sandbox.h"
#include "patch/mailinfo.h"
#include "patch/mbox.h"

namespace vigil::patch {
namespace {

TEST(TrailersTest, CommitMessageTrailers) {
  auto t = ParseTrailers(
      "Subject line\n\nBody text.\n\nFixes: abcdef012345 (\"a subject\nwrapped\")\n"
      "Reviewed-by: Jane Doe <jane@example.com>\n"
      "Signed-off-by: Long Name\n<long@example.com>\n"
      "Cc: <stable@vger.kernel.org> # v5.10+\n"
      "Link: https://example.com/x\n"
      "-- \nSigned-off-by: After Sig <sig@example.com>\n",
      TrailerSource::kCommitMessage);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].name, "Fixes");
  EXPECT_EQ(t[0].value, "abcdef012345 (\"a subject wrapped\")");
  EXPECT_EQ(t[0].email, "");
  EXPECT_EQ(t[1].person_name, "Jane Doe");
  EXPECT_EQ(t[1].email, "jane@example.com");
  EXPECT_EQ(t[2].value, "Long Name <long@example.com>");
  EXPECT_EQ(t[3].email, "stable@vger.kernel.org");
  EXPECT_EQ(t[3].comment, "v5.10+");
  EXPECT_EQ(t[4].value, "https://example.com/x");
}

TEST(TrailersTest, FollowupRules) {
  auto t = ParseTrailers(
      "> Reviewed-by: Quoted <quoted@example.com>\n"
      "Thanks!\nAcked-by: Ann <ann@example.com>\nNote: this is not a trailer\n"
      "Phone: 12345\nTested-by: Visit https://example.com\nFrom: Late Header <l@example.com>\n"
      "Reviewed-by: HTML Junker <junk@example.com<mailto:junk@example.com>>\n",
      TrailerSource::kFollowup);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].value, "Ann <ann@example.com>");
  EXPECT_TRUE(IsApprovalTrailer(t[0]));
  EXPECT_EQ(t[1].value, "HTML Junker <junk@example.com>");
  EXPECT_TRUE(TrailerMatchesSender(t[1], "JUNK@example.com"));
  EXPECT_FALSE(TrailerMatchesSender(t[1], "other@example.com"));
}

struct ParsedMail {
  MailInfo info;
  bool is_patch = false;
};

std::vector<ParsedMail> ReadThread(const std::string& path) {
  std::vector<ParsedMail> out;
  auto split = SplitMbox(GitSandbox::ReadFile(path));
  EXPECT_TRUE(split.ok()) << path;
  if (!split.ok()) return out;
  for (const std::string& mail : *split) {
    auto info = ParseMail(mail);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) continue;
    ParsedMail m;
    m.info = *info;
    // b4's samples carry made-up hunks ("@@@ -1,1 +1,1 @@"), so only look for file markers.
    m.is_patch = info->patch.find("\n+++ ") != std::string::npos;
    out.push_back(std::move(m));
  }
  return out;
}

std::string Key(const Trailer& t) { return t.name + ": " + t.value; }

// b4's follow-up samples: each reply's trailers, kept when the reply's sender is the person the
// trailer names, are exactly the trailers b4 adds to the patch it (or its cover letter) answers.
TEST(TrailersTest, B4FollowupSamples) {
  const std::string dir = std::string(VIGIL_TESTDATA_DIR) + "/b4-trailers/";
  int checked = 0;
  for (const char* name : {"single", "bare-address", "htmljunk", "name-parens", "nore",
                           "non-git-patch", "non-git-patch-with-comments", "stripped-lines",
                           "with-diffstat", "with-cover", "partial-reroll"}) {
    const std::string base = dir + "trailers-followup-" + name;
    std::vector<ParsedMail> thread = ReadThread(base + ".mbox");
    std::vector<ParsedMail> expected = ReadThread(base + "-ref-defaults.txt");
    ASSERT_FALSE(thread.empty()) << name;
    ASSERT_FALSE(expected.empty()) << name;
    int results = 0;
    for (const ParsedMail& m : expected) results += m.is_patch;
    EXPECT_GE(results, 1) << name;
    std::map<std::string, const ParsedMail*> by_id;
    for (const ParsedMail& m : thread) by_id[m.info.message_id] = &m;

    // Per position in the series, the newest revision of that patch (b4 assembles a partial
    // re-roll from the newest patch of each position); replies to a cover letter count for all.
    std::map<int, const ParsedMail*> newest;
    for (const ParsedMail& m : thread) {
      const ParsedMail*& slot = newest[m.is_patch ? m.info.series.index : -1];
      if (m.is_patch && (!slot || slot->info.series.version <= m.info.series.version)) slot = &m;
    }
    newest.erase(-1);
    std::map<int, std::vector<std::string>> added;  // series index -> trailers from replies
    for (const ParsedMail& reply : thread) {
      if (reply.is_patch || !by_id.count(reply.info.in_reply_to)) continue;
      const ParsedMail* target = by_id[reply.info.in_reply_to];
      // A reply to a reply is about what the first reply answered.
      auto is_cover = [](const ParsedMail* m) {
        return !m->is_patch && m->info.series.index == 0 &&
               !(m->info.raw_subject.size() >= 3 && (m->info.raw_subject[0] | 0x20) == 'r' &&
                 (m->info.raw_subject[1] | 0x20) == 'e' && m->info.raw_subject[2] == ':');
      };
      while (!target->is_patch && !is_cover(target) && by_id.count(target->info.in_reply_to)) {
        target = by_id[target->info.in_reply_to];
      }
      std::vector<std::string> keys;
      for (const Trailer& t :
           ParseTrailers(reply.info.body + reply.info.patch, TrailerSource::kFollowup)) {
        if (TrailerMatchesSender(t, reply.info.email)) keys.push_back(Key(t));
      }
      for (const auto& [index, patch] : newest) {
        if (patch == target || is_cover(target)) {
          added[index].insert(added[index].end(), keys.begin(), keys.end());
        }
      }
    }
    for (const ParsedMail& result : expected) {
      if (!result.is_patch) continue;
      const int index = result.info.series.index;
      ASSERT_TRUE(newest.count(index)) << name << ": " << result.info.subject;
      const ParsedMail* original = newest[index];
      std::vector<std::string> before, after, ours;
      for (const Trailer& t : ParseTrailers(original->info.body, TrailerSource::kCommitMessage)) {
        before.push_back(Key(t));
      }
      for (const Trailer& t : ParseTrailers(result.info.body, TrailerSource::kCommitMessage)) {
        std::string k = Key(t);
        // b4 adds the sign-off of the person running it, and drops nothing we look at here.
        if (k == "Signed-off-by: Test Override <test-override@example.com>") continue;
        if (std::find(before.begin(), before.end(), k) == before.end()) after.push_back(k);
      }
      for (const std::string& k : added[index]) {
        if (std::find(before.begin(), before.end(), k) == before.end() &&
            std::find(ours.begin(), ours.end(), k) == ours.end()) {
          ours.push_back(k);
        }
      }
      std::sort(after.begin(), after.end());
      std::sort(ours.begin(), ours.end());
      EXPECT_EQ(ours, after) << name << ": " << result.info.subject;
      ++checked;
    }
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace vigil::patch
