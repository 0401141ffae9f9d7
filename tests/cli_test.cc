// The `vigil` command as scripts use it: exit codes, messages, and tamper detection.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "core/time.h"

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
  std::string SqlValue(const std::string& sql) {
    CommandResult r = vigil::testing::Run({"sqlite3", db_, sql});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  std::string LogPath() const { return dir_.path() + "/data/audit-checkpoints.log"; }
  std::vector<std::string> LogLines() {
    std::ifstream in(LogPath());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  void WriteLog(const std::vector<std::string>& lines) {
    std::ofstream out(LogPath(), std::ios::trunc);
    for (const std::string& line : lines) out << line << "\n";
  }
  // Sets [audit] mail_to in vigil.toml.
  void SetAuditMailTo(const std::string& address) {
    std::ifstream in(config_);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const size_t at = text.find("\nmail_to = \"");
    ASSERT_NE(at, std::string::npos);
    const size_t end = text.find('\n', at + 1);
    text.replace(at, end - at, "\nmail_to = \"" + address + "\"");
    std::ofstream(config_, std::ios::trunc) << text;
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

// Issue 20 item 4: without USER (cron, service managers) a CLI action is signed with the login
// name of the uid, never a bare number.
TEST_F(CliTest, ActionsWithoutUserAreSignedWithTheLoginName) {
  const std::string id = Submit("Signed");
  CommandResult posted = vigil::testing::Run(
      {"env", "-u", "USER", VIGIL_BINARY, "-c", config_, "report", "message", id, "--body", "hi"});
  ASSERT_EQ(posted.exit_code, 0) << posted.err;
  const passwd* pw = getpwuid(getuid());
  ASSERT_NE(pw, nullptr);
  const std::string shown = Vigil({"report", "show", id}).out;
  EXPECT_NE(shown.find("--- #1 maintainer " + std::string(pw->pw_name) + " "), std::string::npos)
      << shown;
}

// `--as ACCOUNT`, else [project] operator, names who acted; an account that does not exist (or
// is disabled) is refused before anything is done.
TEST_F(CliTest, ActionsAreAttributedToTheAccountOfAsOrTheConfiguredOperator) {
  const std::string id = Submit("Attributed");
  ASSERT_EQ(
      Vigil({"user", "add", "alice@example.org", "--name", "Alice Liddell", "--role", "maintainer"})
          .exit_code,
      0);
  ASSERT_EQ(Vigil({"user", "add", "bob@example.org", "--role", "maintainer"}).exit_code, 0);
  ASSERT_EQ(Vigil({"report", "assign", id, "--to", "alice@example.org"}).exit_code, 0);
  CommandResult as = Vigil({"--as", "Alice@Example.org", "report", "message", id, "--body", "hi"});
  ASSERT_EQ(as.exit_code, 0) << as.err;
  std::string shown = Vigil({"report", "show", id}).out;
  EXPECT_NE(shown.find("--- #1 maintainer alice@example.org "), std::string::npos) << shown;
  EXPECT_EQ(SqlValue("SELECT actor FROM events WHERE kind = 'message.posted'"),
            "cli:alice@example.org");

  CommandResult nobody =
      Vigil({"--as", "nobody@example.org", "report", "message", id, "--body", "never written"});
  EXPECT_EQ(nobody.exit_code, 3);
  EXPECT_EQ(nobody.err,
            "vigil: no active account nobody@example.org to act as (--as); `vigil user list` "
            "shows the accounts\n");
  EXPECT_EQ(Vigil({"report", "show", id}).out.find("never written"), std::string::npos);

  // The configured operator, for every command without --as.
  {
    std::ifstream in(config_);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const size_t at = text.find("\noperator = \"\"");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 15, "\noperator = \"bob@example.org\"");
    std::ofstream(config_, std::ios::trunc) << text;
  }
  ASSERT_EQ(Vigil({"report", "message", id, "--body", "from bob"}).exit_code, 0);
  shown = Vigil({"report", "show", id}).out;
  EXPECT_NE(shown.find("--- #2 maintainer bob@example.org "), std::string::npos) << shown;
  EXPECT_EQ(SqlValue("SELECT actor FROM events WHERE kind = 'message.posted' ORDER BY time DESC, "
                     "seq DESC LIMIT 1"),
            "cli:bob@example.org");
  // Once the account is disabled, nothing is done in its name.
  ASSERT_EQ(Vigil({"--as", "alice@example.org", "user", "disable", "bob@example.org"}).exit_code,
            0);
  CommandResult disabled = Vigil({"report", "message", id, "--body", "not any more"});
  EXPECT_EQ(disabled.exit_code, 3);
  EXPECT_EQ(disabled.err,
            "vigil: no active account bob@example.org to act as ([project] operator); `vigil user "
            "list` shows the accounts\n");
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

// The signed checkpoint log (THREAT-MODEL: audit): what the hash chains alone cannot see.
TEST_F(CliTest, AuditVerifyWithTheCheckpointLogPassesOnAnUntouchedDatabase) {
  Submit("Untouched");
  ASSERT_GE(LogLines().size(), 2u);  // `vigil init` and the submission each left one
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.err, "");
  EXPECT_NE(v.out.find("intact: 2 chains"), std::string::npos) << v.out;
}

TEST_F(CliTest, AuditVerifyNamesTheDeletedLastEventOfTheSystemChain) {
  Submit("System chain");
  const std::string last = SqlValue("SELECT MAX(seq) FROM events WHERE chain = '-'");
  Sql("DELETE FROM events WHERE chain = '-' AND seq = " + last);
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("BROKEN at - event " + last + ": missing (checkpoint "), std::string::npos)
      << v.err;
  EXPECT_NE(v.err.find(" recorded event " + last + ")\n"), std::string::npos) << v.err;
}

TEST_F(CliTest, AuditVerifyNamesTheDeletedLastEventOfAReportWithItsVersionLowered) {
  const std::string id = ReportWithHistory();
  Sql("DELETE FROM events WHERE chain = '" + id +
      "' AND seq = 5; UPDATE reports SET version = 4 "
      "WHERE id = '" +
      id + "'");
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("BROKEN at " + id + " event 5: missing (checkpoint "), std::string::npos)
      << v.err;
  EXPECT_NE(v.err.find(" recorded event 5)\n"), std::string::npos) << v.err;
  // No later command signs the shortened database.
  EXPECT_NE(v.err.find("vigil: audit checkpoint not written: " + LogPath() +
                       ": the database has fewer events than checkpoint "),
            std::string::npos)
      << v.err;
  EXPECT_EQ(Vigil({"audit", "verify"}).exit_code, 5);
}

