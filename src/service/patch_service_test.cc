// The patch workflow on a real repository: revisions, the applicability matrix, approvals pinned
// to patch-ids, voiding, re-checks after branches move, and the report's approval.
#include "service/patch_service.h"

#include <gtest/gtest.h>

#include "service/patch_approvals.h"
#include "service/patch_json.h"
#include "service/patch_revision_source.h"
#include "service/report_service.h"
#include "store/sqlite_store.h"
#include "support/git_sandbox.h"
#include "support/project_repo.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

using patch::GitSandbox;

class PatchServiceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    ASSERT_TRUE(git_.ok());
    // A project with master and one supported branch that differs near the fix.
    lines_ = vigil::testing::MakeProjectRepo(git_);
    config_.supported_branches = {"release-1"};
    config_.repository_path = git_.dir();
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    for (auto [email, role] : {std::pair{"alice@example.org", AccountRole::kMaintainer},
                               {"author@example.com", AccountRole::kMaintainer},
                               {"mia@example.org", AccountRole::kMember}}) {
      ASSERT_TRUE(reports_->AddAccount(local_, email, "", role, "").ok());
    }
    SubmitRequest req;
    req.fields.subject = "Token leak";
    req.fields.steps = "run it";
    req.reporter_email = "rita@example.org";
    Result<Submitted> s = reports_->Submit(Principal{}, req);
    ASSERT_TRUE(s.ok());
    id_ = s->id;
    ASSERT_TRUE(reports_->Assign(local_, id_, "alice@example.org").ok());
    ASSERT_TRUE(reports_->Confirm(local_, id_).ok());
    ASSERT_TRUE(reports_->Classify(local_, id_, 1).ok());  // master + every supported branch
    ASSERT_TRUE(reports_->Invite(local_, id_, "carl@example.org", "", Role::kCollaborator).ok());
    ASSERT_TRUE(reports_->Invite(local_, id_, "olga@example.org", "", Role::kObserver).ok());
    carl_ = {Principal::Kind::kCapability, "carl@example.org", AccountRole::kMember, id_};
    olga_ = {Principal::Kind::kCapability, "olga@example.org", AccountRole::kMember, id_};
    alice_ = {Principal::Kind::kAccount, "alice@example.org", AccountRole::kMaintainer, ""};
  }
  void Commit(const std::string& message) { vigil::testing::CommitAll(git_, message); }
  /// A format-patch mail changing line N of src/agent.c on top of BASE; the commit is dropped.
  std::string FixMail(const std::string& base, int n, const std::string& text,
                      const std::string& extra_headers = "", std::string from = "") {
    git_.Git({"checkout", "-q", "--detach", base});
    std::string content = GitSandbox::ReadFile(git_.dir() + "/src/agent.c");
    if (from.empty()) from = "line " + std::to_string(n) + "\n";
    content.replace(content.find(from), from.size(), text + "\n");
    git_.Write("src/agent.c", content);
    git_.Git({"add", "-A"});
    git_.Git(
        {"commit", "-q", "-m",
         "agent: fix line " + std::to_string(n) + "\n\nReviewed-by: Rev Iewer <rev@example.com>"});
    std::string mail = git_.Git({"format-patch", "-1", "--stdout"});
    git_.Git({"checkout", "-q", "master"});
    if (!extra_headers.empty()) mail.insert(mail.find("Subject:"), extra_headers);
    return mail;
  }
  /// `git format-patch ARGS` of two commits on top of BASE changing lines N1 and N2 of
  /// src/agent.c to TEXT1 and TEXT2; the commits are dropped.
  std::string SeriesMail(const std::string& base, int n1, const std::string& text1, int n2,
                         const std::string& text2, std::vector<std::string> args) {
    git_.Git({"checkout", "-q", "--detach", base});
    for (auto [n, text] : {std::pair{n1, text1}, std::pair{n2, text2}}) {
      std::string content = GitSandbox::ReadFile(git_.dir() + "/src/agent.c");
      const std::string from = "line " + std::to_string(n) + "\n";
      content.replace(content.find(from), from.size(), text + "\n");
      git_.Write("src/agent.c", content);
      git_.Git({"add", "-A"});
      git_.Git({"commit", "-q", "-m", "agent: fix line " + std::to_string(n)});
    }
    args.insert(args.begin(), {"format-patch", "--stdout", "-2"});
    int code = 0;
    std::string mail = git_.Git(args, {}, &code);
    EXPECT_EQ(code, 0) << mail;
    git_.Git({"checkout", "-q", "master"});
    return mail;
  }
  /// What b4 adds to a mail below its last diff (single patch) or its cover letter's text:
  /// "---", base-commit, change-id and a greeting, before the "-- " signature.
  static std::string WithB4ChangeId(std::string mail, const std::string& change_id,
                                    size_t at = std::string::npos) {
    if (at == std::string::npos) at = mail.rfind("-- \n");
    mail.insert(at, "---\nbase-commit: 0123456789abcdef0123456789abcdef01234567\nchange-id: " +
                        change_id + "\n\nBest regards,\n");
    return mail;
  }
  /// The payload of the last patch.submitted event.
  std::string LastSubmission() {
    std::string payload;
    for (const StoredEvent& e : *store_->Events(id_)) {
      if (e.kind == "patch.submitted") payload = e.payload;
    }
    return payload;
  }
  /// The Message-ID header value of the message of MAIL whose Subject contains SUBJECT.
  static std::string MessageIdOf(const std::string& mail, const std::string& subject) {
    const size_t at = mail.find(subject);
    const size_t header = mail.rfind("\nMessage-Id: ", at);
    if (at == std::string::npos || header == std::string::npos) return "";
    const size_t start = header + 13;
    return mail.substr(start, mail.find('\n', start) - start);
  }

  std::vector<std::string> EventKinds() {
    std::vector<std::string> kinds;
    for (const StoredEvent& e : *store_->Events(id_)) kinds.push_back(e.kind);
    return kinds;
  }
  const StoredApplicability& Row(const PatchRevision& r, const std::string& branch) {
    for (const StoredApplicability& a : r.applicability) {
      if (a.branch == branch) return a;
    }
    static StoredApplicability none;
    ADD_FAILURE() << "no row for " << branch;
    return none;
  }

  GitSandbox git_;
  std::string lines_, id_;
  Principal carl_, olga_, alice_;
};

