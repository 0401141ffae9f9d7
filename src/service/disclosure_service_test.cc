// DisclosureService on a real repository (master and one supported branch, a bare remote), a
// SQLite store in a temp folder, a fake clock and an in-process recording forge: the plan and its
// refusals, every refusal of Disclose with its exact message, the full disclosure, a forge failure
// at each forge call and a crash at each crash point followed by a resumed run that repeats
// nothing, the idempotent second run, the public route and the due-disclosure round.
#include "service/disclosure_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "service/patch_service.h"
#include "service/report_service.h"
#include "store/sqlite_store.h"
#include "support/git_sandbox.h"
#include "support/project_repo.h"
#include "support/recording_forge.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

using patch::GitSandbox;
using testing::kT0;
using testing::RecordingForge;

Instant Utc(const char* text) { return *ParseUtc(text); }
const Instant kSlot = Utc("2026-09-29T15:30:00Z");  // a Tuesday, 8 days after kT0

// The patch engine's approved revisions, which a test can hide per branch or tamper with.
class TamperableRevisions final : public ApprovedRevisionSource {
 public:
  TamperableRevisions(Store& store, const Config& config) : real_(store, config) {}
  Result<std::optional<ApprovedRevision>> ForBranch(const std::string& id,
                                                    const std::string& branch) override {
    if (hidden.count(branch)) return std::optional<ApprovedRevision>();
    Result<std::optional<ApprovedRevision>> r = real_.ForBranch(id, branch);
    if (r.ok() && r->has_value() && tampered.count(branch)) {
      (*r)->patches[0].patch_id = "0123456789abcdef0123456789abcdef01234567";
    }
    return r;
  }
  std::set<std::string> hidden, tampered;

 private:
  PatchRevisionSource real_;
};

// Thrown by the crash hook: the disclosure stops where a kill -9 would have stopped it.
struct Crash {
  int point;
};

class DisclosureServiceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    ASSERT_TRUE(git_.ok());
    ASSERT_TRUE(dir_.ok());
    vigil::testing::MakeProjectRepo(git_);
    remote_ = dir_.path() + "/remote.git";
    ASSERT_EQ(git_.Git({"init", "-q", "--bare", remote_}), "");
    git_.Git({"remote", "add", "origin", remote_});
    ASSERT_EQ(git_.Git({"push", "-q", "origin", "master", "release-1"}), "");

    config_.project_name = "Widget";
    config_.publisher_name = "Widget";  // LoadConfig's default: the project name
    config_.supported_branches = {"release-1"};
    config_.repository_path = git_.dir();
    config_.data_dir = dir_.path();
    config_.advisory_dir = dir_.path() + "/advisories";
    config_.forge_repository = "acme/widget";
    config_.committer_name = "Vigil";
    config_.committer_email = "vigil@acme.example";
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    revisions_ = std::make_unique<TamperableRevisions>(*store_, config_);
    advisories_ = std::make_unique<AdvisoryService>(*store_, clock_, config_, *revisions_);
    for (auto [email, role] : {std::pair{"alice@example.org", AccountRole::kMaintainer},
                               {"bob@example.org", AccountRole::kMaintainer},
                               {"mia@example.org", AccountRole::kMember}}) {
      ASSERT_TRUE(reports_->AddAccount(local_, email, "", role, "").ok());
    }
    alice_ = {Principal::Kind::kAccount, "alice@example.org", AccountRole::kMaintainer, ""};
    bob_ = {Principal::Kind::kAccount, "bob@example.org", AccountRole::kMaintainer, ""};
  }
  void TearDown() override {
    advisories_.reset();
    revisions_.reset();
    CloseServices();
  }

  void Commit(const std::string& message) { vigil::testing::CommitAll(git_, message); }
  /// A submitted report classified at LEVEL, with an observer.
  std::string NewReport(int level) {
    SubmitRequest req;
    req.fields.subject = "Token leak in the agent";
    req.fields.steps = "SECRET-STEPS";
    req.reporter_email = "rita@example.org";
    req.reporter_name = "Rita R";
    Result<Submitted> s = reports_->Submit(Principal{}, req);
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE(reports_->Assign(local_, s->id, "alice@example.org").ok());
    EXPECT_TRUE(reports_->Confirm(local_, s->id).ok());
    EXPECT_TRUE(reports_->Classify(local_, s->id, level).ok());
    if (level != 6) {  // a closed report takes nobody in
      EXPECT_TRUE(reports_->Invite(local_, s->id, "olga@example.org", "", Role::kObserver).ok());
    }
    return s->id;
  }
  /// A level-1 report whose fix (line 25, applying to both branches) is approved.
  std::string ApprovedReport() {
    const std::string id = NewReport(1);
    EXPECT_TRUE(reports_->Invite(local_, id, "carl@example.org", "", Role::kCollaborator).ok());
    git_.Git({"checkout", "-q", "--detach", "master"});
    std::string content = GitSandbox::ReadFile(git_.dir() + "/src/agent.c");
    content.replace(content.find("line 25\n"), 8, "line 25 fixed\n");
    git_.Write("src/agent.c", content);
    Commit("agent: fix line 25\n\nThe token was logged.");
    const std::string mail = git_.Git({"format-patch", "-1", "--stdout"});
    git_.Git({"checkout", "-q", "master"});
    Principal carl{Principal::Kind::kCapability, "carl@example.org", AccountRole::kMember, id};
    Result<PatchRevision> rev = patches_->SubmitSeries(carl, id, mail, {});
    EXPECT_TRUE(rev.ok()) << rev.status().message();
    EXPECT_TRUE(patches_->Approve(alice_, id, "s1v1", "").ok());
    EXPECT_EQ(store_->GetReport(id)->state, State::kApproved);
    return id;
  }
  /// An approved report scheduled for kSlot with bob on duty, confirmed, the clock at the slot.
  std::string ReadyReport() {
    const std::string id = ApprovedReport();
    // The advisory is written (disclosure refuses one nobody wrote).
    AdvisoryEdit edit;
    edit.title = "Token leak in the agent";
    edit.summary = "An over-long header overflows the copy.";
    EXPECT_TRUE(advisories_->Edit(alice_, id, edit).ok());
    PlanRequest plan;
    plan.slot = kSlot;
    plan.on_duty = "bob@example.org";
    Result<PlanResult> p = Make().Schedule(alice_, id, plan);
    EXPECT_TRUE(p.ok()) << p.status().message();
    clock_.Set(kSlot - 3600 * kMicrosPerSecond);
    EXPECT_TRUE(Make().ConfirmOnDuty(bob_, id, "").ok());
    clock_.Set(kSlot + 60 * kMicrosPerSecond);
    return id;
  }

  DisclosureService Make(DisclosureService::CrashHook hook = {}, bool with_forge = true) {
    return DisclosureService(*store_, clock_, config_, *revisions_, *advisories_,
                             with_forge ? &forge_ : nullptr, std::move(hook));
  }
  /// Runs Disclose and returns its status; the printed lines go to printed_.
  Status Disclose(DisclosureService& d, const std::string& id, bool dry_run = false) {
    printed_.clear();
    forge_.now = FormatUtc(clock_.Now());
    return d.Disclose(bob_, id, dry_run, [&](const std::string& l) { printed_.push_back(l); });
  }
  Status Disclose(const std::string& id, bool dry_run = false) {
    DisclosureService d = Make();
    return Disclose(d, id, dry_run);
  }
  std::vector<std::string> Steps(const std::string& id, const std::string& state) {
    std::vector<std::string> out;
    for (const DisclosureStepRow& s : *store_->DisclosureLog(id)) {
      if (s.state == state) out.push_back(s.step);
    }
    return out;
  }
  std::vector<std::string> OutboxKinds(const std::string& id) {
    std::vector<std::string> kinds;
    for (const OutboxMail& m : *store_->Outbox(id)) kinds.push_back(m.kind + " " + m.recipient);
    return kinds;
  }
  std::string RemoteRef(const std::string& name) {
    int code = 0;
    std::string out = git_.Git(
        std::vector<std::string>{"--git-dir=" + remote_, "rev-parse", "--verify", "--quiet", name},
        {}, &code);
    return code == 0 ? out.substr(0, 40) : "";
  }
  /// Checks the result of a complete disclosure of ID: one issue, one pull request per branch,
  /// both branches pushed, every step done once, the report disclosed.
  void ExpectCompleteDisclosure(const std::string& id) {
    ASSERT_EQ(forge_.items.size(), 3u);
    EXPECT_FALSE(forge_.items[0].pull);
    EXPECT_EQ(forge_.items[0].title, "Token leak in the agent");
    EXPECT_NE(forge_.items[0].body.find("<!-- vigil:" + id + " -->"), std::string::npos);
    EXPECT_EQ(forge_.items[1].head, "security/" + id + "-master");
    EXPECT_EQ(forge_.items[1].base, "master");
    EXPECT_EQ(forge_.items[2].head, "security/" + id + "-release-1");
    EXPECT_EQ(forge_.items[2].base, "release-1");
    for (const char* branch : {"master", "release-1"}) {
      const std::string head = RemoteRef("refs/heads/security/" + id + "-" + branch);
      ASSERT_EQ(head.size(), 40u) << branch;
      EXPECT_EQ(git_.Git({"--git-dir=" + remote_, "log", "-1", "--format=%an <%ae>|%cn|%s", head}),
                "A U Thor <author@example.com>|Vigil|agent: fix line 25\n");
      EXPECT_EQ(git_.Git({"--git-dir=" + remote_, "rev-parse", head + "^"}),
                git_.Git({"rev-parse", branch}));
    }
    const std::vector<std::string> done = Steps(id, "done");
    EXPECT_EQ(done, (std::vector<std::string>{"apply:master", "apply:release-1", "push:master",
                                              "push:release-1", "issue", "pr:master",
                                              "pr:release-1", "advisory", "finish"}));
    Result<Report> r = store_->GetReport(id);
    EXPECT_EQ(r->state, State::kDisclosed);
    EXPECT_TRUE((*store_->FindDisclosurePlan(id))->public_view);
    EXPECT_TRUE(store_->VerifyAudit()->ok);
  }

  GitSandbox git_;
  std::string remote_;
  RecordingForge forge_;
  std::unique_ptr<TamperableRevisions> revisions_;
  std::unique_ptr<AdvisoryService> advisories_;
  Principal alice_, bob_;
  std::vector<std::string> printed_;
};

