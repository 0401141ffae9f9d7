#include "patch/patch_id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/git_sandbox.h"
#include "support/varied_history.h"

namespace vigil::patch {
namespace {

const std::string kZeros(40, '0');

std::vector<PatchIdEntry> ParseGitOutput(const std::string& out) {
  std::vector<PatchIdEntry> entries;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    std::string line = out.substr(pos, nl - pos);
    pos = nl == std::string::npos ? out.size() : nl + 1;
    size_t sp = line.find(' ');
    entries.push_back({line.substr(0, sp), line.substr(sp + 1)});
  }
  return entries;
}

std::vector<PatchIdEntry> Ours(std::string_view text, PatchIdMode mode) {
  auto ids = ComputePatchIds(text, mode);
  EXPECT_TRUE(ids.ok()) << ids.status().ToString();
  return ids.ok() ? *ids : std::vector<PatchIdEntry>{};
}

/// Asserts that our ids for `text` equal `git patch-id` in both modes.
void ExpectSameAsGit(GitSandbox& git, const std::string& text, const std::string& what) {
  for (PatchIdMode mode : {PatchIdMode::kStable, PatchIdMode::kUnstable}) {
    const char* flag = mode == PatchIdMode::kStable ? "--stable" : "--unstable";
    std::vector<PatchIdEntry> expected = ParseGitOutput(git.Git({"patch-id", flag}, text));
    EXPECT_EQ(Ours(text, mode), expected) << what << " " << flag << "\n" << text;
  }
}

TEST(PatchIdTest, EmptyAndMessageOnlyInputHaveNoIds) {
  EXPECT_TRUE(Ours("", PatchIdMode::kStable).empty());
  EXPECT_TRUE(Ours("Subject: hello\n\nno diff here\n", PatchIdMode::kStable).empty());
}

TEST(PatchIdTest, WhitespaceAndNoNewlineMarkerDoNotChangeTheId) {
  const std::string a = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old line\n+new line\n";
  const std::string b =
      "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\tline \r\n+new  line\n"
      "\\ No newline at end of file\n";
  auto ida = Ours(a, PatchIdMode::kStable);
  auto idb = Ours(b, PatchIdMode::kStable);
  ASSERT_EQ(ida.size(), 1u);
  EXPECT_EQ(ida, idb);
  EXPECT_EQ(ida[0].commit_id, kZeros);
}

TEST(PatchIdTest, VerticalTabIsNotWhitespace) {
  const std::string a = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n+y\n";
  const std::string b = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n+y\v\n";
  EXPECT_NE(Ours(a, PatchIdMode::kStable), Ours(b, PatchIdMode::kStable));
}

TEST(PatchIdTest, CommitIdComesFromTheFromLine) {
  const std::string text =
      "From 0123456789ABCDEF0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n"
      "Subject: x\n\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n+y\n";
  auto ids = Ours(text, PatchIdMode::kStable);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].commit_id, "0123456789abcdef0123456789abcdef01234567");
}

TEST(PatchIdTest, StableIsIndependentOfFileOrderUnstableIsNot) {
  const std::string f = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n+y\n";
  const std::string g = "diff --git a/g b/g\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-x\n+z\n";
  EXPECT_EQ(Ours(f + g, PatchIdMode::kStable), Ours(g + f, PatchIdMode::kStable));
  EXPECT_NE(Ours(f + g, PatchIdMode::kUnstable), Ours(g + f, PatchIdMode::kUnstable));
}

// A repository whose history covers every kind of change patch-id has to handle.
class PatchIdGitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(git_.ok());
    ASSERT_TRUE(BuildVariedHistory(git_));
  }

  GitSandbox git_;
};

TEST_F(PatchIdGitTest, FormatPatchSeriesMatchesGit) {
  std::string mbox = git_.Git({"format-patch", "--stdout", "--binary", "--root", "HEAD"});
  ASSERT_EQ(mbox.rfind("From ", 0), 0u) << mbox;
  ExpectSameAsGit(git_, mbox, "format-patch --root");
  EXPECT_EQ(Ours(mbox, PatchIdMode::kStable).size(), 19u);
  EXPECT_NE(mbox.find("\nrename from moved.txt\n"), std::string::npos);
  EXPECT_NE(mbox.find("\nGIT binary patch\n"), std::string::npos);
}

TEST_F(PatchIdGitTest, EachPatchAloneMatchesGit) {
  std::string count = git_.Git({"rev-list", "--count", "HEAD"});
  int n = std::stoi(count);
  for (int i = 0; i < n - 1; ++i) {
    std::string rev = "HEAD~" + std::to_string(i);
    std::string one = git_.Git({"format-patch", "--stdout", "--binary", "-1", rev});
    ExpectSameAsGit(git_, one, rev);
  }
}

TEST_F(PatchIdGitTest, OtherDiffFormsMatchGit) {
  ExpectSameAsGit(git_, git_.Git({"log", "-p", "--binary"}), "log -p --binary");
  ExpectSameAsGit(git_, git_.Git({"log", "-p"}), "log -p");
  ExpectSameAsGit(git_, git_.Git({"log", "-p", "--no-renames", "--full-index"}), "no renames");
  ExpectSameAsGit(git_, git_.Git({"log", "-p", "-U1", "--stat"}), "log -U1 --stat");
  ExpectSameAsGit(git_, git_.Git({"diff", "HEAD~18", "HEAD"}), "bare diff");
  ExpectSameAsGit(git_, git_.Git({"diff", "--binary", "HEAD~18", "HEAD"}), "bare binary diff");
}

TEST(PatchIdSampleTest, GitMailinfoSampleMatchesGit) {
  GitSandbox git;
  ASSERT_TRUE(git.ok());
  for (const char* name : {"sample.mbox", "rfc2047-samples.mbox", "quoted-cr.mbox", "nul-plain",
                           "nul-b64.in", "sample.mboxrd"}) {
    std::string text =
        GitSandbox::ReadFile(std::string(VIGIL_TESTDATA_DIR) + "/git-mailinfo/" + name);
    ASSERT_FALSE(text.empty()) << name;
    ExpectSameAsGit(git, text, name);
  }
  std::string sample =
      GitSandbox::ReadFile(std::string(VIGIL_TESTDATA_DIR) + "/git-mailinfo/sample.mbox");
  EXPECT_GE(Ours(sample, PatchIdMode::kStable).size(), 10u);
}

}  // namespace
}  // namespace vigil::patch