// Two people: the maintainer who submitted a revision (here the coordinator, uploading a fix
// someone else wrote) is not the one who approves it, whoever asks.
TEST_F(PatchServiceTest, WhoeverSubmittedARevisionDoesNotApproveIt) {
  const std::string v1 = FixMail("master", 11, "line 11 fixed", "Message-ID: <v1@example.com>\n");
  Result<PatchRevision> s1v1 = patches_->SubmitSeries(alice_, id_, v1, {});
  ASSERT_TRUE(s1v1.ok()) << s1v1.status().message();
  EXPECT_EQ(s1v1->submitter, "alice@example.org");
  const std::string refused = "alice@example.org submitted s1v1 and cannot approve it";
  EXPECT_EQ(patches_->Approve(alice_, id_, "s1v1", "").status().message(), refused);
  EXPECT_EQ(patches_->Approve(local_, id_, "s1v1", "Alice@Example.org").status().message(),
            refused);
  EXPECT_TRUE((*patches_->Revisions(id_))[0].approvals.empty());
}

// [patch] approvals_required: a level can need more than one reviewer. Until they are in, the
// revision is not approved anywhere (the report stays fixing, disclosure finds no approved
// revision) and every view says who is missing.
TEST_F(PatchServiceTest, ALevelThatNeedsTwoApprovalsWaitsForTheSecondReviewer) {
  config_.approvals_required = {2, 2, 2, 2, 2, 2, 2};
  PatchService two(*store_, clock_, config_);
  PatchRevisionSource source(*store_, config_);
  ASSERT_TRUE(
      reports_->AddAccount(local_, "bob@example.org", "", AccountRole::kMaintainer, "").ok());
  // Line 25 is far from release-1's change: one master series covers both required branches.
  const std::string fix = FixMail("master", 25, "line 25 fixed", "Message-ID: <b1@example.com>\n");
  ASSERT_TRUE(two.SubmitSeries(carl_, id_, fix, {}).ok());
  ASSERT_TRUE(two.Approve(alice_, id_, "s1v1", "").ok());
  ASSERT_EQ(*two.ApprovalsNeeded(id_), 2);
  std::vector<PatchRevision> all = *two.Revisions(id_);
  ApprovalCount count = CountApprovals(all, all[0], 2);
  EXPECT_FALSE(count.approved());
  EXPECT_EQ(count.Describe(),
            "1 of 2 approvals (alice@example.org); needs 1 more from a maintainer who neither "
            "wrote nor submitted it");
  EXPECT_EQ(store_->GetReport(id_)->state, State::kFixing);
  EXPECT_FALSE(source.ForBranch(id_, "master")->has_value());
  const boost::json::object json = RevisionsJson(all, 2).at(0).as_object();
  EXPECT_EQ(json.at("approved"), false);
  EXPECT_EQ(json.at("approvals_needed"), 2);
  EXPECT_EQ(json.at("approval_status").as_string(), count.Describe());

  ASSERT_TRUE(two.Approve(local_, id_, "s1v1", "bob@example.org").ok());
  all = *two.Revisions(id_);
  count = CountApprovals(all, all[0], 2);
  EXPECT_TRUE(count.approved());
  EXPECT_EQ(count.Describe(), "approved by 2 of 2: alice@example.org, bob@example.org");
  EXPECT_EQ(store_->GetReport(id_)->state, State::kApproved);
  Result<std::optional<ApprovedRevision>> chosen = source.ForBranch(id_, "master");
  ASSERT_TRUE(chosen.ok() && chosen->has_value());
  EXPECT_EQ((*chosen)->label, "s1v1");
  EXPECT_EQ((*chosen)->approved_by, "alice@example.org");

  // An approval by the submitter or an author (recorded before that was refused) never counts.
  PatchRevision r = all[0];
  r.approvals.push_back({"carl@example.org", r.patch_ids, testing::kT0, 0, ""});
  r.approvals.push_back({"author@example.com", r.patch_ids, testing::kT0, 0, ""});
  count = CountApprovals({r}, r, 3);
  EXPECT_EQ(count.approvers, (std::vector<std::string>{"alice@example.org", "bob@example.org"}));
  EXPECT_EQ(count.not_counted,
            (std::vector<std::string>{"carl@example.org", "author@example.com"}));
  EXPECT_FALSE(count.approved());
}

