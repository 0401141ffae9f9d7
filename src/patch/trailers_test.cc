#include "patch/trailers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "patch/mailinfo.h"
#include "patch/mbox.h"
#include "support/git_sandbox.h"

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

bool IsCover(const ParsedMail& m) {
  const std::string& s = m.info.raw_subject;
  bool reply = s.size() >= 3 && (s[0] | 0x20) == 'r' && (s[1] | 0x20) == 'e' && s[2] == ':';
  return !m.is_patch && m.info.series.index == 0 && !reply;
}

/// What b4 does with a thread, reduced to trailers: per position in the series, the newest
/// revision of that patch (a partial re-roll takes the newest patch of each position), and the
/// trailers that replies add to it. A reply to a reply is about what the first one answered;
/// replies to the cover letter count for every patch. Person trailers count only when the reply's
/// sender is that person; non-person ones (Link:, Closes:, ...) always.
struct ThreadTrailers {
  std::map<int, const ParsedMail*> newest;
  std::map<int, std::vector<std::string>> added;
};

ThreadTrailers CollectFollowups(const std::vector<ParsedMail>& thread) {
  ThreadTrailers out;
  std::map<std::string, const ParsedMail*> by_id;
  for (const ParsedMail& m : thread) by_id[m.info.message_id] = &m;
  for (const ParsedMail& m : thread) {
    if (!m.is_patch) continue;
    const ParsedMail*& slot = out.newest[m.info.series.index];
    if (!slot || slot->info.series.version <= m.info.series.version) slot = &m;
  }
  for (const ParsedMail& reply : thread) {
    if (reply.is_patch || !by_id.count(reply.info.in_reply_to)) continue;
    const ParsedMail* target = by_id[reply.info.in_reply_to];
    while (!target->is_patch && !IsCover(*target) && by_id.count(target->info.in_reply_to)) {
      target = by_id[target->info.in_reply_to];
    }
    std::vector<std::string> keys;
    for (const Trailer& t :
         ParseTrailers(reply.info.body + reply.info.patch, TrailerSource::kFollowup)) {
      if (t.email.empty() || TrailerMatchesSender(t, reply.info.email)) keys.push_back(Key(t));
    }
    for (const auto& [index, patch] : out.newest) {
      if (patch == target || IsCover(*target)) {
        out.added[index].insert(out.added[index].end(), keys.begin(), keys.end());
      }
    }
  }
  return out;
}

/// Compares, for one patch, the trailers b4's result has beyond the original's with those our
/// follow-up collection adds (b4's own "Test Override" sign-off aside), as sets.
void ExpectAddedTrailers(const std::string& original_body, const std::string& result_body,
                         const std::vector<std::string>& added, const std::string& what) {
  std::vector<std::string> before, after, ours;
  for (const Trailer& t : ParseTrailers(original_body, TrailerSource::kCommitMessage)) {
    before.push_back(Key(t));
  }
  for (const Trailer& t : ParseTrailers(result_body, TrailerSource::kCommitMessage)) {
    std::string k = Key(t);
    if (k == "Signed-off-by: Test Override <test-override@example.com>") continue;
    if (std::find(before.begin(), before.end(), k) == before.end()) after.push_back(k);
  }
  for (const std::string& k : added) {
    if (std::find(before.begin(), before.end(), k) == before.end() &&
        std::find(ours.begin(), ours.end(), k) == ours.end()) {
      ours.push_back(k);
    }
  }
  std::sort(after.begin(), after.end());
  std::sort(ours.begin(), ours.end());
  EXPECT_EQ(ours, after) << what;
}

// b4's follow-up samples: the trailers replies add to each patch are those b4 adds.
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
    ThreadTrailers collected = CollectFollowups(thread);
    int results = 0;
    for (const ParsedMail& result : expected) {
      if (!result.is_patch) continue;
      ++results;
      const int index = result.info.series.index;
      ASSERT_TRUE(collected.newest.count(index)) << name << ": " << result.info.subject;
      ExpectAddedTrailers(collected.newest[index]->info.body, result.info.body,
                          collected.added[index], std::string(name) + ": " + result.info.subject);
      ++checked;
    }
    EXPECT_GE(results, 1) << name;
  }
  EXPECT_EQ(checked, 13);
}

// b4's thread samples: ".verify" lists, per patch, the author, subject and the commit message b4
// makes (blocks separated by "---" lines).
TEST(TrailersTest, B4ThreadSamples) {
  const std::string dir = std::string(VIGIL_TESTDATA_DIR) + "/b4-trailers/";
  int checked = 0;
  for (const char* name : {"thread-with-followups", "thread-with-cover-followup"}) {
    const std::string base = dir + "trailers-" + name;
    std::vector<ParsedMail> thread = ReadThread(base + ".mbox");
    ThreadTrailers collected = CollectFollowups(thread);
    std::string verify = GitSandbox::ReadFile(base + ".verify");
    ASSERT_FALSE(verify.empty()) << name;
    size_t pos = 0;
    while (pos < verify.size()) {
      size_t end = verify.find("\n---\n", pos);
      std::string block = verify.substr(pos, end == std::string::npos ? end : end - pos + 1);
      pos = end == std::string::npos ? verify.size() : end + 5;
      size_t l1 = block.find('\n');
      size_t l2 = block.find('\n', l1 + 1);
      ASSERT_NE(l2, std::string::npos) << name;
      const std::string subject = block.substr(l1 + 1, l2 - l1 - 1);
      const ParsedMail* original = nullptr;
      int index = -1;
      for (const auto& [i, patch] : collected.newest) {
        if (patch->info.subject == subject) {
          original = patch;
          index = i;
        }
      }
      ASSERT_NE(original, nullptr) << name << ": " << subject;
      EXPECT_EQ(original->info.email, block.substr(0, l1)) << name;
      ExpectAddedTrailers(original->info.body, block.substr(l2 + 1), collected.added[index],
                          std::string(name) + ": " + subject);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 8);
}

}  // namespace
}  // namespace vigil::patch
