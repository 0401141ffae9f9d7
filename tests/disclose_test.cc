// End to end: a real repository with master and two supported branches (one needing the fix at
// an offset), a bare repository as the remote, and a loopback forge that records requests. A
// level-1 report goes from submission to disclosed (also with a SIGKILL at every step, then
// resumed); the pushed commits are compared with what the real `git am` makes of the approved
// mails; the public route of levels 4 and 6; the refusals with their exact messages.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "disclose_fixture.h"
#include "fake_forge.h"
#include "support/stalling_server.h"
#include "test_util.h"

namespace vigil::testing {
namespace {

TEST_F(DiscloseTest, Level1FromSubmissionToDisclosed) {
  const std::string id = ApprovedReport();
  Scheduled(id);
  const std::string after = Utc(slot_time_ + 60);
  // The observer's notice waits until 7 days before the slot.
  EXPECT_EQ(Sql("SELECT recipient, next_attempt_at / 1000000 FROM outbox WHERE kind = "
                "'disclosure-notice'"),
            "olga@distro.example|" + std::to_string(slot_time_ - 7 * 86400) + "\n");

  CommandResult dry = Vigil({"disclose", id, "--dry-run"}, after);
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  const std::string master = GitOut(work_, {"rev-parse", "master"}).substr(0, 12);
  const std::string r10 = GitOut(work_, {"rev-parse", "release-1.0"}).substr(0, 12);
  const std::string r11 = GitOut(work_, {"rev-parse", "release-1.1"}).substr(0, 12);
  const std::string dir = dir_.path();
  EXPECT_EQ(dry.out,
            id + ": dry run at " + after +
                " (nothing is changed)\n"
                "  state: scheduled, level 1\n"
                "  slot: " +
                slot_ +
                " (reached)\n"
                "  on duty: alice@example.org, confirmed at " +
                Utc(slot_time_ - 2 * 3600) +
                "\n"
                "  advisory: \"Heap overflow in parse_header\", with a summary\n"
                "  credit: reporter Rita R <rita@example.org>: consent named, published as Rita "
                "R\n"
                "  credit: remediation developer Fiona Fixer <fiona@example.org>: consent named, "
                "published as Fiona Fixer\n"
                "  warning: the advisory names no affected versions: until a release tag contains "
                "the fix it says every version is affected with no fix (vigil advisory edit " +
                id + " --range INTRODUCED:FIXED)\n" + id +
                ": ready; the disclosure would:\n"
                "  1. apply s1v1 (2 patches) to master at " +
                master + " as security/" + id +
                "-master\n"
                "  2. apply s1v1 (2 patches) to release-1.0 at " +
                r10 + " as security/" + id +
                "-release-1.0\n"
                "  3. apply s1v1 (2 patches) to release-1.1 at " +
                r11 + " as security/" + id +
                "-release-1.1\n"
                "  4. push security/" +
                id +
                "-master to origin\n"
                "  5. push security/" +
                id +
                "-release-1.0 to origin\n"
                "  6. push security/" +
                id +
                "-release-1.1 to origin\n"
                "  7. open the public issue \"Heap overflow in parse_header\" on acme/widget\n"
                "  8. open a pull request security/" +
                id +
                "-master -> master on acme/widget\n"
                "  9. open a pull request security/" +
                id +
                "-release-1.0 -> release-1.0 on acme/widget\n"
                "  10. open a pull request security/" +
                id +
                "-release-1.1 -> release-1.1 on acme/widget\n"
                "  11. publish the advisory files to " +
                dir +
                "/published\n"
                "  12. lift the embargo, mark " +
                id +
                " disclosed, make its public view visible and notify 3 people\n"
                "(dry run: nothing was changed)\n");
  EXPECT_TRUE(forge_->requests().empty());
  EXPECT_EQ(Git(work_, {"branch", "--list", "security/*"}).out, "");

  CommandResult run = Vigil({"disclose", id}, after);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  ExpectDisclosed(id);
  CommandResult again = Vigil({"disclose", id}, after);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, id + " is already disclosed\n");
  EXPECT_EQ(forge_->Count("POST", "/"), 4);

