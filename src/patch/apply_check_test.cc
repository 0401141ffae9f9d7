// The apply engine against the real git: every case is asked of `git apply --check` (with a
// temporary index on the same revision) and of `git am` (in a scratch worktree), and Vigil must
// give the same answer, the same tree, author and message.
#include "patch/apply_check.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "patch/apply_series.h"
#include "patch/patch_id.h"
#include "support/git_sandbox.h"
#include "support/varied_history.h"

namespace vigil::patch {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

/// What git says about one patch on top of PRECEDING on BASE.
struct GitVerdict {
  bool applies = false;
  bool reverse_applies = false;
  std::string err;
  int offset = 0;
};

GitVerdict AskGit(const std::string& repo, const std::string& base,
                  const std::vector<std::string>& preceding, const std::string& patch) {
  GitVerdict v;
  std::string index = repo + "/.oracle-index";
  std::map<std::string, std::string> env = {{"GIT_INDEX_FILE", index}};
  EXPECT_EQ(RunGit(repo, {"read-tree", base}, {}, env)->exit_code, 0);
  for (const std::string& p : preceding) {
    EXPECT_EQ(RunGit(repo, {"apply", "--cached"}, p, env)->exit_code, 0);
  }
  Result<GitOutput> fwd = RunGit(repo, {"apply", "--cached", "--check", "-v"}, patch, env);
  v.applies = fwd->exit_code == 0;
  v.err = fwd->err;
  size_t at = fwd->err.find("(offset ");
  if (at != std::string::npos) v.offset = std::atoi(fwd->err.c_str() + at + 8);
  if (!v.applies) {
    v.reverse_applies =
        RunGit(repo, {"apply", "--cached", "--check", "-R"}, patch, env)->exit_code == 0;
  }
  std::remove(index.c_str());
  return v;
}

Applicability Expected(const GitVerdict& v) {
  if (v.applies) return v.offset ? Applicability::kOffset : Applicability::kApplies;
  return v.reverse_applies ? Applicability::kAlreadyApplied : Applicability::kConflict;
}

/// The fields of `git cat-file -p COMMIT` that `git am` decides: tree, parent, author, message.
std::string AmFields(GitSandbox& git, const std::string& repo, const std::string& commit) {
  std::string raw = git.Git({"-C", repo, "cat-file", "-p", commit});
  std::string out;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t nl = raw.find('\n', pos);
    std::string line = raw.substr(pos, nl - pos);
    pos = nl == std::string::npos ? raw.size() : nl + 1;
    if (line.empty()) {
      out += "\n" + raw.substr(pos);
      break;
    }
    if (!line.starts_with("committer ")) out += line + "\n";
  }
  return out;
}

class ApplyCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(git_.ok());
    // The engine runs git with this process's environment: make it the sandbox's.
    setenv("HOME", git_.dir().c_str(), 1);
    setenv("XDG_CONFIG_HOME", (git_.dir() + "/.config").c_str(), 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_COMMITTER_NAME", "C O Mitter", 1);
    setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
    setenv("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z", 1);
    setenv("TZ", "UTC", 1);
  }

  std::vector<SeriesPatch> Read(const std::string& mbox) {
    Result<std::vector<SeriesPatch>> s = ReadSeries(mbox);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : std::vector<SeriesPatch>{};
  }

  std::unique_ptr<GitRepository> Open(const std::string& dir) {
    Result<std::unique_ptr<GitRepository>> r = GitRepository::Open(dir);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  /// Checks SERIES on BASE with both engines and compares each patch with git.
  void ExpectCheckLikeGit(GitRepository& repo, const std::vector<SeriesPatch>& series,
                          const std::string& base, const std::string& what) {
    Result<RevisionApplicability> ours = CheckSeries(repo, series, base);
    Result<RevisionApplicability> by_git = CheckSeries(repo, series, base, CheckEngine::kGit);
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    ASSERT_TRUE(by_git.ok()) << by_git.status().message();
    ASSERT_EQ(ours->patches.size(), series.size());
    std::vector<std::string> preceding;
    for (size_t i = 0; i < series.size(); ++i) {
      const PatchApplicability& a = ours->patches[i];
      EXPECT_EQ(a.verdict, by_git->patches[i].verdict) << what << " " << a.message;
      EXPECT_EQ(a.message, by_git->patches[i].message) << what;
      EXPECT_EQ(a.offset, by_git->patches[i].offset) << what;
      if (a.verdict == Applicability::kNotChecked) break;
      GitVerdict v = AskGit(repo.path(), base, preceding, series[i].mail.patch);
      EXPECT_EQ(a.verdict, Expected(v)) << what << ": " << a.message << "\ngit: " << v.err;
      EXPECT_EQ(a.offset, v.offset) << what;
      if (a.verdict == Applicability::kConflict && a.hunk > 0) {
        EXPECT_NE(v.err.find("error: patch failed: " + a.file + ":" + std::to_string(a.line)),
                  std::string::npos)
            << what << ": " << a.message << "\ngit: " << v.err;
      }
      if (!v.applies) break;
      preceding.push_back(series[i].mail.patch);
    }
  }

  /// Applies MBOX on BASE with Vigil and with `git am` in a scratch worktree; both must succeed
  /// or fail together, and the commits must have the same tree, parent, author and message.
  void ExpectApplyLikeAm(GitRepository& repo, const std::string& mbox, const std::string& base,
                         const std::string& what) {
    std::vector<SeriesPatch> series = Read(mbox);
    Result<AppliedSeries> ours = ApplySeries(repo, series, base);
    const std::string wt = git_.dir() + "/.am-worktree";
    if (!std::filesystem::exists(wt)) {
      ASSERT_EQ(git_.Git({"-C", repo.path(), "worktree", "add", "-q", "--detach", wt, base}), "");
    }
    git_.Git({"-C", wt, "checkout", "-q", "--detach", base});
    git_.Write(".am-input", mbox);
    int code = 0;
    git_.Git({"-C", wt, "am", "-q", git_.dir() + "/.am-input"}, "", &code);
    if (code != 0) {
      git_.Git({"-C", wt, "am", "--abort"});
      EXPECT_FALSE(ours.ok()) << what << ": git am failed but Vigil applied it";
      return;
    }
    ASSERT_TRUE(ours.ok()) << what << ": " << ours.status().message();
    std::string tip = Trim(git_.Git({"-C", wt, "rev-parse", "HEAD"}));
    ASSERT_EQ(ours->commits.size(), series.size());
    EXPECT_EQ(AmFields(git_, repo.path(), ours->commits.back()), AmFields(git_, wt, tip)) << what;
  }

  GitSandbox git_;
};