TEST_F(DisclosureServiceTest, ScheduleRefusalsWarningsAndNotices) {
  const std::string id = ApprovedReport();
  DisclosureService d = Make();
  PlanRequest plan;
  plan.slot = kSlot;
  plan.on_duty = "mia@example.org";
  EXPECT_EQ(d.Schedule(alice_, id, plan).status().message(),
            "mia@example.org is not an active maintainer account and cannot be on duty");
  plan.on_duty = "nobody@example.org";
  EXPECT_EQ(d.Schedule(alice_, id, plan).status().message(),
            "nobody@example.org is not an active maintainer account and cannot be on duty");
  plan.on_duty = "Bob@Example.org";
  plan.notice_days = 91;
  EXPECT_EQ(d.Schedule(alice_, id, plan).status().message(), "notice must be 0 to 90 days");
  plan.notice_days = -1;
  plan.slot = kT0 - 1;
  EXPECT_EQ(d.Schedule(alice_, id, plan).status().message(),
            "cannot schedule " + id + ": the slot 2026-09-21T14:13:19Z is not in the future");
  plan.slot = kT0 + 91 * kMicrosPerDay;
  EXPECT_EQ(d.Schedule(alice_, id, plan).status().message(),
            "cannot schedule " + id +
                ": the slot 2026-12-21T14:13:20Z is past the embargo cap of 90 days "
                "(2026-12-20T14:13:20Z)");
  plan.slot = kT0 + 3 * kMicrosPerDay;
  Result<PlanResult> refused = d.Schedule(alice_, id, plan);
  EXPECT_EQ(refused.status().code(), Code::kConflict);
  EXPECT_EQ(refused.status().message(),
            "cannot schedule " + id +
                ": the slot 2026-09-24T14:13:20Z leaves observers less than 7 days of notice");
  EXPECT_FALSE(store_->FindDisclosurePlan(id)->has_value());
  EXPECT_EQ(store_->GetReport(id)->state, State::kApproved);

  // A Saturday slot with 20 days of notice: scheduled, with both warnings.
  plan.slot = Utc("2026-10-17T15:30:00Z");
  plan.notice_days = 20;
  Result<PlanResult> p = d.Schedule(alice_, id, plan);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->warnings,
            (std::vector<std::string>{
                "the slot 2026-10-17T15:30:00Z is outside Tuesday-Thursday 15:00-16:00 UTC",
                "a notice of 20 days is longer than the 14 days linux-distros allows"}));
  EXPECT_EQ(p->report.state, State::kScheduled);
  EXPECT_EQ(p->report.embargo.end, plan.slot);
  EXPECT_EQ(p->plan.on_duty, "bob@example.org");
  EXPECT_EQ(p->plan.notice_days, 20);
  EXPECT_EQ(store_->Events(id)->back().kind, "disclosure.scheduled");
  const std::vector<std::string> kinds = OutboxKinds(id);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "on-duty-request bob@example.org"), kinds.end());
  Result<std::optional<DisclosurePlanRow>> row = d.Plan(id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->slot, plan.slot);
  EXPECT_EQ((*row)->confirmed_at, 0);
}