TEST_F(PatchServiceTest, RevisionsMatrixApprovalsAndTheReportsApproval) {
  // Line 11 sits next to release-1's own change of line 10: the fix conflicts there.
  const std::string v1 = FixMail("master", 11, "line 11 fixed", "Message-ID: <v1@example.com>\n");
  Result<PatchRevision> s1v1 = patches_->SubmitSeries(carl_, id_, v1, {});
  ASSERT_TRUE(s1v1.ok()) << s1v1.status().message();
  EXPECT_EQ(s1v1->Name(), "s1v1");
  EXPECT_EQ(s1v1->target_branch, "master");
  EXPECT_EQ(s1v1->submitter, "carl@example.org");
  ASSERT_EQ(s1v1->trailers.size(), 1u);
  EXPECT_EQ(s1v1->trailers[0].name, "Reviewed-by");
  EXPECT_EQ(s1v1->trailers[0].email, "rev@example.com");
  EXPECT_TRUE(Row(*s1v1, "master").applies);
  EXPECT_EQ(Row(*s1v1, "master").result, R"([{"result":"applies","offset":0}])");
  EXPECT_FALSE(Row(*s1v1, "release-1").applies);
  EXPECT_EQ(
      Row(*s1v1, "release-1").result,
      R"([{"result":"conflict","offset":0,"message":"patch 1/1: hunk 1 of src/agent.c does not apply at line 8"}])");

  // Observers read but do not submit; the author of a patch does not approve it.
  EXPECT_EQ(patches_->SubmitSeries(olga_, id_, v1, {}).status().message(),
            "not allowed to submit patches to " + id_);
  EXPECT_EQ(patches_->Approve(carl_, id_, "s1v1", "").status().message(),
            "not allowed to approve patches of " + id_);
  EXPECT_EQ(patches_->Approve(local_, id_, "s1v1", "author@example.com").status().message(),
            "author@example.com wrote a patch of s1v1 and cannot approve it");
  EXPECT_EQ(patches_->Approve(local_, id_, "s1v1", "mia@example.org").status().message(),
            "mia@example.org is not an active maintainer account");
  ASSERT_TRUE(patches_->Approve(alice_, id_, "s1v1", "").ok());
  EXPECT_EQ(patches_->Approve(alice_, id_, "s1v1", "").status().message(),
            "s1v1 is already approved by alice@example.org");
  EXPECT_EQ(store_->GetReport(id_)->state, State::kFixing);  // release-1 is not covered

  // A reply in the thread is the next revision; its patch-ids differ, so the approval goes.
  const std::string v2 = FixMail("master", 11, "line 11 fixed better",
                                 "Message-ID: <v2@example.com>\nIn-Reply-To: <v1@example.com>\n");
  Result<PatchRevision> s1v2 = patches_->SubmitSeries(carl_, id_, v2, {});
  ASSERT_TRUE(s1v2.ok()) << s1v2.status().message();
  EXPECT_EQ(s1v2->Name(), "s1v2");
  std::vector<PatchRevision> all = *patches_->Revisions(id_);
  ASSERT_EQ(all.size(), 2u);
  ASSERT_EQ(all[0].approvals.size(), 1u);
  EXPECT_NE(all[0].approvals[0].voided_at, 0);
  EXPECT_EQ(all[0].approvals[0].voided_reason, "s1v2 has different patch-ids");
  EXPECT_EQ(patches_->Approve(alice_, id_, "s1v1", "").status().message(),
            "s1v1 is not the latest revision of series 1 (s1v2 is)");
  ASSERT_TRUE(patches_->Approve(alice_, id_, "s1v2", "").ok());
  EXPECT_EQ(store_->GetReport(id_)->state, State::kFixing);
  EXPECT_EQ(
      PatchService::BranchesMissingApproval(*patches_->Revisions(id_), {"master", "release-1"}),
      std::vector<std::string>{"release-1"});

  // A backport series for release-1; once approved, every required branch has an approved
  // revision that applies: the report is approved.
  const std::string backport = FixMail("release-1", 11, "line 11 fixed on release");
  PatchSubmitOptions to_release;
  to_release.target_branch = "release-1";
  Result<PatchRevision> s2v1 = patches_->SubmitSeries(carl_, id_, backport, to_release);
  ASSERT_TRUE(s2v1.ok()) << s2v1.status().message();
  EXPECT_EQ(s2v1->Name(), "s2v1");
  EXPECT_TRUE(Row(*s2v1, "release-1").applies);
  ASSERT_TRUE(patches_->Approve(local_, id_, "s2v1", "alice@example.org").ok());
  EXPECT_EQ(store_->GetReport(id_)->state, State::kApproved);

  const std::vector<std::string> kinds = EventKinds();
  for (const char* kind : {"patch.submitted", "revision.checked", "revision.approved",
                           "approval.voided", "report.approved"}) {
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), kind), kinds.end()) << kind;
  }
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