TEST_F(ApplyCheckTest, EveryKindOfChangeMatchesGit) {
  ASSERT_TRUE(BuildVariedHistory(git_));
  auto repo = Open(git_.dir());
  ASSERT_NE(repo, nullptr);
  std::string commits = git_.Git({"rev-list", "--reverse", "main"});
  std::vector<std::string> ids;
  for (size_t pos = 0; pos < commits.size(); pos = commits.find('\n', pos) + 1) {
    ids.push_back(commits.substr(pos, 40));
  }
  ASSERT_GE(ids.size(), 19u);
  for (size_t i = 1; i < ids.size(); ++i) {
    const std::string& c = ids[i];
    std::string mail = git_.Git({"format-patch", "-1", "--stdout", c});
    std::string what = git_.Git({"log", "-1", "--format=%s", c});
    std::vector<SeriesPatch> series = Read(mail);
    ASSERT_EQ(series.size(), 1u) << what;
    std::string git_id = git_.Git({"patch-id", "--stable"}, mail).substr(0, 40);
    EXPECT_EQ(series[0].patch_id, git_id) << what;
    ExpectCheckLikeGit(*repo, series, c + "^", what + " on its parent");
    ExpectCheckLikeGit(*repo, series, c, what + " on itself");
    ExpectCheckLikeGit(*repo, series, ids[0], what + " on the first commit");
    ExpectApplyLikeAm(*repo, mail, c + "^", what);
  }
}

TEST_F(ApplyCheckTest, OffsetConflictAndAlreadyApplied) {
  std::string lines;
  for (int i = 1; i <= 60; ++i) lines += "line " + std::to_string(i) + "\n";
  ASSERT_EQ(git_.Git({"init", "-q", "-b", "main"}), "");
  git_.Write("src/a.c", lines);
  ASSERT_TRUE(CommitAll(git_, true, "base"));
  git_.Git({"branch", "shifted"});
  git_.Git({"branch", "conflicting"});
  std::string fixed = lines;
  fixed.replace(fixed.find("line 40\n"), 8, "line forty (fixed)\n");
  git_.Write("src/a.c", fixed);
  ASSERT_TRUE(CommitAll(git_, true, "fix line 40"));
  std::string mail = git_.Git({"format-patch", "-1", "--stdout", "main"});

  git_.Git({"checkout", "-q", "shifted"});
  git_.Write("src/a.c", "new 1\nnew 2\nnew 3\nnew 4\nnew 5\n" + lines);
  ASSERT_TRUE(CommitAll(git_, true, "five lines on top"));
  git_.Git({"checkout", "-q", "conflicting"});
  std::string other = lines;
  other.replace(other.find("line 39\n"), 8, "line 39 changed elsewhere\n");
  git_.Write("src/a.c", other);
  ASSERT_TRUE(CommitAll(git_, true, "conflicting change"));
  git_.Git({"checkout", "-q", "main"});

  auto repo = Open(git_.dir());
  std::vector<SeriesPatch> series = Read(mail);
  auto check = [&](const std::string& rev) {
    Result<RevisionApplicability> r = CheckSeries(*repo, series, rev);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r->patches.at(0) : PatchApplicability{};
  };
  PatchApplicability shifted = check("shifted");
  EXPECT_EQ(shifted.verdict, Applicability::kOffset);
  EXPECT_EQ(shifted.offset, 5);
  PatchApplicability conflict = check("conflicting");
  EXPECT_EQ(conflict.verdict, Applicability::kConflict);
  EXPECT_EQ(conflict.message, "patch 1/1: hunk 1 of src/a.c does not apply at line 37");
  EXPECT_EQ(conflict.file, "src/a.c");
  EXPECT_EQ(conflict.hunk, 1);
  EXPECT_EQ(check("main").verdict, Applicability::kAlreadyApplied);
  EXPECT_EQ(check("main").message, "patch 1/1: already applied");
  EXPECT_EQ(check("main~1").verdict, Applicability::kApplies);
  for (const char* rev : {"shifted", "conflicting", "main", "main~1"}) {
    ExpectCheckLikeGit(*repo, series, rev, rev);
    ExpectApplyLikeAm(*repo, mail, rev, rev);
  }
}

