// ApplyToTrees / CommitPatches / VerifyCommits against the real git: the commits made equal what
// `git am` makes, and every difference from the approved patch is named exactly.
#include "patch/git_am.h"

#include <gtest/gtest.h>

#include "support/git_sandbox.h"

namespace vigil::patch {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

TEST(RawGitDateTest, ReadsRfc2822DatesAsGitsRawFormat) {
  EXPECT_EQ(*RawGitDate("Tue, 2 Jan 2024 03:04:05 +0000"), "1704164645 +0000");
  EXPECT_EQ(*RawGitDate("Wed, 4 Mar 2026 05:06:07 +0100"), "1772597167 +0100");
  EXPECT_EQ(*RawGitDate("4 Mar 2026 05:06:07 -0230"), "1772609767 -0230");
  EXPECT_EQ(RawGitDate("yesterday").status().message(), "cannot read the date \"yesterday\"");
  EXPECT_EQ(RawGitDate("Tue, 2 Foo 2024 03:04:05 +0000").status().message(),
            "cannot read the date \"Tue, 2 Foo 2024 03:04:05 +0000\"");
}

class GitAmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(git_.ok());
    git_.Git({"init", "-q", "-b", "master"});
    std::string text;
    for (int i = 1; i <= 20; ++i) text += "line " + std::to_string(i) + "\n";
    git_.Write("a.txt", text);
    git_.Git({"add", "a.txt"});
    git_.Git({"commit", "-q", "-m", "base"});
    base_ = Trim(git_.Git({"rev-parse", "HEAD"}));
    git_.Git({"checkout", "-q", "-b", "fix"});
    text.replace(text.find("line 10\n"), 8, "line ten\n");
    git_.Write("a.txt", text);
    git_.Git({"commit", "-q", "-a", "-m", "Name line ten\n\nBecause words read better."});
    mbox_ = git_.Git({"format-patch", "--stdout", "master..fix"});
    git_.Git({"checkout", "-q", "master"});
    Result<std::vector<SeriesPatch>> series = ReadSeries(mbox_);
    ASSERT_TRUE(series.ok()) << series.status().message();
    patches_ = AmPatches(*series);
    ids_ = {patches_[0].patch_id};
  }
  Committer Vigil() const { return {"Vigil", "vigil@example.org", 1'800'000'000LL * 1'000'000}; }

  patch::GitSandbox git_;
  std::string base_, mbox_;
  std::vector<AmPatch> patches_;
  std::vector<std::string> ids_;
};

TEST_F(GitAmTest, CommitsEqualWhatGitAmMakes) {
  Result<std::vector<std::string>> commits =
      CommitPatches(git_.dir(), base_, "refs/heads/security/x", patches_, Vigil());
  ASSERT_TRUE(commits.ok()) << commits.status().message();
  EXPECT_TRUE(VerifyCommits(git_.dir(), commits->back(), patches_, ids_).ok());
  git_.Git({"checkout", "-q", "-b", "am", base_});
  git_.Git({"am", "-q"}, mbox_);
  const std::string format = "--format=%T %an <%ae> %ad%n%B";
  EXPECT_EQ(git_.Git({"log", "-1", "--date=raw", format, commits->back()}),
            git_.Git({"log", "-1", "--date=raw", format, "am"}));
  EXPECT_EQ(Trim(git_.Git({"log", "-1", "--format=%cn <%ce>", commits->back()})),
            "Vigil <vigil@example.org>");
  // The ref is created, never moved.
  EXPECT_EQ(CommitPatches(git_.dir(), base_, "refs/heads/security/x", patches_, Vigil())
                .status()
                .message(),
            "refs/heads/security/x already exists");
}

TEST_F(GitAmTest, OffsetsApplyButChangedContextDoesNot) {
  // Three lines more at the top: git applies the hunk at an offset, as git am does.
  std::string text = "new 1\nnew 2\nnew 3\n";
  for (int i = 1; i <= 20; ++i) text += "line " + std::to_string(i) + "\n";
  git_.Write("a.txt", text);
  git_.Git({"commit", "-q", "-a", "-m", "header"});
  EXPECT_TRUE(ApplyToTrees(git_.dir(), "HEAD", patches_).ok());
  // Context that no longer matches: no fuzz.
  text.replace(text.find("line 9\n"), 7, "line nine\n");
  git_.Write("a.txt", text);
  git_.Git({"commit", "-q", "-a", "-m", "nine"});
  EXPECT_EQ(ApplyToTrees(git_.dir(), "HEAD", patches_).status().message(),
            "patch 1/1 (Name line ten) does not apply: error: patch failed: a.txt:7");
}

TEST_F(GitAmTest, EveryDifferenceFromTheApprovedPatchIsRefused) {
  const std::string head =
      CommitPatches(git_.dir(), base_, "refs/heads/security/x", patches_, Vigil())->back();
  const std::string c = head.substr(0, 12);
  EXPECT_EQ(VerifyCommits(git_.dir(), head, patches_, {std::string(40, '0')}).message(),
            "commit " + c + " (patch 1/1): patch-id " + ids_[0].substr(0, 12) +
                " differs from the approved 000000000000");
  std::vector<AmPatch> other = patches_;
  other[0].author_email = "mallory@example.org";
  EXPECT_EQ(VerifyCommits(git_.dir(), head, other, ids_).message(),
            "commit " + c +
                " (patch 1/1): author A U Thor <author@example.com> differs from the approved A "
                "U Thor <mallory@example.org>");
  other = patches_;
  other[0].author_date = "Tue, 2 Jan 2024 04:04:05 +0100";
  EXPECT_EQ(VerifyCommits(git_.dir(), head, other, ids_).message(),
            "commit " + c +
                " (patch 1/1): author date 1704164645 +0000 differs from the approved 1704164645 "
                "+0100");
  other = patches_;
  other[0].message += "Signed-off-by: Someone <s@example.org>\n";
  EXPECT_EQ(VerifyCommits(git_.dir(), head, other, ids_).message(),
            "commit " + c + " (patch 1/1): message differs from the approved patch's");
  EXPECT_EQ(
      VerifyCommits(git_.dir(), head, {patches_[0], patches_[0]}, {ids_[0], ids_[0]}).message(),
      c + " does not hold 2 commits");
}

}  // namespace
}  // namespace vigil::patch