  // "Fixed in": the release tags that contain the disclosed commits.
  Git(work_, {"tag", "v1.1.1", "security/" + id + "-release-1.1"});
  Git(work_, {"tag", "v1.0.9", "security/" + id + "-release-1.0"});
  Git(work_, {"tag", "v1.2.0", "security/" + id + "-master"});
  CommandResult osv = Vigil({"advisory", "export", id, "--format", "osv"});
  EXPECT_NE(osv.out.find("\"fixed\": \"1.0.9\""), std::string::npos) << osv.out;
  EXPECT_NE(osv.out.find("\"introduced\": \"1.1.0\""), std::string::npos) << osv.out;
  EXPECT_NE(osv.out.find("\"fixed\": \"1.1.1\""), std::string::npos) << osv.out;
  EXPECT_NE(osv.out.find("\"fixed\": \"1.2.0\""), std::string::npos) << osv.out;
}

TEST_F(DiscloseTest, SigkillAtEveryStepThenResumeMakesNoDuplicate) {
  const std::string id = ApprovedReport();
  Scheduled(id);
  const std::string after = Utc(slot_time_ + 60);
  int crashes = 0;
  for (int point = 1; point <= 40; ++point) {
    CommandResult r =
        Vigil({"disclose", id}, after, {"VIGIL_TEST_CRASH_AFTER_STEP=" + std::to_string(point)});
    if (r.exit_code == 0) break;
    ASSERT_EQ(r.exit_code, 128 + 9) << "point " << point << ": " << r.out << r.err;
    ++crashes;
  }
  EXPECT_EQ(crashes, 24);  // 12 steps, each killed after its intent and after its effect
  CommandResult resumed = Vigil({"disclose", id}, after);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  ExpectDisclosed(id);
  // The log holds each step's intent once and its completion once.
  EXPECT_EQ(Sql("SELECT COUNT(*), COUNT(DISTINCT step) FROM disclosure_log WHERE state = 'done'"),
            "12|12\n");
}

// At the slot, without anyone running `vigil disclose ID`: `vigil disclose --due` (cron) and
// `vigil serve` with auto_disclose. A report refused at its slot alerts its coordinator once and
// is disclosed as soon as the refusal is resolved.
TEST_F(DiscloseTest, DueReportsAreDisclosedAtTheSlotAndARefusalAlertsOnce) {
  const std::string id = ApprovedReport();
  Scheduled(id, /*confirm=*/false);
  const std::string blocked = "SELECT COUNT(*) FROM outbox WHERE kind = 'disclosure-blocked'";
  CommandResult early = Vigil({"disclose", "--due"}, Utc(slot_time_ - 3600));
  EXPECT_EQ(early.exit_code, 0) << early.err;
  EXPECT_EQ(early.out, "vigil: 0 disclosed\n");
  const std::string refusal = id + ": cannot disclose " + id +
                              ": the on-duty maintainer alice@example.org has not confirmed "
                              "availability within the 24 hours before the slot " +
                              slot_ + "\n";
  for (int minute = 1; minute <= 2; ++minute) {
    CommandResult due = Vigil({"disclose", "--due"}, Utc(slot_time_ + minute * 60));
    EXPECT_EQ(due.exit_code, 0) << due.err;
    EXPECT_EQ(due.out, refusal + "vigil: 0 disclosed\n");
    EXPECT_EQ(Sql(blocked), "1\n");  // the coordinator hears once, not every minute
  }
  EXPECT_EQ(Vigil({"disclose", "--due", id}).err, "vigil: give a report id, or --due alone\n");
  EXPECT_TRUE(forge_->requests().empty());
  // Alice confirms late; the server, with auto_disclose on, discloses on its first round.
  Ok({"plan", "confirm", id, "--as", "alice@example.org"}, Utc(slot_time_ + 180));
  std::string toml = Read(config_);
  const size_t at = toml.find("auto_disclose = false");
  ASSERT_NE(at, std::string::npos);
  toml.replace(at, 21, "auto_disclose = true");
  Write(config_, toml);
  setenv("VIGIL_TEST_NOW", Utc(slot_time_ + 240).c_str(), 1);
  {
    ServerProcess server(config_);
    unsetenv("VIGIL_TEST_NOW");
    ASSERT_TRUE(server.started());
    EXPECT_TRUE(WaitUntil(
        [&] {
          return Vigil({"report", "show", id, "--json"}).out.find("\"state\":\"disclosed\"") !=
                 std::string::npos;
        },
        60));
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  ExpectDisclosed(id);
  EXPECT_EQ(Sql(blocked), "1\n");
}

// A forge that hangs: first one that accepts the connection and never answers, then one that
// opens the issue but never says so. Each run stops at the issue step with the timeout's
// message, its intent stays in the execution log, and the run after the forge recovers
// finishes the disclosure with exactly one issue.
TEST_F(DiscloseTest, HangingForgeStopsAtTheIssueAndTheNextRunOpensItOnce) {
  const std::string id = ApprovedReport();
  Scheduled(id);
  const std::string after = Utc(slot_time_ + 60);
  const std::string toml = Read(config_);
  auto forge_at = [&](const std::string& url) {
    std::string t = toml;
    const std::string was = "forge_api_url = \"" + forge_->url() + "\"";
    t.replace(t.find(was), was.size(), "forge_api_url = \"" + url + "\"");
    const std::string timeout = "forge_timeout_seconds = 30";
    t.replace(t.find(timeout), timeout.size(), "forge_timeout_seconds = 1");
    Write(config_, t);
  };
  auto stopped = [&](const std::string& request, const std::string& url) {
    return "vigil: disclosure of " + id + " stopped at issue: forge: " + request +
           ": no answer from " + url + " within 1 s (fix it and run `vigil disclose " + id +
           "` again)\n";
  };
  const std::string log = "SELECT step || ' ' || state FROM disclosure_log WHERE report_id = '" +
                          id +
                          "' AND step NOT LIKE 'apply:%' AND step NOT LIKE 'push:%' ORDER BY seq";
  const std::string log_until_issue =
      "SELECT COUNT(*) FROM disclosure_log WHERE report_id = '" + id + "' AND state = 'done'";
  {
    StallingServer silent;
    forge_at(silent.url("http"));
    CommandResult r = Vigil({"disclose", id}, after);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, stopped("GET /repos/acme/widget/issues", silent.url("http")));
    EXPECT_EQ(silent.connections(), 1);
  }
  EXPECT_EQ(Sql(log), "issue intent\n");
  EXPECT_EQ(Sql(log_until_issue), "6\n");  // applied and pushed to the three branches
  // The forge opens the issue but its answer never comes.
  forge_->StallAnswersTo("POST");
  forge_at(forge_->url());
  CommandResult r = Vigil({"disclose", id}, after);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, stopped("POST /repos/acme/widget/issues", forge_->url()));
  EXPECT_EQ(forge_->Count("POST", "/repos/acme/widget/issues"), 1);
  EXPECT_EQ(Sql(log), "issue intent\n");
  // The forge answers again: the run finds the issue it opened instead of opening a second.
  forge_->StallAnswersTo("");
  CommandResult resumed = Vigil({"disclose", id}, after);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  ExpectDisclosed(id);  // one issue, three pull requests, three pushes
}