TEST_F(ApplyCheckTest, SeriesWhoseLaterPatchesDependOnEarlierOnes) {
  ASSERT_EQ(git_.Git({"init", "-q", "-b", "main"}), "");
  git_.Write("a.txt", "one\ntwo\nthree\n");
  ASSERT_TRUE(CommitAll(git_, true, "base"));
  git_.Write("b.txt", "created by 1\n");
  ASSERT_TRUE(CommitAll(git_, true, "create b"));
  git_.Write("b.txt", "created by 1\nextended by 2\n");
  git_.Write("a.txt", "one\nTWO\nthree\n");
  ASSERT_TRUE(CommitAll(git_, true, "extend b, change a"));
  git_.Git({"mv", "b.txt", "c.txt"});
  git_.Write("c.txt", "created by 1\nextended by 2\nrenamed by 3\n");
  ASSERT_TRUE(CommitAll(git_, true, "rename b to c with a change"));
  std::string mbox = git_.Git({"format-patch", "--stdout", "main~3..main"});
  auto repo = Open(git_.dir());
  std::vector<SeriesPatch> series = Read(mbox);
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[1].Label(), "patch 2/3");

  Result<RevisionApplicability> base = CheckSeries(*repo, series, "main~3");
  ASSERT_TRUE(base.ok());
  EXPECT_TRUE(base->AllApply());
  ExpectCheckLikeGit(*repo, series, "main~3", "series on its base");
  ExpectApplyLikeAm(*repo, mbox, "main~3", "series on its base");

  // The second patch alone does not apply on the base: b.txt does not exist there.
  std::vector<SeriesPatch> second = {series[1]};
  Result<RevisionApplicability> alone = CheckSeries(*repo, second, "main~3");
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone->patches[0].verdict, Applicability::kConflict);
  EXPECT_EQ(alone->patches[0].message, "patch 2/3: b.txt: does not exist in index");

  // On main~2 the first patch is already there; the others still apply.
  Result<RevisionApplicability> partly = CheckSeries(*repo, series, "main~2");
  ASSERT_TRUE(partly.ok());
  EXPECT_EQ(partly->patches[0].verdict, Applicability::kAlreadyApplied);
  EXPECT_EQ(partly->patches[1].verdict, Applicability::kApplies);
  EXPECT_EQ(partly->patches[2].verdict, Applicability::kApplies);

  // A conflict in the first patch leaves the rest unchecked.
  git_.Git({"checkout", "-q", "-b", "taken", "main~3"});
  git_.Write("b.txt", "someone else's b\n");
  ASSERT_TRUE(CommitAll(git_, true, "another b"));
  Result<RevisionApplicability> taken = CheckSeries(*repo, series, "taken");
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->patches[0].message, "patch 1/3: b.txt: already exists in index");
  EXPECT_EQ(taken->patches[1].verdict, Applicability::kNotChecked);
  EXPECT_EQ(taken->patches[2].message, "patch 3/3: not checked: patch 1/3 does not apply");
  ExpectCheckLikeGit(*repo, series, "taken", "series on a branch that has b.txt");
}

