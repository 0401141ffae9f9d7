// `vigil patch inspect|check|apply` as a user runs them on a real repository: results equal
// git's, bad input is refused with an exact message, and the repository is never touched by a
// refused or failing command.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "test_util.h"

namespace vigil::testing {
namespace {

class PatchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("HOME", dir_.path().c_str(), 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "A U Thor", 1);
    setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
    setenv("GIT_COMMITTER_NAME", "C O Mitter", 1);
    setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
    setenv("TZ", "UTC", 1);
    repo_ = dir_.path() + "/repo";
    Git({"init", "-q", "-b", "main", repo_});
    std::string lines;
    for (int i = 1; i <= 50; ++i) lines += "line " + std::to_string(i) + "\n";
    Write("repo/a.txt", lines);
    Commit("base");
    Git({"-C", repo_, "branch", "old"});
    lines.replace(lines.find("line 20\n"), 8, "line twenty\n");
    Write("repo/a.txt", lines);
    Git({"-C", repo_, "add", "-A"});
    Git({"-C", repo_, "commit", "-q",
         "--author=J\xc3\xb6rg \xc3\x85str\xc3\xb6m <jorg@example.com>", "-m",
         "Fix line 20\n\nThe twentieth line was wrong."});
    patch_ = Write("fix.patch", Git({"-C", repo_, "format-patch", "-1", "--stdout", "main"}));
    patch_date_ = Git({"-C", repo_, "log", "-1", "--format=%ad", "main"});
    patch_date_.pop_back();
    original_tree_ = Git({"-C", repo_, "rev-parse", "main^{tree}"});
    Git({"-C", repo_, "reset", "-q", "--hard", "main~1"});
    lines.replace(lines.find("line 19\n"), 8, "line nineteen\n");
    Git({"-C", repo_, "checkout", "-q", "-b", "diverged"});
    Write("repo/a.txt", lines);
    Commit("touch line 19");
    Git({"-C", repo_, "checkout", "-q", "main"});
    Write("repo/local.txt", "uncommitted\n");
  }

