// BuildVariedHistory: a test repository whose history holds every kind of change that patch-id,
// mailinfo and the diff parser must handle like git. Test-only.
#pragma once

#include <string>

#include "support/git_sandbox.h"

namespace vigil::patch {

/// Commits everything in the work tree with `message`; returns `ok` and whether it worked.
inline bool CommitAll(GitSandbox& git, bool ok, const std::string& message) {
  git.Git({"add", "-A"});
  return ok && git.Git({"commit", "-q", "-m", message}).rfind("<git failed", 0) != 0;
}

/// Creates, in an empty sandbox, a repository on branch main with 19 commits: text edits,
/// addition, deletion, renames with and without changes, mode changes, empty files, binary
/// add/modify/delete, a file without a trailing newline, CRLF content, non-ASCII and
/// space-containing paths, a mixed commit and a non-ASCII author. Returns false if a git command
/// failed.
inline bool BuildVariedHistory(GitSandbox& git) {
  bool ok = true;

  if (git.Git({"init", "-q", "-b", "main"}) != "") return false;
  std::string lines;
  for (int i = 1; i <= 40; ++i) lines += "line " + std::to_string(i) + "\n";
  git.Write("a.txt", lines);
  git.Write("b.txt", "bee\n");
  git.Write("script.sh", "#!/bin/sh\necho hi\n");
  git.Write("nonl.txt", "no newline at end");
  git.Write("crlf.txt", "one\r\ntwo\r\nthree\r\n");
  git.Write("dir with space/file name.txt", "spaced\n");
  git.Write("\xc3\xbcnicode-\xc3\xa9.txt", "unicode path\n");
  git.Write("gone.txt", "to be deleted\n");
  git.Write("moved.txt", "moved as is\nline 2\nline 3\nline 4\n");
  git.Write("moved-edit.txt", "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\n");
  git.Write("bin.dat", std::string("\x00\x01\x02binary\x00\xff", 11));
  git.Write("gone.bin", std::string("\x00\x10\x20gone\x00", 9));
  git.Write("empty-gone", "");
  ok = CommitAll(git, ok, "initial");

  lines.replace(lines.find("line 2\n"), 7, "line two\n");
  lines.replace(lines.find("line 30\n"), 8, "line thirty\nextra\n");
  git.Write("a.txt", lines);
  ok = CommitAll(git, ok, "text edit with two hunks");
  git.Write("new.txt", "brand new\nfile\n");
  ok = CommitAll(git, ok, "addition");
  git.Git({"rm", "-q", "gone.txt"});
  ok = CommitAll(git, ok, "deletion");
  git.Git({"mv", "moved.txt", "renamed.txt"});
  ok = CommitAll(git, ok, "pure rename");
  git.Git({"mv", "moved-edit.txt", "renamed-edit.txt"});
  git.Write("renamed-edit.txt", "alpha\nbeta\ngamma\nDELTA\nepsilon\nzeta\neta\ntheta\n");
  ok = CommitAll(git, ok, "rename with change");
  git.SetExecutable("script.sh", true);
  ok = CommitAll(git, ok, "mode change only");
  git.SetExecutable("script.sh", false);
  ok = CommitAll(git, ok, "mode change back");
  git.Write("script.sh", "#!/bin/sh\necho hello\n");
  git.SetExecutable("script.sh", true);
  ok = CommitAll(git, ok, "mode change with content");
  git.Write("empty.txt", "");
  git.Git({"rm", "-q", "empty-gone"});
  ok = CommitAll(git, ok, "empty file added, empty file deleted");
  git.Write("new.bin", std::string("\x00\x01new binary\x00", 13));
  ok = CommitAll(git, ok, "binary add");
  git.Write("bin.dat", std::string("\x00\x01\x02binary changed\x00\xfe", 19));
  ok = CommitAll(git, ok, "binary modify");
  git.Git({"rm", "-q", "gone.bin"});
  ok = CommitAll(git, ok, "binary delete");
  git.Write("nonl.txt", "still no newline");
  ok = CommitAll(git, ok, "no trailing newline");
  git.Write("crlf.txt", "one\r\nTWO\r\nthree\r\n");
  ok = CommitAll(git, ok, "crlf content");
  git.Write("dir with space/file name.txt", "spaced out\n");
  git.Write("\xc3\xbcnicode-\xc3\xa9.txt", "unicode path \xe2\x9c\x93\n");
  ok = CommitAll(git, ok, "non-ASCII and space paths");
  git.Git({"mv", "renamed.txt", "renamed-again.txt"});
  git.SetExecutable("b.txt", true);
  git.Write("empty2.txt", "");
  git.Write("a.txt", "line 1\n" + lines.substr(7));
  git.Write("z-last.txt", "last\n");
  ok = CommitAll(git, ok, "mixed: rename, mode, empty, edits");
  git.Write("z-last.txt", "last\nbinary follows\n");
  git.Write("new.bin", std::string("\x00\x02changed again\x00", 16));
  ok = CommitAll(git, ok, "text then binary as the last file");
  git.Write("b.txt", "bee\nsting\n");
  git.Git({"add", "-A"});
  ok = ok &&
       git.Git({"commit", "-q", "--author=J\xc3\xb6rg \xc3\x85str\xc3\xb6m <jorg@example.com>",
                "-m", "[security] non-ASCII author\n\nBody with \xc3\xa9 and a long\nparagraph."})
               .rfind("<git failed", 0) != 0;
  return ok;
}

}  // namespace vigil::patch