// Projections edited behind the events' back (THREAT-MODEL L5): each chain recorded the digests
// of the rows it wrote, so an inserted or edited row is named though every chain links.
TEST_F(CliTest, AuditVerifyNamesAParticipantInsertedWithAChosenTokenHash) {
  const std::string id = ReportWithHistory();
  const std::string position =
      SqlValue("SELECT MAX(position) + 1 FROM participants WHERE report_id = '" + id + "'");
  Sql("INSERT INTO participants (report_id, position, email, name, role, added_at, added_by, "
      "token_hash, bouncing) VALUES ('" +
      id + "', " + position +
      ", 'mallory@evil.example', '', 'maintainer', 0, '', "
      "'0000000000000000000000000000000000000000000000000000000000000001', 0)");
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(
      v.err.find("BROKEN at participants row " + id + "/" + position + ": no event records it\n"),
      std::string::npos)
      << v.err;
}

TEST_F(CliTest, AuditVerifyNamesAReportStateEditedInItsTable) {
  const std::string id = ReportWithHistory();
  const std::string version = SqlValue("SELECT version FROM reports WHERE id = '" + id + "'");
  Sql("UPDATE reports SET state = 'closed' WHERE id = '" + id + "'");
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("BROKEN at reports row " + id + ": differs from what " + id + " event " +
                       version + " recorded\n"),
            std::string::npos)
      << v.err;
}

TEST_F(CliTest, AuditVerifyNamesAnAccountMadeAdminInItsTable) {
  ASSERT_EQ(Vigil({"user", "add", "eve@example.org", "--role", "member"}).exit_code, 0);
  Sql("UPDATE accounts SET role = 'admin' WHERE email = 'eve@example.org'");
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("BROKEN at accounts row eve@example.org: differs from what - event "),
            std::string::npos)
      << v.err;
}