// `vigil serve` with auto_disclose, its scheduler stuck in a request to a forge that never
// answers (and here never times out): meanwhile the server answers and stores submissions, all
// while the forge request is still open. When the forge goes away the step fails, its intent
// stays in the log, and the server shuts down.
TEST_F(DiscloseTest, AutoDiscloseStuckOnAHangingForgeHoldsUpNoRequest) {
  const std::string id = ApprovedReport();
  Scheduled(id);
  auto forge = std::make_unique<StallingServer>();
  std::string toml = Read(config_);
  for (const auto& [was, now] : std::vector<std::pair<std::string, std::string>>{
           {"forge_api_url = \"" + forge_->url() + "\"",
            "forge_api_url = \"" + forge->url("http") + "\""},
           {"forge_timeout_seconds = 30", "forge_timeout_seconds = 3600"},
           {"auto_disclose = false", "auto_disclose = true"}}) {
    const size_t at = toml.find(was);
    ASSERT_NE(at, std::string::npos) << was;
    toml.replace(at, was.size(), now);
  }
  Write(config_, toml);
  setenv("VIGIL_TEST_NOW", Utc(slot_time_ + 60).c_str(), 1);
  ServerProcess server(config_);
  unsetenv("VIGIL_TEST_NOW");
  ASSERT_TRUE(server.started());
  ASSERT_TRUE(forge->WaitForWaitingClients(1));  // the scheduler waits for the forge's answer
  for (int i = 0; i < 5; ++i) {
    HttpResult r = Http(server.port(), "POST", "/api/v1/reports",
                        R"({"subject":"Another overflow","steps":"send 70000 bytes"})");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(Vigil({"report", "show", JsonField(r.body, "id")}).exit_code, 0);
  }
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(forge->open_connections(), 1);  // all of that while the forge request was open
  forge.reset();
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  EXPECT_EQ(Sql("SELECT step || ' ' || state FROM disclosure_log WHERE report_id = '" + id +
                "' AND step = 'issue'"),
            "issue intent\n");
  EXPECT_TRUE(forge_->requests().empty());
}