TEST_F(DisclosureServiceTest, OnlyTheOnDutyMaintainerConfirmsAndOnlyInTheLastDay) {
  const std::string id = ApprovedReport();
  DisclosureService d = Make();
  EXPECT_EQ(d.ConfirmOnDuty(bob_, id, "").status().message(), "no disclosure plan for " + id);
  PlanRequest plan;
  plan.slot = kSlot;
  plan.on_duty = "bob@example.org";
  ASSERT_TRUE(d.Schedule(alice_, id, plan).ok());
  Result<DisclosurePlanRow> denied = d.ConfirmOnDuty(alice_, id, "");
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "only the on-duty maintainer bob@example.org can confirm");
  EXPECT_EQ(d.ConfirmOnDuty(local_, id, "alice@example.org").status().message(),
            "only the on-duty maintainer bob@example.org can confirm");
  EXPECT_EQ(d.ConfirmOnDuty(bob_, id, "").status().message(),
            "confirmation for " + id + " opens 24 hours before the slot, at 2026-09-28T15:30:00Z");
  clock_.Set(kSlot - kMicrosPerDay);
  Result<DisclosurePlanRow> ok = d.ConfirmOnDuty(local_, id, "");  // the operator, for bob
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->confirmed_at, kSlot - kMicrosPerDay);
  EXPECT_EQ(ok->confirmed_by, "root");  // who confirmed: the operator
  EXPECT_EQ(store_->Events(id)->back().kind, "disclosure.on_duty_confirmed");
  EXPECT_EQ((*store_->FindDisclosurePlan(id))->confirmed_by, "root");
  ASSERT_TRUE(d.ConfirmOnDuty(local_, id, "Bob@Example.org").ok());
  EXPECT_EQ((*store_->FindDisclosurePlan(id))->confirmed_by, "bob@example.org");
}

TEST_F(DisclosureServiceTest, DiscloseRefusesBeforeItsPreconditionsHold) {
  const std::string id = ApprovedReport();
  EXPECT_EQ(Disclose(id).message(),
            "cannot disclose " + id + ": it is approved; disclose needs scheduled");
  PlanRequest plan;
  plan.slot = kSlot;
  plan.on_duty = "bob@example.org";
  ASSERT_TRUE(Make().Schedule(alice_, id, plan).ok());
  EXPECT_EQ(Disclose(id).message(),
            "cannot disclose " + id + ": the slot 2026-09-29T15:30:00Z is not reached");

  // At the slot without the on-duty confirmation: refused, and the coordinator hears (not on a
  // dry run).
  clock_.Set(kSlot);
  const std::string unconfirmed =
      "cannot disclose " + id +
      ": the on-duty maintainer bob@example.org has not confirmed availability within the 24 "
      "hours before the slot 2026-09-29T15:30:00Z";
  const size_t mails = store_->Outbox(id)->size();
  EXPECT_EQ(Disclose(id, /*dry_run=*/true).message(), unconfirmed);
  EXPECT_EQ(store_->Outbox(id)->size(), mails);
  Status st = Disclose(id);
  EXPECT_EQ(st.code(), Code::kConflict);
  EXPECT_EQ(st.message(), unconfirmed);
  ASSERT_EQ(store_->Outbox(id)->size(), mails + 1);
  const OutboxMail alert = store_->Outbox(id)->back();
  EXPECT_EQ(alert.kind, "disclosure-blocked");
  EXPECT_EQ(alert.recipient, "alice@example.org");
  EXPECT_EQ(alert.subject, "[" + id + "] Disclosure did not start");
  EXPECT_NE(alert.body.find("The disclosure of " + id +
                            " did not start: the on-duty maintainer bob@example.org has not "
                            "confirmed availability."),
            std::string::npos)
      << alert.body;
  EXPECT_EQ(store_->Events(id)->back().kind, "disclosure.blocked");

  ASSERT_TRUE(Make().ConfirmOnDuty(bob_, id, "").ok());
  const std::string repository = config_.repository_path;
  config_.repository_path.clear();
  EXPECT_EQ(Disclose(id).message(),
            "cannot disclose " + id + ": no repository configured ([repository] path)");
  config_.repository_path = repository;
  DisclosureService no_forge = Make({}, /*with_forge=*/false);
  EXPECT_EQ(Disclose(no_forge, id).message(),
            "cannot disclose " + id + ": no forge configured ([disclosure] forge_api_url)");

  // Another run (here or in another instance on the same database) holds the report's lock.
  {
    Result<std::unique_ptr<RunLock>> other = store_->TryRunLock("disclose-" + id);
    ASSERT_TRUE(other.ok() && *other != nullptr);
    EXPECT_EQ(Disclose(id).message(),
              "cannot disclose " + id + ": another disclosure of it is running");
  }

  EXPECT_TRUE(forge_.calls.empty());
  EXPECT_TRUE(store_->DisclosureLog(id)->empty());
  EXPECT_EQ(store_->GetReport(id)->state, State::kScheduled);
}