TEST_F(CliTest, AuditVerifyNamesAnEditedOrRemovedCheckpoint) {
  ReportWithHistory();
  const std::vector<std::string> lines = LogLines();
  ASSERT_GE(lines.size(), 4u);
  std::vector<std::string> edited = lines;
  edited[2].replace(edited[2].find("\"time\":\"2"), 9, "\"time\":\"1");
  WriteLog(edited);
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("vigil: audit checkpoint log BROKEN: " + LogPath() +
                       " line 3: signature does not verify\n"),
            std::string::npos)
      << v.err;

  std::vector<std::string> removed = lines;
  removed.erase(removed.begin() + 1);
  WriteLog(removed);
  v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("vigil: audit checkpoint log BROKEN: " + LogPath() +
                       " line 2: does not link to line 1\n"),
            std::string::npos)
      << v.err;
}

TEST_F(CliTest, AuditVerifyWithoutALogWarnsThatACutTailCannotBeSeen) {
  Submit("No log");
  std::remove(LogPath().c_str());
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.err, "vigil: no checkpoint log at " + LogPath() +
                       ": a deleted tail of a chain cannot be detected\n");
  // That command started a new log; a forced checkpoint extends it.
  CommandResult c = Vigil({"audit", "checkpoint"});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out, "checkpoint 2 written to " + LogPath() + " (0 chains moved)\n");
  EXPECT_EQ(Vigil({"audit", "verify"}).err, "");
}

// [audit] mail_to (THREAT-MODEL L4): someone who holds the server deletes a report with its
// events, then replaces the checkpoint log and its key, so the server's own verify passes. The
// lines mailed before, checked with the key the auditor pinned, still name the cut chain.
TEST_F(CliTest, TheMailedCopyOfTheCheckpointLogNamesWhatTheServerCopyNoLongerShows) {
  SetAuditMailTo("audit@example.net");
  const std::string id = ReportWithHistory();
  CommandResult c = Vigil({"audit", "checkpoint"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const size_t n = LogLines().size();
  EXPECT_NE(c.out.find("checkpoints 1 to " + std::to_string(n) +
                       " queued for mail to audit@example.net (1 mail)\n"),
            std::string::npos)
      << c.out;
  EXPECT_EQ(Vigil({"audit", "checkpoint"}).out,
            "checkpoint " + std::to_string(n + 1) + " written to " + LogPath() +
                " (0 chains moved)\ncheckpoints " + std::to_string(n + 1) + " to " +
                std::to_string(n + 1) + " queued for mail to audit@example.net (1 mail)\n");
  CommandResult key = Vigil({"audit", "public-key"});
  ASSERT_EQ(key.exit_code, 0);
  ASSERT_EQ(key.out.size(), 65u);
  const std::string pinned = key.out.substr(0, 64);
  // The auditor's copy: the lines of every mail, in order.
  CommandResult bodies = vigil::testing::Run(
      {"sqlite3", db_, "SELECT body FROM outbox WHERE kind = 'audit-checkpoints' ORDER BY id"});
  ASSERT_EQ(bodies.exit_code, 0) << bodies.err;
  std::string copy_text;
  for (size_t at = bodies.out.find("-----BEGIN VIGIL AUDIT CHECKPOINTS"); at != std::string::npos;
       at = bodies.out.find("-----BEGIN VIGIL AUDIT CHECKPOINTS", at + 1)) {
    const size_t from = bodies.out.find('\n', at) + 1;
    copy_text += bodies.out.substr(from, bodies.out.find("-----END", from) - from);
  }
  std::string server_text;
  for (const std::string& line : LogLines()) server_text += line + "\n";
  ASSERT_EQ(copy_text, server_text);
  const std::string copy = dir_.path() + "/auditor-copy.log";
  std::ofstream(copy) << copy_text;
  CommandResult intact =
      Vigil({"audit", "verify", "--checkpoint-log", copy, "--public-key", pinned});
  EXPECT_EQ(intact.exit_code, 0) << intact.err;

  // The report and its events go, then the log and the key, and a new checkpoint is signed.
  SetAuditMailTo("");
  Sql("DELETE FROM events WHERE chain LIKE '%" + id + "%'; DELETE FROM participants WHERE " +
      "report_id = '" + id + "'; DELETE FROM messages WHERE report_id = '" + id +
      "'; DELETE FROM outbox WHERE report_id = '" + id + "'; DELETE FROM reports WHERE id = '" +
      id + "'");
  std::remove(LogPath().c_str());
  std::remove((dir_.path() + "/data/audit.key").c_str());
  ASSERT_EQ(Vigil({"audit", "checkpoint"}).exit_code, 0);
  CommandResult forged = Vigil({"audit", "verify"});
  EXPECT_EQ(forged.exit_code, 0) << forged.err;
  EXPECT_EQ(forged.err, "");

  CommandResult v = Vigil({"audit", "verify", "--checkpoint-log", copy, "--public-key", pinned});
  EXPECT_EQ(v.exit_code, 5);
  EXPECT_NE(v.err.find("BROKEN at " + id + " event 1: missing (checkpoint "), std::string::npos)
      << v.err;
  // With the key now on the server, the copy's lines do not verify.
  CommandResult rekeyed = Vigil({"audit", "verify", "--checkpoint-log", copy});
  EXPECT_EQ(rekeyed.exit_code, 5);
  EXPECT_EQ(rekeyed.err,
            "vigil: audit checkpoint log BROKEN: " + copy + " line 1: signature does not verify\n");
  CommandResult bad_key =
      Vigil({"audit", "verify", "--checkpoint-log", copy, "--public-key", "zz"});
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_EQ(bad_key.err, "vigil: --public-key: an Ed25519 public key is 64 hex digits\n");
  CommandResult no_copy = Vigil({"audit", "verify", "--checkpoint-log", dir_.path() + "/none.log"});
  EXPECT_EQ(no_copy.exit_code, 3);
  EXPECT_EQ(no_copy.err, "vigil: no checkpoint log at " + dir_.path() + "/none.log\n");
}

TEST_F(CliTest, AnAuditKeyOthersCanReadIsRefused) {
  const std::string key = dir_.path() + "/data/audit.key";
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 64);
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"audit", "verify"}, {"report", "list"}}) {
    CommandResult v = Vigil(args);
    EXPECT_EQ(v.exit_code, 2);
    EXPECT_EQ(v.err, "vigil: " + key +
                         ": the audit key file must be readable by its owner only (mode 0644); "
                         "run chmod 600 " +
                         key + "\n");
  }
}

