#include "patch/diff.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "patch/mailinfo.h"
#include "patch/mbox.h"
#include "patch/patch_id.h"
#include "support/git_sandbox.h"
#include "support/varied_history.h"

namespace vigil::patch {
namespace {

std::vector<FileDiff> Parse(std::string_view text) {
  auto files = ParseDiff(text);
  EXPECT_TRUE(files.ok()) << files.status().ToString() << "\n" << text;
  return files.ok() ? *files : std::vector<FileDiff>{};
}

std::string Error(std::string_view text) {
  auto files = ParseDiff(text);
  return files.ok() ? "<ok>" : files.status().message();
}

TEST(DiffTest, ModifiedFileWithTwoHunks) {
  auto files = Parse(
      "diff --git a/src/a.c b/src/a.c\nindex 1234567..89abcde 100644\n--- a/src/a.c\n"
      "+++ b/src/a.c\n@@ -1,3 +1,3 @@ int main()\n a\n-b\n+B\n c\n@@ -10 +10,2 @@\n x\n+y\n"
      "-- \n2.39.5\n");
  ASSERT_EQ(files.size(), 1u);
  const FileDiff& f = files[0];
  EXPECT_EQ(f.old_path, "src/a.c");
  EXPECT_EQ(f.new_path, "src/a.c");
  EXPECT_EQ(f.status, FileStatus::kModified);
  EXPECT_EQ(f.old_id, "1234567");
  EXPECT_EQ(f.new_id, "89abcde");
  EXPECT_EQ(f.old_mode, "100644");
  ASSERT_EQ(f.hunks.size(), 2u);
  EXPECT_EQ(f.hunks[0].section, "int main()");
  EXPECT_EQ(f.hunks[0].lines, " a\n-b\n+B\n c\n");
  EXPECT_EQ(f.hunks[1].old_start, 10);
  EXPECT_EQ(f.hunks[1].old_count, 1);
  EXPECT_EQ(f.hunks[1].new_count, 2);
  EXPECT_EQ(f.insertions, 2);
  EXPECT_EQ(f.deletions, 1);
}

TEST(DiffTest, NoNewlineMarkers) {
  auto files = Parse(
      "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n\\ No newline at end of file\n"
      "+new\n\\ No newline at end of file\n");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].old_missing_newline);
  EXPECT_TRUE(files[0].new_missing_newline);
}

TEST(DiffTest, HeaderOnlyChanges) {
  auto files = Parse(
      "diff --git a/x.sh b/x.sh\nold mode 100644\nnew mode 100755\n"
      "diff --git a/old name.txt b/new name.txt\nsimilarity index 100%\n"
      "rename from old name.txt\nrename to new name.txt\n"
      "diff --git a/empty b/empty\nnew file mode 100644\nindex 0000000..e69de29\n"
      "diff --git a/gone b/gone\ndeleted file mode 100644\nindex e69de29..0000000\n"
      "diff --git a/c1 b/c2\nsimilarity index 90%\ncopy from c1\ncopy to c2\n");
  ASSERT_EQ(files.size(), 5u);
  EXPECT_EQ(files[0].status, FileStatus::kModeChange);
  EXPECT_EQ(files[0].old_mode, "100644");
  EXPECT_EQ(files[0].new_mode, "100755");
  EXPECT_EQ(files[1].status, FileStatus::kRenamed);
  EXPECT_EQ(files[1].old_path, "old name.txt");
  EXPECT_EQ(files[1].new_path, "new name.txt");
  EXPECT_EQ(files[1].similarity, 100);
  EXPECT_EQ(files[2].status, FileStatus::kAdded);
  EXPECT_EQ(files[2].new_path, "empty");
  EXPECT_EQ(files[2].old_path, "");
  EXPECT_EQ(files[3].status, FileStatus::kDeleted);
  EXPECT_EQ(files[3].old_path, "gone");
  EXPECT_EQ(files[4].status, FileStatus::kCopied);
  EXPECT_EQ(FileStatusName(files[4].status), std::string("copied"));
}