TEST_F(DisclosureServiceTest, DiscloseRefusesWhatIsNotTheApprovedFix) {
  const std::string id = ReadyReport();
  revisions_->hidden = {"release-1"};
  EXPECT_EQ(Disclose(id).message(),
            "cannot disclose " + id + ": no approved revision for release-1");
  revisions_->hidden.clear();

  revisions_->tampered = {"master"};
  const std::string approved =
      (*revisions_->ForBranch(id, "release-1"))->approved_patch_ids[0].substr(0, 12);
  EXPECT_EQ(Disclose(id).message(),
            "cannot disclose " + id +
                ": the revision approved for master changed after approval (patch 1/1: patch-id "
                "0123456789ab, approved " +
                approved + ")");
  revisions_->tampered.clear();

  // master moved: the approved fix no longer applies there.
  std::string content = GitSandbox::ReadFile(git_.dir() + "/src/agent.c");
  content.replace(content.find("line 25\n"), 8, "line 25 changed upstream\n");
  git_.Write("src/agent.c", content);
  Commit("upstream change");
  const Status st = Disclose(id);
  EXPECT_EQ(st.code(), Code::kConflict);
  EXPECT_TRUE(st.message().starts_with("cannot disclose " + id +
                                       ": the approved revision for master no longer applies: "
                                       "patch 1/1 (agent: fix line 25) does not apply: "))
      << st.message();
  EXPECT_TRUE(forge_.calls.empty());
  EXPECT_TRUE(store_->DisclosureLog(id)->empty());
}

TEST_F(DisclosureServiceTest, ADryRunDescribesTheStepsAndChangesNothing) {
  const std::string id = ReadyReport();
  const int64_t version = store_->GetReport(id)->version;
  ASSERT_TRUE(Disclose(id, /*dry_run=*/true).ok());
  ASSERT_EQ(printed_.size(), 11u);
  EXPECT_EQ(printed_[0], id + ": preconditions met; the disclosure would:");
  const std::string master = git_.Git({"rev-parse", "master"}).substr(0, 12);
  EXPECT_EQ(printed_[1],
            "  1. apply s1v1 (1 patch) to master at " + master + " as security/" + id + "-master");
  EXPECT_EQ(printed_[3], "  3. push security/" + id + "-master to origin");
  EXPECT_EQ(printed_[5], "  5. open the public issue \"Token leak in the agent\" on acme/widget");
  EXPECT_EQ(printed_[6],
            "  6. open a pull request security/" + id + "-master -> master on acme/widget");
  EXPECT_EQ(printed_[8], "  8. publish the advisory files to " + config_.advisory_dir);
  EXPECT_EQ(printed_[9], "  9. lift the embargo, mark " + id +
                             " disclosed, make its public view visible and notify 4 people");
  EXPECT_EQ(printed_[10], "(dry run: nothing was changed)");
  EXPECT_TRUE(forge_.calls.empty());
  EXPECT_TRUE(store_->DisclosureLog(id)->empty());
  EXPECT_EQ(store_->GetReport(id)->version, version);
  EXPECT_EQ(RemoteRef("refs/heads/security/" + id + "-master"), "");
}

TEST_F(DisclosureServiceTest, TheDisclosurePublishesEverythingOnceAndASecondRunDoesNothing) {
  const std::string id = ReadyReport();
  Status st = Disclose(id);
  ASSERT_TRUE(st.ok()) << st.message();
  ExpectCompleteDisclosure(id);
  EXPECT_EQ(printed_.front(), id + ": disclosing");
  EXPECT_EQ(printed_.size(), 10u);
  // The issue step looks for an issue of an earlier attempt even on the first one.
  EXPECT_EQ(forge_.calls, (std::vector<std::string>{"FindIssue", "OpenIssue", "FindPull",
                                                    "OpenPull", "FindPull", "OpenPull"}));
  EXPECT_NE(forge_.items[1].body.find("Fixes #1 on master."), std::string::npos)
      << forge_.items[1].body;
  EXPECT_EQ(forge_.items[1].title, "Token leak in the agent (master)");

  // The advisory names the issue and the disclosed commits; its files are written.
  Result<AdvisoryDraft> draft = advisories_->Draft(id);
  ASSERT_EQ(draft->fixed_commits.size(), 2u);
  EXPECT_EQ(draft->fixed_commits[0], RemoteRef("refs/heads/security/" + id + "-master"));
  EXPECT_EQ(draft->published, kSlot + 60 * kMicrosPerSecond);
  ASSERT_EQ(draft->references.size(), 1u);
  EXPECT_EQ(draft->references[0].url, "https://forge.example/acme/widget/issues/1");
  for (const std::string& file : {id + ".md", id + ".osv.json", id + ".csaf.json",
                                  "osv/x_" + id + ".json", std::string("osv/modified_id.csv")}) {
    EXPECT_TRUE(std::filesystem::exists(config_.advisory_dir + "/" + file)) << file;
  }
  // Everyone read in hears that it is disclosed.
  std::vector<std::string> told;
  for (const OutboxMail& m : *store_->Outbox(id)) {
    if (m.kind == "disclosed") told.push_back(m.recipient);
  }
  std::sort(told.begin(), told.end());
  EXPECT_EQ(told, (std::vector<std::string>{"alice@example.org", "carl@example.org",
                                            "olga@example.org", "rita@example.org"}));
  EXPECT_EQ(store_->Events(id)->back().kind, "report.disclosed");

  // A second run finds the report disclosed and touches nothing.
  const size_t log = store_->DisclosureLog(id)->size();
  const int64_t version = store_->GetReport(id)->version;
  ASSERT_TRUE(Disclose(id).ok());
  EXPECT_EQ(printed_, std::vector<std::string>{id + " is already disclosed"});
  EXPECT_EQ(forge_.calls.size(), 6u);
  EXPECT_EQ(store_->DisclosureLog(id)->size(), log);
  EXPECT_EQ(store_->GetReport(id)->version, version);
}