// A scheduled disclosure moves (with a reason, inside the embargo cap) or is withdrawn; the old
// plan's observer notices are not sent, and everyone on the report is told.
// `disclose --dry-run` answers at any time with everything still missing, each on its line, and
// every credit with what will be published; disclosure refuses an unwritten advisory unless the
// coordinator says --without-advisory.
TEST_F(DiscloseTest, DryRunAtAnyTimeAndNoAdvisoryWithoutSayingSo) {
  const std::string id = ApprovedReport();
  const std::string now = Utc(time(nullptr));
  CommandResult dry = Vigil({"disclose", id, "--dry-run"}, now);
  EXPECT_EQ(dry.exit_code, 4);
  EXPECT_EQ(dry.err,
            "vigil: cannot disclose " + id + " yet: 2 things missing (the missing: lines above)\n");
  const std::string preamble = id + ": dry run at " + now +
                               " (nothing is changed)\n"
                               "  state: approved, level 1\n"
                               "  slot: none\n"
                               "  advisory: \"Heap overflow in parse_header\", with a summary "
                               "(title proposed from the report) (summary proposed from the "
                               "report)\n";
  EXPECT_TRUE(dry.out.starts_with(preamble)) << dry.out;
  for (const std::string& line : std::vector<std::string>{
           "  credit: reporter Rita R <rita@example.org>: consent pending, not published unless "
           "they consent\n",
           // Asked when her revision was approved (at the real time: the patch was approved
           // without VIGIL_TEST_NOW).
           "  credit: remediation developer Fiona Fixer <fiona@example.org>: consent pending "
           "(asked by mail on ",
           "Z), published as Fiona Fixer (the commit's name) unless they decline\n",
           "  missing: it is approved; disclose needs scheduled (vigil plan schedule " + id +
               " --slot … --on-duty …)\n",
           "  missing: nobody wrote the advisory's title and summary (vigil advisory edit ID "
           "--title … --summary …); to disclose without an advisory, say --without-advisory\n",
           id + ": not ready (2 missing); once it is, the disclosure would:\n",
           "  7. open the public issue \"Heap overflow in parse_header\" on acme/widget\n",
           "  11. publish the advisory files to ",
       }) {
    EXPECT_NE(dry.out.find(line), std::string::npos) << line << "\n---\n" << dry.out;
  }
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM disclosure_log"), "0\n");

  // Scheduled and confirmed, but nobody wrote the advisory: refused until they say so.
  Ok({"plan", "schedule", id, "--slot", slot_, "--on-duty", "alice@example.org"});
  Ok({"plan", "confirm", id, "--as", "alice@example.org"}, Utc(slot_time_ - 3600));
  const std::string after = Utc(slot_time_ + 60);
  CommandResult refused = Vigil({"disclose", id}, after);
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_EQ(refused.err, "vigil: cannot disclose " + id +
                             ": nobody wrote the advisory's title and summary (vigil advisory "
                             "edit ID --title … --summary …); to disclose without an advisory, "
                             "say --without-advisory\n");
  EXPECT_TRUE(forge_->requests().empty());
  CommandResult without = Vigil({"disclose", id, "--dry-run", "--without-advisory"}, after);
  EXPECT_EQ(without.exit_code, 0) << without.err;
  EXPECT_NE(without.out.find("  advisory: none (--without-advisory)\n"), std::string::npos);
  EXPECT_NE(without.out.find(id + ": ready; the disclosure would:\n"), std::string::npos)
      << without.out;
  EXPECT_EQ(without.out.find("publish the advisory files"), std::string::npos);
  EXPECT_NE(without.out.find("open the public issue \"Security fix for " + id + "\""),
            std::string::npos);
  CommandResult run = Vigil({"disclose", id, "--without-advisory"}, after);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  bool issue = false;
  for (const FakeForge::Item& item : forge_->items()) {
    issue |= !item.pull && item.title == "Security fix for " + id;
  }
  EXPECT_TRUE(issue);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/published/" + id + ".md"));
  // The choice is in the log, for a run that resumes.
  EXPECT_EQ(Sql("SELECT count(*) FROM disclosure_log WHERE step = 'without-advisory' AND detail "
                "LIKE 'cli:%'"),
            "1\n");
  EXPECT_NE(Vigil({"report", "show", id}).out.find("state        disclosed"), std::string::npos);
}

