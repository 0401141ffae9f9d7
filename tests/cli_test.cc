// The `vigil` command as scripts use it: exit codes, messages, and tamper detection.
#include <gtest/gtest.h>

#include "test_util.h"

namespace vigil::testing {
namespace {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitProject(dir_.path());
    config_ = dir_.path() + "/vigil.toml";
    db_ = dir_.path() + "/data/vigil.db";
  }
  CommandResult Vigil(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"-c", config_});
    return RunVigil(args, in);
  }
  std::string Submit(const std::string& subject) {
    CommandResult r = Vigil({"report", "submit", "--subject", subject, "--steps", "run it"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  void Sql(const std::string& sql) {
    CommandResult r = vigil::testing::Run({"sqlite3", db_, sql});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // A report with 5 events: submitted, assigned, confirmed, 2 messages.
  std::string ReportWithHistory() {
    const std::string id = Submit("History");
    EXPECT_EQ(Vigil({"user", "add", "alice@example.org", "--role", "maintainer"}).exit_code, 0);
    EXPECT_EQ(Vigil({"report", "assign", id, "--to", "alice@example.org"}).exit_code, 0);
    EXPECT_EQ(Vigil({"report", "confirm", id}).exit_code, 0);
    EXPECT_EQ(Vigil({"report", "message", id, "--body", "one"}).exit_code, 0);
    EXPECT_EQ(Vigil({"report", "message", id, "--body", "-"}, "two\n").exit_code, 0);
    return id;
  }
  TempDir dir_;
  std::string config_, db_;
};

TEST_F(CliTest, InitIsIdempotent) {
  CommandResult again = RunVigil({"init", "--dir", dir_.path()});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("is already initialised (1 accounts)"), std::string::npos);
}

TEST_F(CliTest, WorkflowAndExitCodes) {
  const std::string id = Submit("Race in the agent");
  EXPECT_EQ(id, "SEC-" + id.substr(4, 4) + "-0001");
  CommandResult show = Vigil({"report", "show", id, "--json"});
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find("\"state\":\"received\""), std::string::npos);

  CommandResult missing = Vigil({"report", "show", "SEC-2026-9999"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.err, "vigil: report SEC-2026-9999 not found\n");

  CommandResult illegal = Vigil({"report", "confirm", id});
  EXPECT_EQ(illegal.exit_code, 4);
  EXPECT_EQ(illegal.err,
            "vigil: cannot confirm " + id + ": it is received; confirm needs triage\n");

  CommandResult no_maintainer = Vigil({"report", "assign", id, "--to", "x@example.org"});
  EXPECT_EQ(no_maintainer.exit_code, 2);
  EXPECT_EQ(no_maintainer.err,
            "vigil: x@example.org is not an active maintainer account and cannot coordinate\n");

  EXPECT_EQ(Vigil({"report", "classify", id, "--level", "9"}).exit_code, 2);
  EXPECT_EQ(Vigil({"report"}).exit_code, 2);
  EXPECT_EQ(Vigil({"report", "list", "--help"}).exit_code, 0);
  EXPECT_EQ(Vigil({"no-such-command"}).exit_code, 2);

  EXPECT_EQ(Vigil({"report", "reject", id, "--reason", "works as intended"}).exit_code, 0);
  CommandResult list = Vigil({"report", "list", "--state", "rejected"});
  EXPECT_NE(list.out.find(id), std::string::npos);

  CommandResult bad_config = RunVigil({"-c", dir_.path() + "/missing.toml", "report", "list"});
  EXPECT_EQ(bad_config.exit_code, 3);
}

TEST_F(CliTest, AuditVerifyPassesOnAnUntouchedDatabase) {
  ReportWithHistory();
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_NE(v.out.find("intact: 2 chains"), std::string::npos) << v.out;
}

TEST_F(CliTest, AuditVerifyNamesAnEditedEvent) {
  const std::string id = ReportWithHistory();
  Sql("UPDATE events SET payload = replace(payload, 'one', 'ONE') WHERE chain = '" + id +
      "' AND seq = 4");
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("BROKEN at " + id + " event 4: hash does not match its content"),
            std::string::npos)
      << v.err;
}

TEST_F(CliTest, AuditVerifyNamesADeletedEvent) {
  const std::string id = ReportWithHistory();
  Sql("DELETE FROM events WHERE chain = '" + id + "' AND seq = 2");
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("BROKEN at " + id + " event 2: missing (found event 3 in its place)"),
            std::string::npos)
      << v.err;
}

TEST_F(CliTest, AuditVerifyNamesReorderedEvents) {
  const std::string id = ReportWithHistory();
  Sql("UPDATE events SET seq = 100 WHERE chain = '" + id + "' AND seq = 3; " +
      "UPDATE events SET seq = 3 WHERE chain = '" + id + "' AND seq = 4; " +
      "UPDATE events SET seq = 4 WHERE chain = '" + id + "' AND seq = 100;");
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("BROKEN at " + id + " event 3: does not link to the event before it"),
            std::string::npos)
      << v.err;
}

TEST_F(CliTest, AuditVerifyNamesATruncatedChain) {
  const std::string id = ReportWithHistory();
  Sql("DELETE FROM events WHERE chain = '" + id + "' AND seq = 5");
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find(id + " event 5: missing"), std::string::npos) << v.err;
}

TEST_F(CliTest, TokensAndAccounts) {
  ASSERT_EQ(Vigil({"user", "add", "bob@example.org", "--role", "admin", "--password-stdin"},
                  "correct horse battery\n")
                .exit_code,
            0);
  CommandResult dup = Vigil({"user", "add", "bob@example.org"});
  EXPECT_EQ(dup.exit_code, 4);
  EXPECT_EQ(dup.err, "vigil: account bob@example.org already exists\n");
  CommandResult t = Vigil({"token", "create", "bob@example.org", "--label", "ci"});
  ASSERT_EQ(t.exit_code, 0);
  EXPECT_TRUE(t.out.starts_with("vgt_"));
  EXPECT_EQ(Vigil({"token", "revoke"}, t.out).exit_code, 0);
  EXPECT_EQ(Vigil({"token", "revoke"}, t.out).exit_code, 3);
  // No token ever reaches the database in clear.
  CommandResult dump = vigil::testing::Run({"sqlite3", db_, ".dump"});
  EXPECT_EQ(dump.out.find(t.out.substr(0, t.out.size() - 1)), std::string::npos);
}

}  // namespace
}  // namespace vigil::testing