// An approved report whose approval a new revision voids goes back to fixing, in the same write
// as the new revision, with an event; approving the new revision approves the report again.
TEST_F(PatchServiceTest, AVoidedApprovalSendsAnApprovedReportBackToFixing) {
  // Line 25 is far from release-1's change: one master series covers both required branches.
  const std::string v1 = FixMail("master", 25, "line 25 fixed", "Message-ID: <a1@example.com>\n");
  ASSERT_TRUE(patches_->SubmitSeries(carl_, id_, v1, {}).ok());
  ASSERT_TRUE(patches_->Approve(alice_, id_, "s1v1", "").ok());
  ASSERT_EQ(store_->GetReport(id_)->state, State::kApproved);

  // The same patch again (explicitly linked): same patch-ids, nothing voided, still approved.
  PatchSubmitOptions link;
  link.series = 1;
  Result<PatchRevision> same = patches_->SubmitSeries(carl_, id_, v1, link);
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(same->Name(), "s1v2");
  EXPECT_EQ(store_->GetReport(id_)->state, State::kApproved);
  EXPECT_EQ(EventKinds().back(), "revision.checked");

  // A reply in the thread with another fix: the approval is voided and the report is fixing.
  const int64_t version_before = store_->GetReport(id_)->version;
  const std::string v3 = FixMail("master", 25, "line 25 fixed differently",
                                 "Message-ID: <a3@example.com>\nIn-Reply-To: <a1@example.com>\n");
  Result<PatchRevision> s1v3 = patches_->SubmitSeries(carl_, id_, v3, {});
  ASSERT_TRUE(s1v3.ok()) << s1v3.status().message();
  EXPECT_EQ(s1v3->Name(), "s1v3");
  Result<Report> after = store_->GetReport(id_);
  EXPECT_EQ(after->state, State::kFixing);
  // One write: the revision, its checks, the voiding and the state change.
  EXPECT_EQ(after->version, version_before + 5);
  const std::vector<std::string> kinds = EventKinds();
  EXPECT_EQ(std::vector<std::string>(kinds.end() - 5, kinds.end()),
            (std::vector<std::string>{"patch.submitted", "revision.checked", "revision.checked",
                                      "approval.voided", "report.unapproved"}));
  const std::vector<StoredEvent> events = *store_->Events(id_);
  EXPECT_EQ(events.back().payload, R"({"revision":"s1v3","branches":["master","release-1"]})");
  EXPECT_EQ(events.back().actor, events[events.size() - 2].actor);

  // Approving the new revision approves the report again.
  ASSERT_TRUE(patches_->Approve(alice_, id_, "s1v3", "").ok());
  EXPECT_EQ(store_->GetReport(id_)->state, State::kApproved);
  EXPECT_EQ(EventKinds().back(), "report.approved");
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(PatchServiceTest, RecheckAfterABranchMovesCanCompleteTheApproval) {
  Result<PatchRevision> s1v1 =
      patches_->SubmitSeries(carl_, id_, FixMail("master", 11, "line 11 fixed"), {});
  ASSERT_TRUE(s1v1.ok());
  ASSERT_TRUE(patches_->Approve(alice_, id_, "s1v1", "").ok());
  EXPECT_EQ(store_->GetReport(id_)->state, State::kFixing);
  // release-1 drops its change of line 10: the master fix now applies there.
  git_.Git({"checkout", "-q", "release-1"});
  git_.Write("src/agent.c", lines_);
  Commit("release: back to master's line 10");
  git_.Git({"checkout", "-q", "master"});
  Result<std::vector<PatchRevision>> rechecked = patches_->Recheck(carl_, id_);
  ASSERT_TRUE(rechecked.ok()) << rechecked.status().message();
  EXPECT_TRUE(Row(rechecked->back(), "release-1").applies);
  EXPECT_EQ(Row(rechecked->back(), "release-1").commit,
            git_.Git({"rev-parse", "release-1"}).substr(0, 40));
  EXPECT_EQ(store_->GetReport(id_)->state, State::kApproved);
  EXPECT_EQ(EventKinds().back(), "report.approved");
}

TEST_F(PatchServiceTest, SeriesLinkingBranchesAndLimits) {
  const std::string mail = FixMail("master", 5, "line five");
  ASSERT_TRUE(patches_->SubmitSeries(carl_, id_, mail, {}).ok());
  // Without a thread or change-id, a second upload is a new series; explicit linking adds v2.
  EXPECT_EQ(patches_->SubmitSeries(carl_, id_, mail, {})->Name(), "s2v1");
  PatchSubmitOptions link;
  link.series = 1;
  Result<PatchRevision> v2 = patches_->SubmitSeries(carl_, id_, mail, link);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->Name(), "s1v2");
  link.series = 7;
  EXPECT_EQ(patches_->SubmitSeries(carl_, id_, mail, link).status().message(),
            "series 7 does not exist");
  PatchSubmitOptions other;
  other.target_branch = "feature";
  EXPECT_EQ(patches_->SubmitSeries(carl_, id_, mail, other).status().message(),
            "branch feature is not master or a supported branch");
  EXPECT_EQ(patches_->SubmitSeries(carl_, id_, "not a patch\n", {}).status().message(),
            "message 1: no patch found");
  std::string bad = mail;
  bad.replace(bad.find("@@ -2,7 +2,7 @@"), 15, "@@ -2,9 +2,7 @@");
  EXPECT_EQ(patches_->SubmitSeries(carl_, id_, bad, {}).status().message(),
            "patch 1/1: hunk 1 of src/agent.c: wrong line count");

  // The smallest limit the configuration allows, and an upload over it.
  Config small = config_;
  small.patch_max_bytes = 1024;
  PatchService limited(*store_, clock_, small);
  const std::string large = mail + std::string(1024, '\n');
  EXPECT_EQ(limited.SubmitSeries(carl_, id_, large, {}).status().message(),
            "patch upload is " + std::to_string(large.size()) + " bytes, over the limit of 1024");
  Config unchecked = config_;
  unchecked.repository_path.clear();
  PatchService no_repo(*store_, clock_, unchecked);
  EXPECT_EQ(no_repo.Recheck(carl_, id_).status().message(),
            "no repository is configured ([repository] path)");
  Result<PatchRevision> stored_only = no_repo.SubmitSeries(carl_, id_, mail, {});
  ASSERT_TRUE(stored_only.ok());
  EXPECT_TRUE(stored_only->applicability.empty());
}