TEST_F(DiscloseTest, RescheduleAndUnscheduleTellEveryone) {
  const std::string id = ApprovedReport();
  Scheduled(id, /*confirm=*/false);
  const std::string moved = Utc(slot_time_ + 7 * 86400);
  CommandResult no_reason =
      Vigil({"plan", "schedule", id, "--slot", moved, "--on-duty", "alice@example.org"});
  EXPECT_EQ(no_reason.exit_code, 4);
  EXPECT_EQ(no_reason.err, "vigil: cannot schedule " + id +
                               ": it is scheduled; move it with plan reschedule (a reason is "
                               "required)\n");
  const time_t far = time(nullptr) + 120 * 86400;
  CommandResult capped = Vigil({"plan", "reschedule", id, "--slot", Utc(far), "--on-duty",
                                "alice@example.org", "--reason", "later"});
  EXPECT_EQ(capped.exit_code, 4);
  EXPECT_TRUE(capped.err.starts_with("vigil: cannot schedule " + id + ": the slot " + Utc(far) +
                                     " is past the embargo cap of 90 days ("))
      << capped.err;
  CommandResult r = Vigil({"plan", "reschedule", id, "--slot", moved, "--on-duty",
                           "alice@example.org", "--reason", "The backport needs a week more."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, id + ": disclosure moved to " + moved + "\n");
  // The observer has not had her notice yet: she learns the date from the new one, at its time.
  EXPECT_EQ(Sql("SELECT recipient FROM outbox WHERE kind = 'disclosure-plan' ORDER BY recipient"),
            "alice@example.org\nrita@example.org\n");
  EXPECT_NE(Sql("SELECT body FROM outbox WHERE kind = 'disclosure-plan' LIMIT 1")
                .find("The disclosure of " + id + " moved from " + slot_ + " to " + moved +
                      ".\n\nReason: The backport needs a week more."),
            std::string::npos);
  EXPECT_EQ(Sql("SELECT state || ' ' || last_error FROM outbox WHERE kind = 'disclosure-notice' "
                "ORDER BY id"),
            "dead withdrawn, not sent: the disclosure was rescheduled\npending \n");
  const std::string shown = Vigil({"report", "show", id}).out;
  EXPECT_NE(shown.find("state        scheduled"), std::string::npos);
  EXPECT_NE(shown.find("embargo      active until " + moved), std::string::npos) << shown;

  CommandResult off = Vigil({"plan", "unschedule", id, "--reason", "Upstream asked to wait."});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.out,
            id + ": disclosure unscheduled; the report is approved, the embargo goes on\n");
  EXPECT_NE(Vigil({"report", "show", id}).out.find("state        approved"), std::string::npos);
  EXPECT_EQ(Sql("SELECT count(*) FROM outbox WHERE kind = 'disclosure-notice' AND state = "
                "'pending'"),
            "0\n");
  EXPECT_EQ(Sql("SELECT count(*) FROM outbox WHERE kind = 'disclosure-plan'"), "4\n");
  // The withdrawn slot no longer ends the embargo: it runs to its cap again.
  EXPECT_NE(Sql("SELECT body FROM outbox WHERE kind = 'disclosure-plan' ORDER BY id DESC LIMIT 1")
                .find(" is unscheduled. The embargo goes on: it now ends "),
            std::string::npos);
  EXPECT_EQ(Vigil({"report", "show", id}).out.find("embargo      active until " + moved),
            std::string::npos);
  CommandResult again = Vigil({"plan", "reschedule", id, "--slot", moved, "--on-duty",
                               "alice@example.org", "--reason", "x"});
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_EQ(again.err,
            "vigil: cannot reschedule " + id + ": it is approved; reschedule needs scheduled\n");
  CommandResult twice = Vigil({"plan", "unschedule", id, "--reason", "x"});
  EXPECT_EQ(twice.err, "vigil: cannot unschedule " + id +
                           ": it is approved; unschedule needs "
                           "scheduled\n");
  EXPECT_EQ(Sql("SELECT kind FROM events WHERE chain = '" + id +
                "' AND kind LIKE 'disclosure.%' ORDER BY seq"),
            "disclosure.scheduled\ndisclosure.rescheduled\ndisclosure.unscheduled\n");
  EXPECT_EQ(Vigil({"audit", "verify"}).exit_code, 0);
}