// The forge fails at each of the six calls of a disclosure in turn (a new report each time): the
// run stops with the step named, and the next run resumes without repeating what was done.
// Once a disclosure has started (branches pushed, the forge down at the issue), its slot can be
// neither moved nor withdrawn: the run is finished, not abandoned half public.
TEST_F(DisclosureServiceTest, AStartedDisclosureCannotBeMovedOrWithdrawn) {
  const std::string id = ReadyReport();
  forge_.fail_at = 1;
  ASSERT_EQ(Disclose(id).code(), Code::kUnavailable);
  const size_t steps = Steps(id, "done").size() + Steps(id, "intent").size();
  ASSERT_GT(steps, 0u);
  const std::string started = ": its disclosure has started (" + std::to_string(steps) +
                              " steps recorded); finish it with vigil disclose " + id;
  EXPECT_EQ(Make().Unschedule(alice_, id, "wait").status().message(),
            "cannot unschedule " + id + started);
  PlanRequest plan;
  plan.slot = kSlot + 7 * 86400 * kMicrosPerSecond;
  plan.on_duty = "bob@example.org";
  plan.reason = "later";
  plan.reschedule = true;
  EXPECT_EQ(Make().Schedule(alice_, id, plan).status().message(),
            "cannot reschedule " + id + started);
  EXPECT_EQ(store_->GetReport(id)->state, State::kScheduled);
}

TEST_F(DisclosureServiceTest, AForgeFailureAtEachCallStopsTheRunAndTheNextRunResumes) {
  const std::vector<std::string> stops = {"issue",     "issue",        "pr:master",
                                          "pr:master", "pr:release-1", "pr:release-1"};
  for (int call = 1; call <= 6; ++call) {
    SCOPED_TRACE("forge call " + std::to_string(call));
    clock_.Set(kT0);
    forge_ = RecordingForge();
    const std::string id = ReadyReport();
    forge_.fail_at = call;
    const Status st = Disclose(id);
    EXPECT_EQ(st.code(), Code::kUnavailable);
    EXPECT_EQ(st.message(), "disclosure of " + id + " stopped at " + stops[call - 1] + ": " +
                                forge_.failure.message() + " (fix it and run `vigil disclose " +
                                id + "` again)");
    EXPECT_EQ(store_->GetReport(id)->state, State::kScheduled);
    const size_t done_before = Steps(id, "done").size();
    EXPECT_EQ(done_before, call <= 2 ? 4u : call <= 4 ? 5u : 6u);
    forge_.fail_at = 0;
    clock_.Advance(60 * kMicrosPerSecond);
    ASSERT_TRUE(Disclose(id).ok());
    ExpectCompleteDisclosure(id);
    EXPECT_EQ(forge_.Count("OpenIssue"), call == 2 ? 2 : 1);  // the failed call counts
    EXPECT_EQ(forge_.Count("FindIssue"), call <= 2 ? 2 : 1);
    EXPECT_EQ(forge_.Count("OpenPull"), call == 4 || call == 6 ? 3 : 2);
    EXPECT_EQ(Steps(id, "intent").size(), 9u);  // no step started twice
    EXPECT_EQ(printed_[1].substr(0, 12), "  1. (done) ");
  }
}

