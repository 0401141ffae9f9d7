// The disclosure tests' fixture (tests/disclose_test.cc, tests/postgres_disclose_test.cc): a
// real repository with master and two supported branches (one needing the fix at an offset), a
// bare repository as the remote that logs its pushes, a loopback forge that records requests, and
// a project configured to disclose there; a level-1 report approved and scheduled through the
// CLI, and the checks that a disclosure happened once and exactly as `git am` would have made it.
// Test programs built with PROGRAM vigil-testing (VIGIL_TEST_NOW, crash points).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fake_forge.h"
#include "test_util.h"

namespace vigil::testing {

inline const std::string kSchemas = std::string(VIGIL_TESTDATA_DIR) + "/schemas";
inline const std::string kValidator = std::string(VIGIL_SOURCE_DIR) + "/tests/validate_schema.py";

inline std::string Read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

inline std::string Utc(time_t t) {
  char buf[32];
  tm tm{};
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// src/parse.c of the test project, 30 lines; the fix changes line 14.
inline std::string ParseC(const std::string& check) {
  std::string s = "#include \"parse.h\"\n\n";
  for (int i = 0; i < 10; ++i) s += "/* filler line " + std::to_string(i) + " */\n";
  s += "int parse_header(const char* buf, size_t len, size_t max) {\n";
  s += check;
  s += "    return -1;\n  return copy(buf, len);\n}\n";
  for (int i = 0; i < 10; ++i) s += "/* trailer line " + std::to_string(i) + " */\n";
  return s;
}

class DiscloseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    forge_ = std::make_unique<FakeForge>("acme/widget", "forge-token");
    home_ = dir_.path() + "/home";
    work_ = dir_.path() + "/widget";
    remote_ = dir_.path() + "/remote.git";
    std::filesystem::create_directories(home_);
    MakeRepositories();
    InitProject(dir_.path(),
                "supported_branches = [\"release-1.0\", \"release-1.1\"]\n"
                "maintainers = [\"alice@example.org\"]\n"
                "cna_org_id = \"b3476cb9-2e3d-41a6-98d0-0f47421a65b6\"\n"
                "cna_short_name = \"acme\"\n"
                "publisher_name = \"Acme Widgets\"\n"
                "publisher_namespace = \"https://acme.example\"\n"
                "package_name = \"acme.example/widget\"\n"
                "repository_url = \"https://github.com/acme/widget\"\n"
                "output_dir = \"published\"\n"
                "path = \"widget\"\n"
                "forge_api_url = \"" +
                    forge_->url() +
                    "\"\n"
                    "forge_repository = \"acme/widget\"\n"
                    "forge_token = \"forge-token\"\n"
                    "committer_name = \"Vigil\"\n"
                    "committer_email = \"vigil@acme.example\"\n");
    config_ = dir_.path() + "/vigil.toml";
    // The slot: the first Tuesday 15:30 UTC at least 8 days away (observers need 7 days).
    time_t t = time(nullptr) + 8 * 86400;
    tm tm{};
    gmtime_r(&t, &tm);
    t += ((2 - tm.tm_wday + 7) % 7) * 86400;
    gmtime_r(&t, &tm);
    t -= tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    slot_time_ = t + 15 * 3600 + 30 * 60;
    slot_ = Utc(slot_time_);
  }