TEST_F(DiscloseTest, RefusalsHaveExactMessages) {
  const std::string id = ApprovedReport();
  Ok({"advisory", "edit", id, "--title", "Heap overflow in parse_header", "--summary",
      "An over-long header overflows the copy buffer."});
  // Scheduling: past the cap, not enough notice; a Saturday slot and 20 days of notice warn.
  const time_t far = time(nullptr) + 120 * 86400;
  CommandResult capped =
      Vigil({"plan", "schedule", id, "--slot", Utc(far), "--on-duty", "alice@example.org"});
  EXPECT_EQ(capped.exit_code, 4);
  EXPECT_TRUE(capped.err.starts_with("vigil: cannot schedule " + id + ": the slot " + Utc(far) +
                                     " is past the embargo cap of 90 days ("))
      << capped.err;
  const time_t soon = time(nullptr) + 3 * 86400;
  CommandResult short_notice =
      Vigil({"plan", "schedule", id, "--slot", Utc(soon), "--on-duty", "alice@example.org"});
  EXPECT_EQ(short_notice.exit_code, 4);
  EXPECT_EQ(short_notice.err, "vigil: cannot schedule " + id + ": the slot " + Utc(soon) +
                                  " leaves observers less than 7 days of notice\n");
  CommandResult not_staff =
      Vigil({"plan", "schedule", id, "--slot", slot_, "--on-duty", "rita@example.org"});
  EXPECT_EQ(not_staff.err,
            "vigil: rita@example.org is not an active maintainer account and cannot be on duty\n");
  const time_t saturday = slot_time_ + 11 * 86400 - 5 * 3600;  // Saturday 10:30 UTC
  CommandResult warned = Vigil({"plan", "schedule", id, "--slot", Utc(saturday), "--on-duty",
                                "alice@example.org", "--notice-days", "15"});
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_EQ(warned.err, "vigil: warning: the slot " + Utc(saturday) +
                            " is outside Tuesday-Thursday 15:00-16:00 UTC\n"
                            "vigil: warning: a notice of 15 days is longer than the 14 days "
                            "linux-distros allows\n");

  // Before the slot.
  CommandResult early = Vigil({"disclose", id}, Utc(saturday - 3600));
  EXPECT_EQ(early.exit_code, 4);
  EXPECT_EQ(early.err,
            "vigil: cannot disclose " + id + ": the slot " + Utc(saturday) + " is not reached\n");
  // Without the on-duty confirmation: refused, and the coordinator is alerted.
  const std::string after = Utc(saturday + 60);
  CommandResult unconfirmed = Vigil({"disclose", id}, after);
  EXPECT_EQ(unconfirmed.exit_code, 4);
  EXPECT_EQ(unconfirmed.err, "vigil: cannot disclose " + id +
                                 ": the on-duty maintainer alice@example.org has not confirmed "
                                 "availability within the 24 hours before the slot " +
                                 Utc(saturday) + "\n");
  EXPECT_EQ(Sql("SELECT recipient FROM outbox WHERE kind = 'disclosure-blocked'"),
            "alice@example.org\n");
  CommandResult too_soon =
      Vigil({"plan", "confirm", id, "--as", "alice@example.org"}, Utc(saturday - 25 * 3600));
  EXPECT_EQ(too_soon.exit_code, 4);
  EXPECT_EQ(too_soon.err, "vigil: confirmation for " + id + " opens 24 hours before the slot, at " +
                              Utc(saturday - 24 * 3600) + "\n");
  CommandResult wrong = Vigil({"plan", "confirm", id, "--as", "bob@example.org"}, after);
  EXPECT_EQ(wrong.err, "vigil: only the on-duty maintainer alice@example.org can confirm\n");
  Ok({"plan", "confirm", id, "--as", "alice@example.org"}, Utc(saturday - 3600));

  // A revision changed after approval (its stored diff no longer has the approved patch-id).
  const std::vector<std::string> ids = Lines(Git(work_, {"patch-id", "--stable"}, mbox_).out);
  std::string changed = mbox_;
  const size_t at = changed.find("+  if (len == 0 || len > max)");
  changed.replace(at, 29, "+  if (len == 0 || len >= max)");
  const std::vector<std::string> changed_ids =
      Lines(Git(work_, {"patch-id", "--stable"}, changed).out);
  const std::string edit =
      "UPDATE patches SET diff = replace(diff, '+  if (len == 0 || len > max)', "
      "'+  if (len == 0 || len >= max)') WHERE position = 1";
  Sql(edit);
  CommandResult tampered = Vigil({"disclose", id}, after);
  EXPECT_EQ(tampered.exit_code, 4);
  EXPECT_EQ(tampered.err, "vigil: cannot disclose " + id +
                              ": the revision approved for master changed after approval (patch "
                              "1/2: patch-id " +
                              changed_ids[0].substr(0, 12) + ", approved " + ids[0].substr(0, 12) +
                              ")\n");
  Sql("UPDATE patches SET diff = replace(diff, '+  if (len == 0 || len >= max)', "
      "'+  if (len == 0 || len > max)') WHERE position = 1");

  // A branch that moved so that its approved revision no longer applies.
  const std::string before = GitOut(work_, {"rev-parse", "release-1.1"});
  Git(work_, {"checkout", "-q", "release-1.1"});
  Write(work_ + "/src/parse.c", ParseC("  if (len > max || !buf)\n"));
  Commit("Refuse null buffers");
  Git(work_, {"checkout", "-q", "master"});
  CommandResult moved = Vigil({"disclose", id}, after);
  EXPECT_EQ(moved.exit_code, 4);
  EXPECT_EQ(moved.err, "vigil: cannot disclose " + id +
                           ": the approved revision for release-1.1 no longer applies: patch 1/2 "
                           "(Reject over-long and empty headers) does not apply: error: patch "
                           "failed: src/parse.c:11\n");
  Git(work_, {"branch", "-f", "release-1.1", before});
  // Nothing was done by the refused attempts.
  EXPECT_TRUE(forge_->requests().empty());
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM disclosure_log"), "0\n");
  CommandResult dry = Vigil({"disclose", id, "--dry-run"}, after);
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  // One disclosure of a report at a time.
  {
    const std::string lock_path = dir_.path() + "/data/disclose-" + id + ".lock";
    const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
    CommandResult busy = Vigil({"disclose", id}, after);
    EXPECT_EQ(busy.exit_code, 4);
    EXPECT_EQ(busy.err, "vigil: cannot disclose " + id + ": another disclosure of it is running\n");
    close(fd);
  }
  EXPECT_TRUE(forge_->requests().empty());
  // A report that is not scheduled is refused by the state machine.
  CommandResult other = Vigil({"report", "submit", "--subject", "Other", "--steps", "x"});
  const std::string other_id = other.out.substr(0, other.out.find('\n'));
  CommandResult unscheduled = Vigil({"disclose", other_id}, after);
  EXPECT_EQ(unscheduled.exit_code, 4);
  EXPECT_EQ(unscheduled.err,
            "vigil: cannot disclose " + other_id + ": it is received; disclose needs scheduled\n");
}