// A crash (kill -9) at each crash point in turn, each followed by a new process that resumes:
// the result is the same as one uninterrupted run.
TEST_F(DisclosureServiceTest, ACrashAtEveryPointResumesWithoutRepeatingAStep) {
  const std::string id = ReadyReport();
  int crashes = 0;
  for (int point = 1; point <= 30; ++point) {
    clock_.Advance(kMicrosPerSecond);
    DisclosureService d = Make([point](int at) {
      if (at == point) throw Crash{at};
    });
    bool crashed = false;
    try {
      const Status st = Disclose(d, id);
      ASSERT_TRUE(st.ok()) << "after a crash at point " << point - 1 << ": " << st.message();
    } catch (const Crash& c) {
      EXPECT_EQ(c.point, point);
      crashed = true;
      ++crashes;
    }
    if (!crashed) break;
  }
  EXPECT_EQ(crashes, 18);  // two points for each of the 9 steps
  ExpectCompleteDisclosure(id);
  EXPECT_EQ(forge_.Count("OpenIssue"), 1);
  EXPECT_EQ(forge_.Count("OpenPull"), 2);
  EXPECT_EQ(forge_.Count("FindIssue"), 2);  // the two runs after the issue's crash points
}

TEST_F(DisclosureServiceTest, TheDueRoundAlertsOncePerSlotThenDiscloses) {
  const std::string id = ApprovedReport();
  AdvisoryEdit edit;
  edit.title = "Token leak in the agent";
  edit.summary = "An over-long header overflows the copy.";
  ASSERT_TRUE(advisories_->Edit(alice_, id, edit).ok());
  PlanRequest plan;
  plan.slot = kSlot;
  plan.on_duty = "bob@example.org";
  ASSERT_TRUE(Make().Schedule(alice_, id, plan).ok());
  DisclosureService d = Make();
  std::vector<std::string> lines;
  auto print = [&](const std::string& l) { lines.push_back(l); };
  Result<std::vector<std::string>> due = d.DiscloseDue(bob_, print);  // before the slot
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  EXPECT_TRUE(lines.empty());

  clock_.Set(kSlot + kMicrosPerSecond);
  auto alerts = [&] {
    int n = 0;
    for (const StoredEvent& e : *store_->Events(id)) n += e.kind == "disclosure.blocked";
    return n;
  };
  due = d.DiscloseDue(bob_, print);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], id + ": cannot disclose " + id +
                          ": the on-duty maintainer bob@example.org has not confirmed "
                          "availability within the 24 hours before the slot 2026-09-29T15:30:00Z");
  EXPECT_EQ(alerts(), 1);
  clock_.Advance(60 * kMicrosPerSecond);
  ASSERT_TRUE(d.DiscloseDue(bob_, print).ok());
  EXPECT_EQ(alerts(), 1);  // once per slot

  ASSERT_TRUE(d.ConfirmOnDuty(bob_, id, "").ok());
  lines.clear();
  forge_.now = FormatUtc(clock_.Now());
  due = d.DiscloseDue(bob_, print);
  ASSERT_TRUE(due.ok()) << due.status().message();
  EXPECT_EQ(*due, std::vector<std::string>{id});
  EXPECT_EQ(lines.front(), id + ": " + id + ": disclosing");
  ExpectCompleteDisclosure(id);
}

// Two instances' rounds reach the same due report: the one holding its run lock discloses it;
// the other leaves it alone (no refusal, no alert to the coordinator), and finds it disclosed.
TEST_F(DisclosureServiceTest, ADueReportAnotherRunHoldsIsLeftToIt) {
  const std::string id = ReadyReport();
  clock_.Set(kSlot + kMicrosPerSecond);
  forge_.now = FormatUtc(clock_.Now());
  DisclosureService other_instance = Make();
  std::vector<std::string> lines;
  auto print = [&](const std::string& l) { lines.push_back(l); };
  {
    Result<std::unique_ptr<RunLock>> held = store_->TryRunLock("disclose-" + id);
    ASSERT_TRUE(held.ok() && *held != nullptr);
    Result<std::vector<std::string>> due = other_instance.DiscloseDue(bob_, print);
    ASSERT_TRUE(due.ok()) << due.status().message();
    EXPECT_TRUE(due->empty());
    EXPECT_TRUE(lines.empty());
    EXPECT_TRUE(forge_.calls.empty());
    for (const StoredEvent& e : *store_->Events(id)) EXPECT_NE(e.kind, "disclosure.blocked");
  }
  DisclosureService first = Make();
  Result<std::vector<std::string>> due = first.DiscloseDue(bob_, print);
  ASSERT_TRUE(due.ok()) << due.status().message();
  EXPECT_EQ(*due, std::vector<std::string>{id});
  lines.clear();
  due = other_instance.DiscloseDue(bob_, print);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  EXPECT_TRUE(lines.empty());
  ExpectCompleteDisclosure(id);
}