TEST(DiffTest, QuotedAndSpacedPaths) {
  auto files = Parse(
      "diff --git \"a/\\303\\274 \\\"q\\\".txt\" \"b/\\303\\274 \\\"q\\\".txt\"\n"
      "--- \"a/\\303\\274 \\\"q\\\".txt\"\n+++ \"b/\\303\\274 \\\"q\\\".txt\"\n@@ -1 +1 "
      "@@\n-a\n+b\n"
      "diff --git a/dir with space/f b/dir with space/f\nnew file mode 100644\n"
      "index 0000000..1234567\n--- /dev/null\n+++ b/dir with space/f\t\n@@ -0,0 +1 @@\n+x\n");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].new_path, "\xc3\xbc \"q\".txt");
  EXPECT_EQ(files[1].new_path, "dir with space/f");
  EXPECT_EQ(files[1].status, FileStatus::kAdded);
}

TEST(DiffTest, TraditionalUnifiedDiff) {
  auto files = Parse(
      "Index: foo\n--- foo.orig\t2024-01-01 00:00:00\n+++ foo\t2024-01-02 00:00:00\n"
      "@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].status, FileStatus::kModified);
  EXPECT_EQ(files[0].insertions, 1);
}

TEST(DiffTest, Binary) {
  auto files = Parse(
      "diff --git a/b.bin b/b.bin\nindex 1111111..2222222 100644\nGIT binary patch\n"
      "literal 5\nMcmZQzWMXCj000310RR91\n\nliteral 3\nKcmZQzWB>pF\n\n"
      "diff --git a/c.bin b/c.bin\nindex 3333333..4444444 100644\n"
      "Binary files a/c.bin and b/c.bin differ\n");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_TRUE(files[0].binary);
  EXPECT_TRUE(files[0].binary_has_data);
  EXPECT_TRUE(files[1].binary);
  EXPECT_FALSE(files[1].binary_has_data);
}

TEST(DiffTest, Errors) {
  const std::string head = "diff --git a/src/a.c b/src/a.c\n--- a/src/a.c\n+++ b/src/a.c\n";
  EXPECT_EQ(Error(head + "@@ -1,3 +1,3 @@\n a\n-b\n+c\n"), "hunk 1 of src/a.c: wrong line count");
  EXPECT_EQ(Error(head + "@@ -1,2 +1,2 @@\n a\n-b\n+c\n+d\n"),
            "hunk 1 of src/a.c: wrong line count");
  EXPECT_EQ(Error(head + "@@ -1 +1 @@\n-a\n+b\n@@ -5,2 +5,2 @@\n x\n-y\nnot a hunk line\n"),
            "hunk 2 of src/a.c: wrong line count");
  EXPECT_EQ(Error(head + "@@ -1 +1 @\n-a\n+b\n"), "hunk 1 of src/a.c: malformed header at line 4");
  EXPECT_EQ(Error("@@ -1 +1 @@\n-a\n+b\n"), "hunk without a file header at line 1");
  EXPECT_EQ(Error("diff --git a/../etc/passwd b/../etc/passwd\n--- a/../etc/passwd\n"
                  "+++ b/../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n"),
            "path \"../etc/passwd\" has a \"..\" component");
  EXPECT_EQ(Error("diff --git a/x b/x\nrename from x\nrename to a/b/../../../y\n"),
            "path \"a/b/../../../y\" has a \"..\" component");
  // "-p1" strips the first component, so "/etc/passwd" names etc/passwd, as with git apply.
  EXPECT_EQ(Error("--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n"), "<ok>");
  EXPECT_EQ(Error("diff --git a/x b/x\nrename from x\nrename to /etc/passwd\n"),
            "path \"/etc/passwd\" is absolute");
  EXPECT_EQ(Error("diff --git \"a/unterminated b/x\n"), "malformed quoted path at line 1");
  EXPECT_EQ(Error("diff --git a/x b/y\nold mode 100644\nnew mode 100755\n"),
            "diff header without file names at line 1");
  EXPECT_EQ(Error("just a message\n"), "no diff found");
  EXPECT_EQ(Error("diff --git a/b b/b\nGIT binary patch\nliteral 5\n!!!\n\n"),
            "corrupt binary patch for b at line 4");
  DiffLimits small;
  small.max_files = 1;
  EXPECT_EQ(ParseDiff(head + "@@ -1 +1 @@\n-a\n+b\n" + head + "@@ -1 +1 @@\n-a\n+b\n", small)
                .status()
                .message(),
            "diff has more than 1 files");
  small.max_bytes = 10;
  EXPECT_EQ(ParseDiff(head, small).status().code(), Code::kTooLarge);
}

/// Splits "a\0b\0..." into its fields.
std::vector<std::string> NulFields(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nul = s.find('\0', pos);
    out.push_back(s.substr(pos, nul - pos));
    pos = nul == std::string::npos ? s.size() : nul + 1;
  }
  return out;
}