  std::string Git(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = vigil::testing::Run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  void Commit(const std::string& message) {
    Git({"-C", repo_, "add", "-A"});
    Git({"-C", repo_, "commit", "-q", "-m", message});
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  /// Refs, HEAD, index and work tree: everything a command must leave alone.
  std::string RepoState() {
    return Git({"-C", repo_, "for-each-ref"}) + Git({"-C", repo_, "rev-parse", "HEAD"}) +
           Git({"-C", repo_, "status", "--porcelain", "--untracked-files=all"}) +
           Git({"-C", repo_, "diff", "--cached"}) + Git({"-C", repo_, "diff"});
  }

  TempDir dir_;
  std::string repo_, patch_, patch_date_, original_tree_;
};

// The file commands run by both programs: the front (`vigil`, which runs them itself) and
// `vigil-full` (the complete program) must give the same answers byte for byte.
class PatchFileCommandTest : public PatchCliTest,
                             public ::testing::WithParamInterface<std::string> {
 protected:
  CommandResult RunPatch(const std::vector<std::string>& args, const std::string& in = "") {
    std::vector<std::string> argv = {GetParam()};
    argv.insert(argv.end(), args.begin(), args.end());
    return vigil::testing::Run(argv, in);
  }
};

TEST_P(PatchFileCommandTest, InspectShowsWhatGitSees) {
  CommandResult r = RunPatch({"patch", "inspect", "--json", patch_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(patch_);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CommandResult git_id = vigil::testing::Run({"git", "patch-id", "--stable"}, text);
  EXPECT_NE(r.out.find("\"patch_id\":\"" + git_id.out.substr(0, 40) + "\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"author\":{\"name\":\"J\xc3\xb6rg \xc3\x85str\xc3\xb6m\","
                       "\"email\":\"jorg@example.com\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"subject\":\"Fix line 20\""), std::string::npos);
  EXPECT_NE(r.out.find("\"message\":\"Fix line 20\\n\\nThe twentieth line was wrong.\\n\""),
            std::string::npos);
  EXPECT_NE(r.out.find("\"files\":[{\"path\":\"a.txt\",\"old_path\":\"a.txt\",\"status\":"
                       "\"modified\",\"insertions\":1,\"deletions\":1,\"binary\":false}]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"series\":{\"version\":1,\"index\":1,\"total\":1}"), std::string::npos);
  // Standard input works too; the text form names the patch.
  CommandResult stdin_run = RunPatch({"patch", "inspect", "-"}, text);
  EXPECT_EQ(stdin_run.exit_code, 0);
  EXPECT_EQ(stdin_run.out.rfind("patch 1/1  Fix line 20\n", 0), 0u) << stdin_run.out;
}

TEST_P(PatchFileCommandTest, CheckAnswersPerRevisionAndExitsNonZeroUnlessAllApply) {
  const std::string before = RepoState();
  CommandResult ok =
      RunPatch({"patch", "check", "--repo", repo_, "--onto", "main", "--onto", "old", patch_});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "main  patch 1/1  applies\nold  patch 1/1  applies\n");
  CommandResult bad = RunPatch({"patch", "check", "--repo", repo_, "--onto", "main", "--onto",
                                "diverged", "--json", patch_});
  EXPECT_EQ(bad.exit_code, 4) << bad.err;
  EXPECT_NE(bad.out.find("\"result\":\"conflict\",\"offset\":0,\"message\":\"patch 1/1: hunk 1 of "
                         "a.txt does not apply at line 17\",\"file\":\"a.txt\",\"hunk\":1,"
                         "\"line\":17"),
            std::string::npos)
      << bad.out;
  CommandResult unknown =
      RunPatch({"patch", "check", "--repo", repo_, "--onto", "--upload-pack=x", patch_});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "vigil: invalid revision \"--upload-pack=x\"\n");
  CommandResult none =
      RunPatch({"patch", "check", "--repo", dir_.path(), "--onto", "main", patch_});
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_EQ(none.err, "vigil: not a git repository: " + dir_.path() + "\n");
  EXPECT_EQ(RepoState(), before);
}

TEST_P(PatchFileCommandTest, ApplyCreatesTheCommitsOfGitAmAndMovesNothingElse) {
  const std::string before = RepoState();
  CommandResult r = RunPatch({"patch", "apply", "--repo", repo_, "--onto", "old", patch_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.size(), 41u);
  const std::string commit = r.out.substr(0, 40);
  EXPECT_EQ(RepoState(), before);
  // The author, date and message of the mail; the tree of the original commit.
  const std::string mail_date = patch_date_;
  EXPECT_EQ(Git({"-C", repo_, "show", "-s", "--format=%an <%ae> %ad|%B", commit}),
            "J\xc3\xb6rg \xc3\x85str\xc3\xb6m <jorg@example.com> " + mail_date +
                "|Fix line 20\n\nThe twentieth line was wrong.\n\n");
  EXPECT_EQ(Git({"-C", repo_, "rev-parse", commit + "^{tree}"}), original_tree_);

  CommandResult branch =
      RunPatch({"patch", "apply", "--repo", repo_, "--onto", "old", "--branch", "sec/fix", patch_});
  ASSERT_EQ(branch.exit_code, 0) << branch.err;
  EXPECT_EQ(Git({"-C", repo_, "rev-parse", "sec/fix"}), branch.out);

  const std::string with_branch = RepoState();
  CommandResult fail = RunPatch(
      {"patch", "apply", "--repo", repo_, "--onto", "diverged", "--branch", "sec/x", patch_});
  EXPECT_EQ(fail.exit_code, 4);
  EXPECT_EQ(fail.err, "vigil: patch 1/1: hunk 1 of a.txt does not apply at line 17\n");
  EXPECT_EQ(fail.out, "");
  EXPECT_EQ(RepoState(), with_branch);
}

// Every refused input: the exact message, exit code 2, and the repository untouched.
TEST_P(PatchFileCommandTest, BadInputIsRefusedExactlyAndNeverTouchesTheRepository) {
  std::ifstream in(patch_);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto replace = [&](std::string s, const std::string& from, const std::string& to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? s : s.replace(at, from.size(), to);
  };
  const std::string diff_at = "diff --git";
  struct Case {
    std::string name, input, message;
  };
  std::vector<Case> cases = {
      {"truncated mbox", good.substr(0, good.size() - 3),
       "mbox: message 1 is truncated: its last line has no newline"},
      {"cut in a hunk", good.substr(0, good.find("+line twenty")),
       "patch 1/1: hunk 1 of a.txt: wrong line count"},
      {"wrong hunk counts", replace(good, "@@ -17,7 +17,7 @@", "@@ -17,9 +17,7 @@"),
       "patch 1/1: hunk 1 of a.txt: wrong line count"},
      {"NUL byte", replace(good, "The twentieth", std::string("The\0twentieth", 13)),
       "message 1: contains a NUL byte"},
      {"unknown charset",
       replace(good, "Subject: [PATCH] Fix line 20",
               "Subject: =?x-no-such-charset?q?Fix_line_20?="),
       "message 1: cannot convert from x-no-such-charset to UTF-8"},
      {"dot-dot path",
       replace(
           replace(replace(good, "diff --git a/a.txt b/a.txt", "diff --git a/../a.txt b/../a.txt"),
                   "--- a/a.txt", "--- a/../a.txt"),
           "+++ b/a.txt", "+++ b/../a.txt"),
       "patch 1/1: path \"../a.txt\" has a \"..\" component"},
      {"absolute path",
       replace(replace(replace(good, "diff --git a/a.txt b/a.txt", "diff --git a//etc/x b//etc/x"),
                       "--- a/a.txt", "--- a//etc/x"),
               "+++ b/a.txt", "+++ b//etc/x"),
       "patch 1/1: path \"/etc/x\" is absolute"},
      {"no patch", "From: a@example.com\nSubject: hello\n\njust words\n",
       "message 1: no patch found"},
      {"empty", "", "mbox: input is empty"},
  };
  const std::string before = RepoState();
  for (const Case& c : cases) {
    const std::string file = Write("bad.patch", c.input);
    for (std::vector<std::string> args :
         {std::vector<std::string>{"patch", "inspect", file},
          {"patch", "check", "--repo", repo_, "--onto", "old", file},
          {"patch", "apply", "--repo", repo_, "--onto", "old", "--branch", "bad", file}}) {
      CommandResult r = RunPatch(args);
      EXPECT_EQ(r.exit_code, 2) << c.name << " " << args[1];
      EXPECT_EQ(r.err, "vigil: " + c.message + "\n") << c.name << " " << args[1];
    }
    EXPECT_EQ(RepoState(), before) << c.name;
  }
  // Size limits: 50 MiB by default, configurable.
  const std::string big = Write("big.patch", good + std::string((50u << 20), 'x'));
  CommandResult r = RunPatch({"patch", "apply", "--repo", repo_, "--onto", "old", big});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "vigil: input is over the limit of 52428800 bytes\n");
  r = RunPatch({"patch", "inspect", "--max-bytes", "100", patch_});
  EXPECT_EQ(r.err, "vigil: input is over the limit of 100 bytes\n");
  r = RunPatch({"patch", "inspect", "--max-bytes", "100", "-"}, good);
  EXPECT_EQ(r.err, "vigil: input is over the limit of 100 bytes\n");
  EXPECT_EQ(RepoState(), before);
}

INSTANTIATE_TEST_SUITE_P(Programs, PatchFileCommandTest,
                         ::testing::Values(std::string(VIGIL_BINARY),
                                           std::string(VIGIL_FULL_BINARY)),
                         [](const ::testing::TestParamInfo<std::string>& program) {
                           return program.param == VIGIL_BINARY ? "front" : "full";
                         });

}  // namespace
}  // namespace vigil::testing