TEST_F(CliTest, RestoreWritesAResetCheckpoint) {
  Submit("Before the backup");
  const std::string backup = dir_.path() + "/backup.db";
  ASSERT_EQ(Vigil({"backup", backup}).exit_code, 0);
  const std::string later = Submit("After the backup");
  CommandResult r = Vigil({"restore", backup});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t n = LogLines().size();
  EXPECT_NE(r.out.find("vigil: checkpoint " + std::to_string(n) + " written to " + LogPath() +
                       " (2 chains after the restore)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(LogLines().back().find("\"reset\":true"), std::string::npos);
  // The report submitted after the backup is gone, and the log says so no more.
  CommandResult v = Vigil({"audit", "verify"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(Vigil({"report", "show", later}).exit_code, 3);
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
  // Two-factor reset (for a lost device) names what it cannot do.
  CommandResult reset = Vigil({"user", "totp-reset", "bob@example.org"});
  EXPECT_EQ(reset.exit_code, 3);
  EXPECT_EQ(reset.err, "vigil: bob@example.org has no two-factor login to reset\n");
  reset = Vigil({"user", "totp-reset", "nobody@example.org"});
  EXPECT_EQ(reset.exit_code, 3);
  EXPECT_EQ(reset.err, "vigil: account nobody@example.org not found\n");
}

// `vigil token list` prints one line per token: id, account, state, created, expires, label.
TEST_F(CliTest, TokensExpireByDefaultAndAreListedAndRevokedById) {
  auto rows = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"token", "list"});
    CommandResult r = Vigil(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::vector<std::string>> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      out.emplace_back();
      for (std::string w; words >> w;) out.back().push_back(w);
    }
    return out;
  };
  auto days = [](const std::string& from, const std::string& to) {
    return (*ParseUtc(to) - *ParseUtc(from)) / kMicrosPerDay;
  };
  // The first admin's token from `vigil init` expires after web.api_token_days (90).
  std::vector<std::vector<std::string>> all = rows({});
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].size(), 6u);
  EXPECT_EQ(all[0][0].size(), 12u);
  EXPECT_EQ(all[0][2], "live");
  EXPECT_EQ(days(all[0][3], all[0][4]), 90);
  EXPECT_EQ(all[0][5], "initial");

  ASSERT_EQ(Vigil({"user", "add", "bob@example.org", "--role", "member"}).exit_code, 0);
  CommandResult ci = Vigil({"token", "create", "bob@example.org", "--label", "ci"});
  ASSERT_EQ(ci.exit_code, 0);
  EXPECT_EQ(ci.err, "");
  CommandResult week =
      Vigil({"token", "create", "bob@example.org", "--label", "week", "--expires-days", "7"});
  ASSERT_EQ(week.exit_code, 0);
  EXPECT_EQ(week.err, "");
  // A token that never expires must be asked for, and is said aloud.
  CommandResult forever =
      Vigil({"token", "create", "bob@example.org", "--label", "forever", "--expires-days", "0"});
  ASSERT_EQ(forever.exit_code, 0);
  EXPECT_TRUE(forever.out.starts_with("vgt_"));
  const std::string prefix = "vigil: warning: API token ";
  ASSERT_TRUE(forever.err.starts_with(prefix)) << forever.err;
  const std::string forever_id = forever.err.substr(prefix.size(), 12);
  EXPECT_EQ(forever.err, prefix + forever_id +
                             " never expires; revoke it when it is no longer needed (vigil token "
                             "revoke --id " +
                             forever_id + ")\n");

  std::vector<std::vector<std::string>> bob = rows({"bob@example.org"});
  ASSERT_EQ(bob.size(), 3u);
  EXPECT_EQ(bob[0][1], "bob@example.org");
  EXPECT_EQ(bob[0][5], "ci");
  EXPECT_EQ(days(bob[0][3], bob[0][4]), 90);
  EXPECT_EQ(days(bob[1][3], bob[1][4]), 7);
  EXPECT_EQ(bob[2][0], forever_id);
  EXPECT_EQ(bob[2][4], "never");
  EXPECT_EQ(rows({}).size(), 4u);

  // --json gives the same tokens, with null for "never" and no hash beyond the id.
  CommandResult json = Vigil({"token", "list", "bob@example.org", "--json"});
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_TRUE(json.out.starts_with("{\"tokens\":[{\"id\":\"" + bob[0][0] +
                                   "\",\"account\":\"bob@example.org\",\"label\":\"ci\","
                                   "\"created_at\":\"" +
                                   bob[0][3] + "\",\"expires_at\":\"" + bob[0][4] +
                                   "\",\"revoked_at\":null,\"state\":\"live\"}"))
      << json.out;
  EXPECT_NE(json.out.find("\"expires_at\":null"), std::string::npos);

  // By id: revoked once, then a conflict; an unknown id is not found.
  CommandResult revoked = Vigil({"token", "revoke", "--id", forever_id});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(revoked.out, "revoked " + forever_id + "\n");
  CommandResult again = Vigil({"token", "revoke", "--id", forever_id});
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_EQ(again.err, "vigil: API token " + forever_id + " is already revoked\n");
  CommandResult unknown = Vigil({"token", "revoke", "--id", "0123456789ab"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_EQ(unknown.err, "vigil: no API token with id 0123456789ab\n");
  CommandResult malformed = Vigil({"token", "revoke", "--id", "vgt_abc"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_EQ(malformed.err, "vigil: an API token id is 12 hex digits\n");
  EXPECT_EQ(rows({"bob@example.org"})[2][2], "revoked");
  // The stdin form still works beside it.
  EXPECT_EQ(Vigil({"token", "revoke"}, ci.out).out, "revoked\n");
  EXPECT_EQ(rows({"bob@example.org"})[0][2], "revoked");
  EXPECT_EQ(rows({"bob@example.org"})[1][2], "live");

  CommandResult nobody = Vigil({"token", "list", "nobody@example.org"});
  EXPECT_EQ(nobody.exit_code, 3);
  EXPECT_EQ(nobody.err, "vigil: account nobody@example.org not found\n");
}

}  // namespace
}  // namespace vigil::testing