TEST_F(ApplyCheckTest, BinaryPatchesWhosePostimageIsMissingAreCheckedByGit) {
  ASSERT_EQ(git_.Git({"init", "-q", "-b", "main"}), "");
  git_.Write("bin.dat", std::string("\x00\x01\x02old\x00", 8));
  git_.Write("t.txt", "text\n");
  ASSERT_TRUE(CommitAll(git_, true, "base"));
  git_.Git({"branch", "base"});
  git_.Write("bin.dat", std::string("\x00\x01\x02new contents\x00", 17));
  git_.Write("new.bin", std::string("\x00\xff", 2));
  ASSERT_TRUE(CommitAll(git_, true, "binary modify and add"));
  std::string mail = git_.Git({"format-patch", "-1", "--stdout", "main"});
  // A clone that has only the base branch lacks the new blobs.
  const std::string clone = git_.dir() + "/clone";
  git_.Git({"clone", "-q", "--no-local", "--single-branch", "-b", "base", git_.dir(), clone});
  auto repo = Open(clone);
  ASSERT_NE(repo, nullptr);
  std::vector<SeriesPatch> series = Read(mail);
  Result<RevisionApplicability> r = CheckSeries(*repo, series, "base");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->by_git);
  EXPECT_EQ(r->patches[0].verdict, Applicability::kApplies);
  ExpectCheckLikeGit(*repo, series, "base", "binary in a clone");
  // The clone's objects are untouched by the check: the new blob is still missing.
  EXPECT_EQ(git_.Git({"-C", clone, "cat-file", "-e", series[0].files[0].new_id}),
            "<git failed: -C " + clone + " cat-file -e " + series[0].files[0].new_id + ">");
  ExpectApplyLikeAm(*repo, mail, "base", "binary in a clone");
  // In the original repository the blobs exist: the in-process engine answers.
  auto origin = Open(git_.dir());
  Result<RevisionApplicability> here = CheckSeries(*origin, series, "base");
  ASSERT_TRUE(here.ok());
  EXPECT_FALSE(here->by_git);
  EXPECT_EQ(here->patches[0].verdict, Applicability::kApplies);
  Result<RevisionApplicability> again = CheckSeries(*origin, series, "main");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->patches[0].verdict, Applicability::kAlreadyApplied);
}

TEST_F(ApplyCheckTest, ApplyCreatesOnlyTheBranchAskedFor) {
  ASSERT_EQ(git_.Git({"init", "-q", "-b", "main"}), "");
  git_.Write("a.txt", "a\n");
  ASSERT_TRUE(CommitAll(git_, true, "base"));
  git_.Write("a.txt", "a\nb\n");
  ASSERT_TRUE(CommitAll(git_, true, "add b"));
  std::string mail = git_.Git({"format-patch", "-1", "--stdout", "main"});
  git_.Git({"reset", "-q", "--hard", "main~1"});
  git_.Write("untracked.txt", "mine\n");
  git_.Write("a.txt", "a\nlocal edit\n");
  auto repo = Open(git_.dir());
  std::vector<SeriesPatch> series = Read(mail);
  const std::string refs_before = git_.Git({"for-each-ref"});
  const std::string status_before = git_.Git({"status", "--porcelain"});

  Result<AppliedSeries> detached = ApplySeries(*repo, series, "main");
  ASSERT_TRUE(detached.ok()) << detached.status().message();
  EXPECT_EQ(git_.Git({"for-each-ref"}), refs_before);

  ApplyOptions options;
  options.branch = "fix/sec-1";
  Result<AppliedSeries> branched = ApplySeries(*repo, series, "main", options);
  ASSERT_TRUE(branched.ok()) << branched.status().message();
  EXPECT_EQ(Trim(git_.Git({"rev-parse", "fix/sec-1"})), branched->commits.back());
  EXPECT_EQ(git_.Git({"status", "--porcelain"}), status_before);
  EXPECT_EQ(GitSandbox::ReadFile(git_.dir() + "/a.txt"), "a\nlocal edit\n");

  Result<AppliedSeries> again = ApplySeries(*repo, series, "main", options);
  EXPECT_EQ(again.status().message(), "branch fix/sec-1 already exists");
  options.branch = "bad..name";
  EXPECT_EQ(ApplySeries(*repo, series, "main", options).status().message(),
            "invalid branch name \"bad..name\"");
  options.branch = "other";
  Result<AppliedSeries> twice = ApplySeries(*repo, series, "fix/sec-1", options);
  EXPECT_EQ(twice.status().message(), "patch 1/1: already applied");
  EXPECT_EQ(git_.Git({"show-ref", "--verify", "--quiet", "refs/heads/other"}),
            "<git failed: show-ref --verify --quiet refs/heads/other>");
  EXPECT_EQ(CheckSeries(*repo, series, "--all").status().message(), "invalid revision \"--all\"");
  EXPECT_EQ(CheckSeries(*repo, series, "nope").status().message(), "unknown revision \"nope\"");
  EXPECT_EQ(CheckSeries(*repo, series, "main:a.txt").status().message(),
            "unknown revision \"main:a.txt\"");
  EXPECT_EQ(git_.Git({"status", "--porcelain"}), status_before);
}

}  // namespace
}  // namespace vigil::patch