TEST_F(DisclosureServiceTest, RedactionRefusals) {
  const std::string embargoed = ApprovedReport();
  DisclosureService d = Make();
  EXPECT_EQ(d.Redact(alice_, embargoed, "Title", "Text").status().message(),
            "cannot redact " + embargoed + ": it is not on the public route");
  const std::string id = NewReport(4);
  EXPECT_EQ(d.Redact(alice_, id, "", "Text").status().message(), "public title is required");
  EXPECT_EQ(d.Redact(alice_, id, "Title", "").status().message(), "public text is required");
  EXPECT_EQ(d.Redact(alice_, id, "Two\nlines", "Text").status().message(),
            "public title must be one line of at most 256 bytes");
  EXPECT_EQ(d.Redact(alice_, id, std::string(257, 't'), "Text").status().message(),
            "public title must be one line of at most 256 bytes");
  Result<AdvisoryDraft> big = d.Redact(alice_, id, "Title", std::string(65537, 'x'));
  EXPECT_EQ(big.status().code(), Code::kTooLarge);
  EXPECT_EQ(big.status().message(), "public text is longer than 65536 bytes");
  EXPECT_FALSE(store_->FindAdvisoryDraft(id)->has_value());
}

TEST_F(DisclosureServiceTest, ThePublicRouteOpensOneIssueEvenAcrossFailuresAndCrashes) {
  const std::string id = NewReport(4);
  DisclosureService d = Make();
  EXPECT_EQ(d.OpenPublicIssue(alice_, id, false).status().message(),
            "cannot open a public issue for " + id + ": redact its public title and text first");
  Result<AdvisoryDraft> redacted =
      d.Redact(alice_, id, "Agent logs are verbose", "The agent logs more than it should.");
  ASSERT_TRUE(redacted.ok()) << redacted.status().message();
  EXPECT_TRUE(redacted->redacted);
  EXPECT_EQ(store_->Events(id)->back().kind, "report.redacted");
  const OutboxMail told = store_->Outbox(id)->back();
  EXPECT_EQ(told.kind, "redaction");
  EXPECT_EQ(told.recipient, "rita@example.org");
  EXPECT_EQ(told.subject, "[" + id + "] Public version of your report");

  // The forge fails: nothing is published, the intent is kept.
  forge_.fail_at = 1;
  forge_.now = FormatUtc(clock_.Now());
  Result<ForgeItem> failed = d.OpenPublicIssue(alice_, id, false);
  EXPECT_EQ(failed.status().message(), forge_.failure.message());
  EXPECT_EQ(store_->GetReport(id)->state, State::kConfirmed);
  // A crash after the issue is opened, before it is recorded.
  DisclosureService crashing = Make([](int at) {
    if (at == 2) throw Crash{at};
  });
  EXPECT_THROW((void)crashing.OpenPublicIssue(alice_, id, false), Crash);
  EXPECT_EQ(forge_.items.size(), 1u);
  // The next run finds that issue by its marker instead of opening another.
  Result<ForgeItem> item = Make().OpenPublicIssue(alice_, id, false);
  ASSERT_TRUE(item.ok()) << item.status().message();
  EXPECT_EQ(item->number, 1);
  EXPECT_EQ(item->url, "https://forge.example/acme/widget/issues/1");
  EXPECT_EQ(forge_.items.size(), 1u);
  EXPECT_EQ(forge_.items[0].title, "Agent logs are verbose");
  EXPECT_EQ(forge_.items[0].body,
            "The agent logs more than it should.\n\n<!-- vigil:" + id + " -->\n");
  EXPECT_EQ(store_->GetReport(id)->state, State::kPublic);
  EXPECT_EQ(store_->Events(id)->back().kind, "report.published");
  // Again: the recorded issue, without asking the forge.
  const size_t calls = forge_.calls.size();
  item = Make().OpenPublicIssue(alice_, id, false);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->number, 1);
  EXPECT_EQ(forge_.calls.size(), calls);
}

TEST_F(DisclosureServiceTest, AClosedLevelSixReportIsPublishedOnlyByChoiceAndStaysClosed) {
  const std::string id = NewReport(6);
  ASSERT_EQ(store_->GetReport(id)->state, State::kRejected);
  DisclosureService d = Make();
  ASSERT_TRUE(d.Redact(alice_, id, "Not a vulnerability", "Works as intended.").ok());
  EXPECT_EQ(d.OpenPublicIssue(alice_, id, false).status().message(),
            "cannot open a public issue for " + id +
                ": level 6 reports are closed without a public trace (choose --publish-closed to "
                "publish it anyway)");
  EXPECT_TRUE(forge_.calls.empty());
  Result<ForgeItem> item = d.OpenPublicIssue(alice_, id, true);
  ASSERT_TRUE(item.ok()) << item.status().message();
  EXPECT_EQ(store_->GetReport(id)->state, State::kRejected);
  EXPECT_EQ(store_->Events(id)->back().kind, "public.issue_opened");
  EXPECT_EQ(forge_.Count("OpenIssue"), 1);
}

}  // namespace
}  // namespace vigil