namespace vigil::testing {
namespace {

// The workflow: a report, a patch uploaded through the API and the CLI, its applicability on
// master and the supported branch, an approval that moves the report to `approved`.
TEST_F(PatchCliTest, WorkflowThroughTheCliAndTheApi) {
  const std::string project = dir_.path() + "/project";
  const std::string token = InitProject(project, "path = \"" + repo_ +
                                                     "\"\nsupported_branches = [\"old\"]\n"
                                                     "master_branch = \"main\"");
  const std::string config = project + "/vigil.toml";
  auto vigil = [&](std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"-c", config});
    return RunVigil(args, in);
  };
  CommandResult submitted = vigil({"report", "submit", "--subject", "Leak", "--steps", "x"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  const std::string id = submitted.out.substr(0, submitted.out.find('\n'));
  ASSERT_EQ(vigil({"user", "add", "alice@example.org", "--role", "maintainer"}).exit_code, 0);
  ASSERT_EQ(vigil({"report", "assign", id, "--to", "alice@example.org"}).exit_code, 0);
  ASSERT_EQ(vigil({"report", "confirm", id}).exit_code, 0);
  ASSERT_EQ(vigil({"report", "classify", id, "--level", "1"}).exit_code, 0);

  CommandResult up = vigil({"patch", "submit", id, patch_});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.out.rfind("s1v1  main  by ", 0), 0u) << up.out;
  EXPECT_NE(up.out.find("  main: applies"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("  old: applies"), std::string::npos) << up.out;

  // The same series through the API is another series (no thread, no change-id).
  std::ifstream in(patch_);
  const std::string mbox((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ServerProcess server(config);
  ASSERT_TRUE(server.started());
  // (Http() always sends JSON; an upload is text.)
  HttpResult posted = HttpRaw(
      server.port(), "POST /api/v1/reports/" + id +
                         "/patches?branch=old HTTP/1.1\r\nHost: localhost\r\nAuthorization: "
                         "Bearer " +
                         token + "\r\nContent-Type: text/plain\r\nContent-Length: " +
                         std::to_string(mbox.size()) + "\r\nConnection: close\r\n\r\n" + mbox);
  EXPECT_EQ(posted.status, 201) << posted.body << posted.head;
  EXPECT_NE(posted.body.find("\"revision\":\"s2v1\""), std::string::npos) << posted.body;
  EXPECT_NE(posted.body.find("\"target_branch\":\"old\""), std::string::npos);
  HttpResult json_type =
      Http(server.port(), "POST", "/api/v1/reports/" + id + "/patches", "{}", token);
  EXPECT_EQ(json_type.status, 400) << json_type.body;
  HttpResult listed = Http(server.port(), "GET", "/api/v1/reports/" + id + "/patches", "", token);
  EXPECT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("\"applies\":true"), std::string::npos) << listed.body;
  EXPECT_EQ(server.Stop(SIGTERM), 0);

  // The author of the patch is not a maintainer here; alice approves it. Without a name of who
  // approves (an account), nothing is recorded.
  CommandResult nobody = vigil({"patch", "approve", id, "s1v1"});
  EXPECT_EQ(nobody.exit_code, 2);
  EXPECT_EQ(nobody.err,
            "vigil: say which maintainer approves: patch approve … --as ACCOUNT, vigil --as "
            "ACCOUNT, or [project] operator\n");
  CommandResult approved = vigil({"--as", "alice@example.org", "patch", "approve", id, "s1v1"});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  EXPECT_EQ(approved.out, id + " s1v1 approved by alice@example.org\n");
  CommandResult shown = vigil({"report", "show", id});
  EXPECT_NE(shown.out.find("state        approved"), std::string::npos) << shown.out;
  CommandResult again = vigil({"patch", "recheck", id, "--json"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("\"approved\":true"), std::string::npos);
  CommandResult events = vigil({"audit", "verify"});
  EXPECT_EQ(events.exit_code, 0) << events.err;
}

}  // namespace
}  // namespace vigil::testing

namespace vigil::testing {
namespace {

// The upload route accepts bodies up to [patch] max_bytes even when server.max_body_bytes is
// smaller; a larger upload (declared or chunked) is refused before its body is read, naming the
// limit that applied, and other routes keep the server's limit.
TEST_F(PatchCliTest, PatchUploadsHaveTheirOwnBodyLimit) {
  const std::string project = dir_.path() + "/project";
  const std::string token =
      InitProject(project, "path = \"" + repo_ +
                               "\"\nmaster_branch = \"main\"\nmax_body_bytes = 2048\n"
                               "max_bytes = 8192");
  const std::string config = project + "/vigil.toml";
  CommandResult submitted =
      RunVigil({"-c", config, "report", "submit", "--subject", "Leak", "--steps", "x"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  const std::string id = submitted.out.substr(0, submitted.out.find('\n'));

  // A valid patch of about 5 KiB: its commit message carries a long explanation.
  std::ifstream in(patch_);
  std::string mbox((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string explanation;
  while (explanation.size() < 4500) explanation += "The twentieth line was wrong, again.\n";
  mbox.insert(mbox.find("The twentieth line was wrong."), explanation + "\n");
  ASSERT_GT(mbox.size(), 4096u);
  ASSERT_LT(mbox.size(), 8192u);
  int port = 0;
  auto upload = [&](const std::string& headers, const std::string& body) {
    return HttpRaw(port, "POST /api/v1/reports/" + id +
                             "/patches HTTP/1.1\r\nHost: localhost\r\nAuthorization: "
                             "Bearer " +
                             token + "\r\nContent-Type: text/plain\r\n" + headers +
                             "Connection: close\r\n\r\n" + body);
  };
  ServerProcess server(config);
  ASSERT_TRUE(server.started());
  port = server.port();

  HttpResult ok = upload("Content-Length: " + std::to_string(mbox.size()) + "\r\n", mbox);
  EXPECT_EQ(ok.status, 201) << ok.body;
  EXPECT_NE(ok.body.find("\"revision\":\"s1v1\""), std::string::npos) << ok.body;

  const std::string too_large =
      "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"request body is larger than "
      "8192 bytes\"}}\n";
  // Declared too large: refused on the header alone (no body is sent at all).
  HttpResult declared = upload("Content-Length: 8193\r\n", "");
  EXPECT_EQ(declared.status, 413);
  EXPECT_EQ(declared.body, too_large);
  // Chunked, growing past the limit.
  std::string chunked;
  for (int i = 0; i < 3; ++i) chunked += "1000\r\n" + std::string(4096, 'x') + "\r\n";
  chunked += "0\r\n\r\n";
  HttpResult streamed = upload("Transfer-Encoding: chunked\r\n", chunked);
  EXPECT_EQ(streamed.status, 413);
  EXPECT_EQ(streamed.body, too_large);
  // Other routes keep server.max_body_bytes.
  HttpResult report = Http(port, "POST", "/api/v1/reports",
                           R"({"subject":"s","steps":")" + std::string(4000, 'x') + "\"}", token);
  EXPECT_EQ(report.status, 413);
  EXPECT_EQ(report.body,
            "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"request body is larger than "
            "2048 bytes\"}}\n");
  // The server still serves, and only the first upload was stored.
  HttpResult listed = Http(port, "GET", "/api/v1/reports/" + id + "/patches", "", token);
  EXPECT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("\"s1v1\""), std::string::npos) << listed.body;
  EXPECT_EQ(listed.body.find("\"s2v1\""), std::string::npos) << listed.body;
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace vigil::testing