  CommandResult Git(const std::string& repo, std::vector<std::string> args,
                    const std::string& in = "", const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {"env",
                                     "GIT_CONFIG_NOSYSTEM=1",
                                     "HOME=" + home_,
                                     "TZ=UTC",
                                     "GIT_COMMITTER_NAME=Maint",
                                     "GIT_COMMITTER_EMAIL=m@acme.example",
                                     "GIT_AUTHOR_NAME=Maint",
                                     "GIT_AUTHOR_EMAIL=m@acme.example"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {"git", "-C", repo});
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = vigil::testing::Run(argv, in);
    EXPECT_EQ(r.exit_code, 0) << "git " << args.front() << ": " << r.err;
    return r;
  }
  std::string GitOut(const std::string& repo, std::vector<std::string> args) {
    std::string out = Git(repo, std::move(args)).out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  void Commit(const std::string& message, const std::vector<std::string>& env = {}) {
    Git(work_, {"add", "-A"});
    Git(work_, {"commit", "-q", "-m", message}, "", env);
  }

  void MakeRepositories() {
    Git(dir_.path(), {"init", "-q", "-b", "master", work_});
    Write(work_ + "/src/parse.c", ParseC("  if (len > max)\n"));
    Commit("Initial parser", {"GIT_AUTHOR_DATE=2026-01-05T10:00:00Z"});
    Git(work_, {"branch", "release-1.1"});
    Git(work_, {"checkout", "-q", "-b", "release-1.0"});
    // The old release has a longer header: the fix lands 6 lines further down there.
    Write(work_ + "/src/parse.c",
          "/* Copyright the Widget authors.\n * Licensed under the Apache License 2.0.\n *\n"
          " * Old release line.\n */\n\n" +
              ParseC("  if (len > max)\n"));
    Commit("Licence header", {"GIT_AUTHOR_DATE=2026-01-06T10:00:00Z"});
    Git(work_, {"checkout", "-q", "master"});
    Write(work_ + "/README", "Widget\n");
    Commit("Add a README", {"GIT_AUTHOR_DATE=2026-01-07T10:00:00Z"});
    // The fix, by another author, in a time zone other than UTC, as format-patch mail.
    Git(work_, {"checkout", "-q", "-b", "fix"});
    const std::vector<std::string> fiona = {"GIT_AUTHOR_NAME=Fiona Fixer",
                                            "GIT_AUTHOR_EMAIL=fiona@example.org",
                                            "GIT_AUTHOR_DATE=2026-03-04T05:06:07+01:00"};
    Write(work_ + "/src/parse.c", ParseC("  if (len == 0 || len > max)\n"));
    Commit(
        "Reject over-long and empty headers\n\nA header longer than max overflowed the copy.\n"
        "Empty ones are refused too.",
        fiona);
    Write(work_ + "/tests/parse_test.c",
          "int main(void) { return parse_header(\"\", 0, 8) != -1; }\n");
    Commit("Test the header limits", fiona);
    mbox_ = Git(work_, {"format-patch", "--stdout", "master..fix"}).out;
    Write(dir_.path() + "/fix.mbox", mbox_);
    Git(work_, {"checkout", "-q", "master"});
    Git(work_, {"branch", "-q", "-D", "fix"});
    // The remote: a bare repository that logs every ref it receives.
    Git(dir_.path(), {"init", "-q", "--bare", remote_});
    Git(work_, {"remote", "add", "origin", remote_});
    Git(work_, {"push", "-q", "origin", "master", "release-1.0", "release-1.1"});
    Write(remote_ + "/hooks/post-receive", "#!/bin/sh\ncat >> \"$GIT_DIR/pushes.log\"\n");
    std::filesystem::permissions(remote_ + "/hooks/post-receive",
                                 std::filesystem::perms::owner_all);
  }

  CommandResult Vigil(std::vector<std::string> args, const std::string& now = "",
                      const std::vector<std::string>& env = {}, const std::string& in = "") {
    std::vector<std::string> argv = {"env"};
    if (!now.empty()) argv.push_back("VIGIL_TEST_NOW=" + now);
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {VIGIL_BINARY, "-c", config_});
    argv.insert(argv.end(), args.begin(), args.end());
    return vigil::testing::Run(argv, in);
  }
  void Ok(std::vector<std::string> args, const std::string& now = "") {
    CommandResult r = Vigil(args, now);
    EXPECT_EQ(r.exit_code, 0) << args.front() << " " << args[1] << ": " << r.err;
  }
  // Runs SQL on the project's database: its rows, a line each (columns joined by '|').
  virtual std::string Sql(const std::string& sql) {
    CommandResult r = vigil::testing::Run({"sqlite3", dir_.path() + "/data/vigil.db", sql});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // A level-1 report, with an observer, approved on master and both supported branches.
  std::string ApprovedReport() {
    Ok({"user", "add", "alice@example.org", "--role", "maintainer"});
    CommandResult sub = Vigil({"report", "submit", "--subject", "Heap overflow in parse_header",
                               "--steps", "SECRET-STEPS: send 70000 bytes", "--reporter-email",
                               "rita@example.org", "--reporter-name", "Rita R"});
    EXPECT_EQ(sub.exit_code, 0) << sub.err;
    const std::string id = sub.out.substr(0, sub.out.find('\n'));
    Ok({"report", "assign", id, "--to", "alice@example.org"});
    Ok({"report", "confirm", id});
    Ok({"report", "classify", id, "--level", "1"});
    Ok({"report", "invite", id, "--email", "olga@distro.example", "--role", "observer"});
    // The fix arrives through the patch engine as one series for master; it applies on both
    // supported branches (on release-1.0 at an offset), so alice's approval covers all three.
    CommandResult up = Vigil({"patch", "submit", id, dir_.path() + "/fix.mbox"});
    EXPECT_EQ(up.exit_code, 0) << up.err;
    EXPECT_NE(up.out.find("  release-1.0: applies"), std::string::npos) << up.out;
    CommandResult a = Vigil({"patch", "approve", id, "s1v1", "--as", "alice@example.org"});
    EXPECT_EQ(a.out, id + " s1v1 approved by alice@example.org\n") << a.err;
    CommandResult show = Vigil({"report", "show", id});
    EXPECT_NE(show.out.find("state        approved"), std::string::npos) << show.out;
    // The approval asked the fix's author how to credit her, by mail with her credit link
    // (sealed while it waits in the outbox).
    EXPECT_EQ(Sql("SELECT recipient || ' ' || (instr(body, '/credit/vigil-sealed-link:v1:') > 0) "
                  "FROM outbox WHERE kind = 'credit-request' AND report_id = '" +
                  id + "'"),
              "fiona@example.org 1\n");
    return id;
  }

  // Fills the advisory, gives consents and schedules the slot with alice on duty, confirmed.
  void Scheduled(const std::string& id, bool confirm = true) {
    Ok({"advisory", "edit", id, "--title", "Heap overflow in parse_header", "--summary",
        "An over-long header overflows the copy buffer.", "--cvss",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "--cwe",
        "CWE-122:Heap-based Buffer Overflow"});
    CommandResult show = Vigil({"advisory", "show", id});
    EXPECT_NE(show.out.find("reporter  Rita R <rita@example.org>  consent pending  (reporter)"),
              std::string::npos)
        << show.out;
    EXPECT_NE(show.out.find("remediation developer  Fiona Fixer <fiona@example.org>  consent "
                            "pending  (patch-author, asked by mail on "),
              std::string::npos)
        << show.out;
    Ok({"advisory", "credit", id, "--email", "rita@example.org", "--name", "Rita R", "--type",
        "reporter", "--consent", "named"});
    Ok({"advisory", "credit", id, "--email", "fiona@example.org", "--name", "Fiona Fixer", "--type",
        "remediation developer", "--consent", "named"});
    Ok({"advisory", "set-id", id, "CVE-2026-31337"});
    CommandResult s =
        Vigil({"plan", "schedule", id, "--slot", slot_, "--on-duty", "alice@example.org"});
    EXPECT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(s.err, "");  // a Tuesday 15:30 UTC slot and 7 days of notice: no warning
    if (confirm) {
      Ok({"plan", "confirm", id, "--as", "alice@example.org"}, Utc(slot_time_ - 2 * 3600));
    }
  }

  // The pushed branch security/ID-BRANCH equals what `git am` makes of the approved mails on
  // BRANCH: same trees, authors, author dates and messages, and the approved patch-ids.
  void ExpectPushedEqualsGitAm(const std::string& id, const std::string& branch) {
    SCOPED_TRACE(branch);
    const std::string check = dir_.path() + "/am-" + branch;
    Git(dir_.path(), {"clone", "-q", "-b", branch, remote_, check});
    Git(check, {"am", "-q", dir_.path() + "/fix.mbox"}, "",
        {"GIT_COMMITTER_NAME=Am", "GIT_COMMITTER_EMAIL=am@example.org"});
    const std::string pushed = "origin/security/" + id + "-" + branch;
    Git(check, {"fetch", "-q", "origin"});
    const std::string format = "--format=%T%n%an <%ae>%n%ad%n%B%x00";
    EXPECT_EQ(GitOut(check, {"log", "--date=raw", format, "-2", pushed}),
              GitOut(check, {"log", "--date=raw", format, "-2", "HEAD"}));
    EXPECT_EQ(GitOut(check, {"rev-parse", pushed + "~2"}),
              GitOut(check, {"rev-parse", "origin/" + branch}));
    const std::string approved_ids = Git(check, {"patch-id", "--stable"}, mbox_).out;
    std::string pushed_ids;
    for (const std::string& c : {pushed + "~1", pushed}) {
      const std::string mail = Git(check, {"format-patch", "-1", "--stdout", c}).out;
      pushed_ids += Git(check, {"patch-id", "--stable"}, mail).out;
    }
    std::vector<std::string> a = Lines(approved_ids), p = Lines(pushed_ids);
    ASSERT_EQ(a.size(), 2u);
    ASSERT_EQ(p.size(), 2u);
    for (size_t i = 0; i < 2; ++i) EXPECT_EQ(a[i].substr(0, 40), p[i].substr(0, 40));
  }

  void ExpectDisclosed(const std::string& id) {
    CommandResult show = Vigil({"report", "show", id, "--json"});
    EXPECT_NE(show.out.find("\"state\":\"disclosed\""), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("\"lifted\""), std::string::npos) << show.out;
    // One issue, one pull request per branch, one push per branch.
    EXPECT_EQ(forge_->Count("POST", "/repos/acme/widget/issues"), 1);
    EXPECT_EQ(forge_->Count("POST", "/repos/acme/widget/pulls"), 3);
    std::vector<std::string> pulls;
    for (const FakeForge::Item& item : forge_->items()) {
      if (item.pull) pulls.push_back(item.head + " -> " + item.base);
      if (!item.pull) {
        EXPECT_EQ(item.title, "Heap overflow in parse_header");
        EXPECT_NE(item.body.find("<!-- vigil:" + id + " -->"), std::string::npos);
        EXPECT_EQ(item.body.find("SECRET-STEPS"), std::string::npos);
      }
    }
    std::sort(pulls.begin(), pulls.end());
    EXPECT_EQ(pulls, (std::vector<std::string>{"security/" + id + "-master -> master",
                                               "security/" + id + "-release-1.0 -> release-1.0",
                                               "security/" + id + "-release-1.1 -> release-1.1"}));
    const std::vector<std::string> pushes = Lines(Read(remote_ + "/pushes.log"));
    EXPECT_EQ(pushes.size(), 3u) << Read(remote_ + "/pushes.log");
    for (const char* branch : {"master", "release-1.0", "release-1.1"}) {
      ExpectPushedEqualsGitAm(id, branch);
    }
    // The advisory files validate; the feed lists the record.
    const std::string out = dir_.path() + "/published/";
    CommandResult v = vigil::testing::Run(
        {"/usr/bin/python3", kValidator, kSchemas, "osv", out + "CVE-2026-31337.osv.json", "cve",
         out + "CVE-2026-31337.cve.json", "csaf", out + "CVE-2026-31337.csaf.json", "osv",
         out + "osv/CVE-2026-31337.json"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_NE(Read(out + "CVE-2026-31337.md").find("Fiona Fixer"), std::string::npos);
    const std::vector<std::string> feed = Lines(Read(out + "osv/modified_id.csv"));
    ASSERT_EQ(feed.size(), 1u);
    EXPECT_TRUE(feed[0].ends_with(",CVE-2026-31337")) << feed[0];
    const std::string osv = Read(out + "CVE-2026-31337.osv.json");
    const std::string master_head =
        GitOut(work_, {"rev-parse", "refs/heads/security/" + id + "-master"});
    EXPECT_NE(osv.find(master_head), std::string::npos) << osv;
    // Everyone on the report was told once.
    EXPECT_EQ(Sql("SELECT recipient FROM outbox WHERE kind = 'disclosed' ORDER BY recipient"),
              "alice@example.org\nolga@distro.example\nrita@example.org\n");
    EXPECT_EQ(Sql("SELECT public_view FROM disclosure_plans WHERE report_id = '" + id + "'"),
              "1\n");
  }

  TempDir dir_;
  std::unique_ptr<FakeForge> forge_;
  std::string home_, work_, remote_, config_, mbox_, slot_;
  time_t slot_time_ = 0;
};

}  // namespace vigil::testing