// Every commit of a varied history, sent through format-patch, mailinfo and the diff parser,
// gives the files, statuses and line counts git itself reports.
TEST(DiffGitTest, MatchesGitNameStatusAndNumstat) {
  GitSandbox git;
  ASSERT_TRUE(git.ok());
  ASSERT_TRUE(BuildVariedHistory(git));
  int commits = std::stoi(git.Git({"rev-list", "--count", "HEAD"}));
  for (int i = 0; i < commits - 1; ++i) {
    std::string rev = "HEAD~" + std::to_string(i);
    std::string mail = git.Git({"format-patch", "--stdout", "--binary", "-1", rev});
    auto split = SplitMbox(mail);
    ASSERT_TRUE(split.ok());
    auto info = ParseMail((*split)[0]);
    ASSERT_TRUE(info.ok());
    std::vector<FileDiff> files = Parse(info->patch);

    // --name-status -z: "X\0path\0" or "R100\0old\0new\0".
    std::vector<std::string> ns =
        NulFields(git.Git({"show", "--format=", "-M", "--name-status", "-z", rev}));
    // --numstat -z: "ins\tdel\tpath\0" or "ins\tdel\t\0old\0new\0"; "-\t-\t" for binary.
    std::vector<std::string> num =
        NulFields(git.Git({"show", "--format=", "-M", "--numstat", "-z", rev}));
    std::map<std::string, std::string> expected_status;
    for (size_t k = 0; k < ns.size();) {
      std::string status = ns[k].substr(0, 1);
      bool two = status == "R" || status == "C";
      expected_status[ns[k + (two ? 2 : 1)]] = status;
      k += two ? 3 : 2;
    }
    std::map<std::string, std::string> expected_counts;
    for (size_t k = 0; k < num.size();) {
      std::string counts = num[k];
      size_t tab = counts.rfind('\t');
      std::string path = counts.substr(tab + 1);
      counts = counts.substr(0, tab);
      if (path.empty()) {
        path = num[k + 2];
        k += 3;
      } else {
        k += 1;
      }
      expected_counts[path] = counts;
    }
    ASSERT_EQ(files.size(), expected_status.size()) << rev << "\n" << info->patch;
    for (const FileDiff& f : files) {
      static const std::map<FileStatus, std::string> kLetter = {
          {FileStatus::kModified, "M"}, {FileStatus::kModeChange, "M"}, {FileStatus::kAdded, "A"},
          {FileStatus::kDeleted, "D"},  {FileStatus::kRenamed, "R"},    {FileStatus::kCopied, "C"}};
      EXPECT_EQ(kLetter.at(f.status), expected_status[f.path()]) << rev << " " << f.path();
      std::string counts =
          f.binary ? "-\t-" : std::to_string(f.insertions) + "\t" + std::to_string(f.deletions);
      EXPECT_EQ(counts, expected_counts[f.path()]) << rev << " " << f.path();
    }
  }
}

// Untrusted input: truncated and corrupted real patches give a result or a clean error.
TEST(DiffGitTest, CorruptedInputNeverCrashes) {
  GitSandbox git;
  ASSERT_TRUE(git.ok());
  ASSERT_TRUE(BuildVariedHistory(git));
  const std::string mbox = git.Git({"format-patch", "--stdout", "--binary", "--root", "HEAD"});
  std::mt19937 rng(42);
  const std::string noise = "-+ @\\\n\"\0ab/.:";
  for (int round = 0; round < 300; ++round) {
    std::string text = mbox.substr(0, rng() % mbox.size());
    for (int k = 0; k < 5 && !text.empty(); ++k)
      text[rng() % text.size()] = noise[rng() % noise.size()];
    EXPECT_TRUE(ComputePatchIds(text).ok());
    auto files = ParseDiff(text);
    if (!files.ok()) {
      EXPECT_FALSE(files.status().message().empty());
    }
    auto split = SplitMbox(text);
    if (split.ok()) {
      for (const std::string& mail : *split) {
        auto info = ParseMail(mail);
        if (info.ok()) {
          auto parsed = ParseDiff(info->patch);
          EXPECT_TRUE(parsed.ok() || !parsed.status().message().empty());
        }
      }
    }
  }
}

}  // namespace
}  // namespace vigil::patch