class PublicRouteTest : public DiscloseTest {
 protected:
  std::string Classified(int level) {
    Ok({"user", "add", "alice@example.org", "--role", "maintainer"});
    CommandResult sub =
        Vigil({"report", "submit", "--subject", "Session ids guessable in theory", "--steps",
               "SECRET-STEPS: guess 2^128 ids", "--reporter-email", "rita@example.org"});
    const std::string id = sub.out.substr(0, sub.out.find('\n'));
    Ok({"report", "assign", id, "--to", "alice@example.org"});
    Ok({"report", "confirm", id});
    Ok({"report", "classify", id, "--level", std::to_string(level)});
    return id;
  }
};

TEST_F(PublicRouteTest, Level4GoesThroughRedactionToAPublicIssue) {
  const std::string id = Classified(4);
  CommandResult unredacted = Vigil({"public", "open", id});
  EXPECT_EQ(unredacted.exit_code, 4);
  EXPECT_EQ(unredacted.err, "vigil: cannot open a public issue for " + id +
                                ": redact its public title and text first\n");
  Ok({"public", "redact", id, "--title", "Use longer session ids", "--text",
      "Session ids have 128 bits; we will move to 256 bits as hardening."});
  EXPECT_EQ(Sql("SELECT recipient FROM outbox WHERE kind = 'redaction'"), "rita@example.org\n");
  // Killed after recording its intent, then after the forge call: resumed without a second issue.
  for (int point : {1, 2}) {
    CommandResult killed =
        Vigil({"public", "open", id}, "", {"VIGIL_TEST_CRASH_AFTER_STEP=" + std::to_string(point)});
    EXPECT_EQ(killed.exit_code, 128 + 9) << killed.err;
  }
  EXPECT_EQ(forge_->Count("POST", "/"), 1);
  CommandResult opened = Vigil({"public", "open", id});
  EXPECT_EQ(opened.exit_code, 0) << opened.err;
  EXPECT_EQ(opened.out, id + ": public issue #1 https://forge.example/acme/widget/issues/1\n");
  ASSERT_EQ(forge_->items().size(), 1u);
  const FakeForge::Item issue = forge_->items()[0];
  EXPECT_EQ(issue.title, "Use longer session ids");
  EXPECT_TRUE(issue.body.starts_with("Session ids have 128 bits;")) << issue.body;
  EXPECT_EQ(issue.body.find("SECRET-STEPS"), std::string::npos);
  EXPECT_EQ(issue.body.find("guessable"), std::string::npos);
  CommandResult show = Vigil({"report", "show", id, "--json"});
  EXPECT_NE(show.out.find("\"state\":\"public\""), std::string::npos) << show.out;
  // Again: the recorded issue, no second one.
  CommandResult again = Vigil({"public", "open", id});
  EXPECT_EQ(again.out, opened.out);
  EXPECT_EQ(forge_->Count("POST", "/"), 1);
}

