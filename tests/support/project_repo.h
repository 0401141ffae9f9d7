// The project repository the service tests work on: master with src/agent.c (30 numbered
// lines) and a supported branch release-1 whose line 10 differs, HEAD on master. Test-only;
// header-only.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "support/git_sandbox.h"

namespace vigil::testing {

/// Commits everything in GIT's work tree with MESSAGE.
inline void CommitAll(patch::GitSandbox& git, const std::string& message) {
  git.Git({"add", "-A"});
  EXPECT_EQ(git.Git({"commit", "-q", "-m", message}), "");
}

/// Makes the project in GIT's directory (with HOME there and no system git configuration) and
/// returns master's src/agent.c.
inline std::string MakeProjectRepo(patch::GitSandbox& git) {
  setenv("HOME", git.dir().c_str(), 1);
  setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  EXPECT_EQ(git.Git({"init", "-q", "-b", "master"}), "");
  std::string lines;
  for (int i = 1; i <= 30; ++i) lines += "line " + std::to_string(i) + "\n";
  git.Write("src/agent.c", lines);
  CommitAll(git, "base");
  git.Git({"branch", "release-1"});
  git.Git({"checkout", "-q", "release-1"});
  std::string old = lines;
  old.replace(old.find("line 10\n"), 8, "line ten (release)\n");
  git.Write("src/agent.c", old);
  CommitAll(git, "release tweak");
  git.Git({"checkout", "-q", "master"});
  return lines;
}

}  // namespace vigil::testing