// b4 marks every revision of a series with the same change-id: below the last diff of a single
// patch, in the cover letter of a series. Revisions with the same change-id (on the same target
// branch) are one series, whatever else was uploaded in between.
TEST_F(PatchServiceTest, RevisionsWithTheSameChangeIdAreOneSeries) {
  const std::string single = "20260921-agent-line-5-0a1b2c3d4e5f";
  Result<PatchRevision> s1v1 = patches_->SubmitSeries(
      carl_, id_, WithB4ChangeId(FixMail("master", 5, "line five"), single), {});
  ASSERT_TRUE(s1v1.ok()) << s1v1.status().message();
  EXPECT_EQ(s1v1->change_id, single);
  ASSERT_TRUE(patches_->SubmitSeries(carl_, id_, FixMail("master", 7, "line seven"), {}).ok());
  Result<PatchRevision> s1v2 = patches_->SubmitSeries(
      carl_, id_, WithB4ChangeId(FixMail("master", 5, "line five, better"), single), {});
  ASSERT_TRUE(s1v2.ok()) << s1v2.status().message();
  EXPECT_EQ(s1v2->Name(), "s1v2");
  EXPECT_NE(LastSubmission().find(R"("linked_by":"change-id")"), std::string::npos)
      << LastSubmission();

  // A two-patch series with a cover letter, the change-id in the cover letter only.
  const std::string series = "20260921-agent-lines-12-15-5f4e3d2c1b0a";
  auto cover = [&](std::string mail) {
    return WithB4ChangeId(mail, series, mail.find("-- \n"));  // the cover letter's signature
  };
  const std::string v1 =
      cover(SeriesMail("master", 12, "line twelve", 15, "line fifteen", {"--cover-letter"}));
  Result<PatchRevision> s3v1 = patches_->SubmitSeries(carl_, id_, v1, {});
  ASSERT_TRUE(s3v1.ok()) << s3v1.status().message();
  EXPECT_EQ(s3v1->Name(), "s3v1");
  EXPECT_EQ(s3v1->patches.size(), 2u);
  EXPECT_EQ(s3v1->change_id, series);
  const std::string v2 = cover(SeriesMail("master", 12, "line twelve", 15, "line 15 reworked",
                                          {"--cover-letter", "--subject-prefix=PATCH v2"}));
  Result<PatchRevision> s3v2 = patches_->SubmitSeries(carl_, id_, v2, {});
  ASSERT_TRUE(s3v2.ok()) << s3v2.status().message();
  EXPECT_EQ(s3v2->Name(), "s3v2");
  EXPECT_NE(LastSubmission().find(R"("linked_by":"change-id")"), std::string::npos);

  // The same change-id for another target branch is another series.
  PatchSubmitOptions to_release;
  to_release.target_branch = "release-1";
  Result<PatchRevision> backport = patches_->SubmitSeries(
      carl_, id_, WithB4ChangeId(FixMail("release-1", 5, "line five"), single), to_release);
  ASSERT_TRUE(backport.ok()) << backport.status().message();
  EXPECT_EQ(backport->Name(), "s4v1");
  EXPECT_NE(LastSubmission().find(R"("linked_by":"new")"), std::string::npos);
}