// Publishing through the API makes the forge call on an HTTP worker. Against a forge that never
// answers (and here never times out) that one request waits; meanwhile the server answers and
// stores a submission, a second publish of the report is refused at once instead of queueing
// behind the first, and when the forge goes away the waiting request gets a 503 naming the call.
TEST_F(PublicRouteTest, PublishOnAHangingForgeHoldsOneWorkerAndNothingElse) {
  const std::string id = Classified(4);
  Ok({"public", "redact", id, "--title", "Use longer session ids", "--text",
      "Session ids have 128 bits; we will move to 256 bits as hardening."});
  auto forge = std::make_unique<StallingServer>();
  std::string toml = Read(config_);
  for (const auto& [was, now] : std::vector<std::pair<std::string, std::string>>{
           {"forge_api_url = \"" + forge_->url() + "\"",
            "forge_api_url = \"" + forge->url("http") + "\""},
           {"forge_timeout_seconds = 30", "forge_timeout_seconds = 3600"}}) {
    const size_t at = toml.find(was);
    ASSERT_NE(at, std::string::npos) << was;
    toml.replace(at, was.size(), now);
  }
  Write(config_, toml);
  std::string token;
  for (const std::string& line : Lines(Read(dir_.path() + "/data/initial-admin.txt"))) {
    if (line.starts_with("token=")) token = line.substr(6);
  }
  ASSERT_FALSE(token.empty());
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const std::string publish = "/api/v1/reports/" + id + "/publish";
  HttpResult first;
  std::thread publisher([&] { first = Http(server.port(), "POST", publish, "{}", token); });
  ASSERT_TRUE(forge->WaitForWaitingClients(1));  // the worker waits for the forge's answer
  HttpResult second = Http(server.port(), "POST", publish, "{}", token);
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_NE(second.body.find("cannot open a public issue for " + id +
                             ": another run for it is in progress"),
            std::string::npos)
      << second.body;
  HttpResult submitted = Http(server.port(), "POST", "/api/v1/reports",
                              R"({"subject":"Another overflow","steps":"send 70000 bytes"})");
  EXPECT_EQ(submitted.status, 201) << submitted.body;
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(forge->open_connections(), 1);  // all of that while the forge request was open
  forge.reset();
  publisher.join();
  EXPECT_EQ(first.status, 503) << first.body;
  EXPECT_NE(first.body.find("forge: POST /repos/acme/widget/issues: "), std::string::npos)
      << first.body;
  EXPECT_EQ(Sql("SELECT state FROM disclosure_log WHERE step = 'public-issue'"), "intent\n");
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(PublicRouteTest, Level6IsClosedWithoutAPublicTraceUnlessTheCoordinatorChooses) {
  const std::string id = Classified(6);
  CommandResult show = Vigil({"report", "show", id, "--json"});
  EXPECT_NE(show.out.find("\"state\":\"rejected\""), std::string::npos) << show.out;
  CommandResult refused = Vigil({"public", "open", id});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_EQ(refused.err, "vigil: cannot open a public issue for " + id +
                             ": level 6 reports are closed without a public trace (choose "
                             "--publish-closed to publish it anyway)\n");
  EXPECT_TRUE(forge_->requests().empty());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/published"));
  EXPECT_EQ(Git(remote_, {"branch", "--list", "security/*"}).out, "");
  // The coordinator's choice: a public issue, and the report stays closed.
  CommandResult redacted = Vigil(
      {"public", "redact", id, "--title", "Not a vulnerability: session id length", "--text", "-"},
      "", {}, "128-bit session ids cannot be guessed.\n");
  EXPECT_EQ(redacted.exit_code, 0) << redacted.err;
  CommandResult chosen = Vigil({"public", "open", id, "--publish-closed"});
  EXPECT_EQ(chosen.exit_code, 0) << chosen.err;
  EXPECT_EQ(forge_->Count("POST", "/repos/acme/widget/issues"), 1);
  show = Vigil({"report", "show", id, "--json"});
  EXPECT_NE(show.out.find("\"state\":\"rejected\""), std::string::npos) << show.out;
}

}  // namespace
}  // namespace vigil::testing