// git format-patch --thread: the next revision is sent in reply to the previous one (its cover
// letter, or one of its patches), and the References/In-Reply-To headers link it to its series.
TEST_F(PatchServiceTest, ARevisionSentInTheThreadJoinsItsSeries) {
  const std::string v1 =
      SeriesMail("master", 12, "line twelve", 15, "line fifteen", {"--thread", "--cover-letter"});
  const std::string cover_id = MessageIdOf(v1, "[PATCH 0/2]");
  const std::string patch_id = MessageIdOf(v1, "[PATCH 2/2]");
  ASSERT_EQ(cover_id.front(), '<') << v1;
  ASSERT_EQ(patch_id.front(), '<') << v1;
  Result<PatchRevision> s1v1 = patches_->SubmitSeries(carl_, id_, v1, {});
  ASSERT_TRUE(s1v1.ok()) << s1v1.status().message();
  // An unrelated upload in between starts its own series.
  ASSERT_EQ(patches_->SubmitSeries(carl_, id_, FixMail("master", 5, "line five"), {})->Name(),
            "s2v1");

  // v2 replies to v1's cover letter: its patches name only that cover letter and their own.
  const std::string v2 = SeriesMail(
      "master", 12, "line twelve", 15, "line 15 reworked",
      {"--thread", "--cover-letter", "--subject-prefix=PATCH v2", "--in-reply-to=" + cover_id});
  ASSERT_EQ(v2.find(patch_id), std::string::npos);
  Result<PatchRevision> s1v2 = patches_->SubmitSeries(carl_, id_, v2, {});
  ASSERT_TRUE(s1v2.ok()) << s1v2.status().message();
  EXPECT_EQ(s1v2->Name(), "s1v2");
  EXPECT_NE(LastSubmission().find(R"("linked_by":"thread")"), std::string::npos)
      << LastSubmission();

  // v3, one squashed patch sent in reply to a patch of v1.
  const std::string v3 = FixMail("master", 12, "line twelve and fifteen", "", "");
  std::string reply = v3;
  reply.insert(reply.find("Subject:"),
               "In-Reply-To: " + patch_id + "\nReferences: " + patch_id + "\n");
  Result<PatchRevision> s1v3 = patches_->SubmitSeries(carl_, id_, reply, {});
  ASSERT_TRUE(s1v3.ok()) << s1v3.status().message();
  EXPECT_EQ(s1v3->Name(), "s1v3");
  EXPECT_NE(LastSubmission().find(R"("linked_by":"thread")"), std::string::npos);
}

}  // namespace
}  // namespace vigil
