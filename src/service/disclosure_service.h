// The last step of the policy: the disclosure plan (slot, observers' notice, on-duty
// confirmation), the one-command, resumable disclosure, and the public route for levels >= 4.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/access.h"
#include "core/report.h"
#include "core/time.h"
#include "forge/forge.h"
#include "service/advisory_service.h"
#include "service/patch_revision_source.h"
#include "store/store.h"

namespace vigil {

struct PlanRequest {
  Instant slot = 0;
  int notice_days = -1;  // -1: the configured default
  std::string on_duty;   // a maintainer or admin account
  std::string reason;    // why a scheduled disclosure moves (required then); everyone is told
  /// True: move the slot of a scheduled report (`plan reschedule`); false: the first slot of
  /// an approved one.
  bool reschedule = false;
};

struct PlanResult {
  Report report;
  DisclosurePlanRow plan;
  std::vector<std::string> warnings;  // slot outside the usual window, notice over 14 days
};

/// The disclosure log's record that the coordinator disclosed without an advisory (the step
/// name; its detail names who): a resumed run keeps the choice.
inline constexpr char kWithoutAdvisoryStep[] = "without-advisory";

/// What disclosure publishes of credit C: its name, "anonymous", nothing; a fix author who did
/// not answer is published by the commit's name (public anyway), a decline is honoured.
std::string CreditOutcome(const DraftCredit& c);

class DisclosureService {
 public:
  /// Called with the number of each crash point a disclosure passes in this process (1, 2, ...):
  /// each step has two, 2k-1 after its intent is recorded and 2k after its side effect, before it
  /// is marked done. Tests kill the process there to prove that every step resumes.
  using CrashHook = std::function<void(int point)>;

  /// Every reference must outlive the service; FORGE may be null (no forge configured);
  /// CRASH_HOOK is empty in production.
  DisclosureService(Store& store, const Clock& clock, const Config& config,
                    ApprovedRevisionSource& approved, AdvisoryService& advisories, Forge* forge,
                    CrashHook crash_hook = {});

  /// Schedules the disclosure (approved -> scheduled). Refusals (kConflict): core's schedule
  /// refusals (slot not in the future, past the embargo cap); "cannot schedule ID: the slot X
  /// leaves observers less than N days of notice". Observers get their notice queued for
  /// slot - notice days; the on-duty maintainer is asked to confirm.
  /// With REQUEST.reschedule a scheduled report is moved instead (event
  /// "disclosure.rescheduled"; a reason required: "cannot reschedule ID: a reason is required
  /// …"; refused once its disclosure has started): the old plan's pending observer notices are
  /// withdrawn, new ones queued, the on-duty confirmation starts over, and everyone on the report
  /// is told (observers only once their notice went out; the previous on-duty maintainer too).
  /// "cannot schedule ID: it is scheduled; move it with plan reschedule …" without it.
  Result<PlanResult> Schedule(const Principal& actor, const std::string& id, PlanRequest request);
  /// Withdraws the slot of a scheduled report (scheduled -> approved; the embargo goes on,
  /// within its cap) for REASON (required); pending observer notices are withdrawn and everyone
  /// on the report is told. Event "disclosure.unscheduled".
  Result<Report> Unschedule(const Principal& actor, const std::string& id, std::string reason);
  /// Records that the on-duty maintainer (the caller, or AS for the local operator) is available.
  /// Refusals: "no disclosure plan for ID", "only the on-duty maintainer X can confirm",
  /// "confirmation for ID opens 24 hours before the slot, at X".
  Result<DisclosurePlanRow> ConfirmOnDuty(const Principal& actor, const std::string& id,
                                          const std::string& as);
  Result<std::optional<DisclosurePlanRow>> Plan(const std::string& id);
  Result<std::vector<DisclosureStepRow>> Log(const std::string& id);

  /// Discloses every scheduled report whose slot is reached: what `vigil serve` runs every
  /// minute with [disclosure] auto_disclose, and `vigil disclose --due` once. Each report is
  /// first checked with a dry run; a report refused at its slot stays scheduled and its
  /// coordinator is alerted once per slot (a "disclosure.blocked" event since the slot means
  /// they were). A report another run holds (another instance's round, `vigil disclose`) is
  /// left to it. PRINT gets "ID: ..." lines. Returns the ids disclosed by this call; an error
  /// only when the store fails.
  Result<std::vector<std::string>> DiscloseDue(
      const Principal& actor, const std::function<void(const std::string&)>& print);

  /// Checks the preconditions, then runs (or, with DRY_RUN, describes) every step not yet done,
  /// recording each in the execution log. PRINT receives one line per step. Refusals
  /// (kConflict), each "cannot disclose ID: " and: "it is S; disclose needs scheduled",
  /// "the slot X is not reached", "the on-duty maintainer M has not confirmed availability within
  /// the 24 hours before the slot X" (the coordinator is alerted), "no approved revision for B",
  /// "the revision approved for B changed after approval (patch i/n: patch-id X, approved Y)",
  /// "the approved revision for B no longer applies: patch i/n (S) does not apply: ...",
  /// "no repository configured", "no forge configured".
  /// Also refused: "nobody wrote the advisory's title and summary (…); to disclose without an
  /// advisory, say --without-advisory" unless WITHOUT_ADVISORY (then no advisory is published
  /// and the issue is titled "Security fix for ID").
  Status Disclose(const Principal& actor, const std::string& id, bool dry_run,
                  const std::function<void(const std::string&)>& print,
                  bool without_advisory = false);
  /// `vigil disclose --dry-run`: at any time and in any state, prints through PRINT the state,
  /// slot and on-duty confirmation, the advisory, every credit with its consent and what will be
  /// published, then one "  missing: …" line per thing that stops the disclosure today (each
  /// the reason Disclose would give), "  warning: …" lines, and every step it would take.
  /// Changes nothing. Errors: kConflict "cannot disclose ID yet: N things missing (…)" after
  /// printing, when anything is missing; the report's lookup, the store's.
  Status Preview(const std::string& id, bool without_advisory,
                 const std::function<void(const std::string&)>& print);

  /// The public route: the coordinator's public title and text (the reporter is told).
  Result<AdvisoryDraft> Redact(const Principal& actor, const std::string& id,
                               const std::string& title, const std::string& text);
  /// Opens the regular public issue for a redacted public-route report and makes it public.
  /// A level-6 report (closed) gets one only when PUBLISH_CLOSED (the coordinator's choice) and
  /// stays closed. Returns the issue.
  Result<ForgeItem> OpenPublicIssue(const Principal& actor, const std::string& id,
                                    bool publish_closed);

 private:
  struct Step;  // disclosure_steps.h
  struct Run;   // disclosure_steps.h
  /// Disclose, with the report's run lock held by the caller (or not needed: a dry run).
  Status DiscloseHeld(const Principal& actor, const std::string& id, bool dry_run,
                      const std::function<void(const std::string&)>& print, bool without_advisory);
  /// The preconditions of a disclosure. MISSING null: the first refusal; else every one is
  /// appended to MISSING (without "cannot disclose ID: ") and the result is Ok.
  Status Precheck(const Report& report, const DisclosurePlanRow& plan,
                  const std::vector<DisclosureStepRow>& log, std::vector<std::string>* branches,
                  std::vector<ApprovedRevision>* revisions, bool* unconfirmed,
                  std::vector<std::string>* missing);
  static std::string AdvisoryMissing();
  Status Record(const std::string& id, const std::string& step, const std::string& state,
                const std::string& detail);
  void CrashPoint();
  Status AlertCoordinator(const Report& report, const std::string& why);
  /// Dead-letters ID's pending observer notices ("withdrawn, not sent: WHY", only while still
  /// pending) in B. Returns the observers whose notice already went out.
  Result<std::set<std::string>> WithdrawNotices(const std::string& id, const std::string& why,
                                                WriteBatch* b);
  /// Queues TEXT (after the embargo reminder while under embargo) to everyone on R but the
  /// observers not in NOTICED (who learn a date only from their notice), and to ON_DUTY.
  void TellEveryone(const Report& r, const std::set<std::string>& noticed,
                    const std::string& on_duty, const std::string& subject, const std::string& text,
                    Instant now, WriteBatch* b);
  /// kConflict "cannot COMMAND ID: its disclosure has started (…)" once a step is recorded.
  Status RefuseOnceStarted(const std::string& id, const std::string& command);
  std::string BranchRef(const std::string& id, const std::string& branch) const;
  Status PublishAdvisoryFiles(const std::string& id, std::string* written);

  /// The steps of RUN in order (disclosure_steps.cc): apply and push each branch, open the
  /// public issue, a pull request per branch, publish the advisory, finish. Each step's effect
  /// reads RUN, which must outlive the steps.
  std::vector<Step> PlanSteps(Run& run);
  Step ApplyStep(Run& run, const ApprovedRevision& revision);
  Step PushStep(Run& run, const ApprovedRevision& revision);
  Step IssueStep(Run& run);
  Step PullStep(Run& run, const ApprovedRevision& revision);
  Step AdvisoryStep(Run& run);
  Step FinishStep(Run& run);
  /// Runs (with DRY_RUN, describes) the STEPS of RUN not done yet, each recorded as an intent
  /// before its effect and as done after it; PRINT gets a line per step.
  Status RunSteps(Run& run, std::vector<Step>& steps, bool dry_run,
                  const std::function<void(const std::string&)>& print);

  Store& store_;
  const Clock& clock_;
  const Config& config_;
  ApprovedRevisionSource& approved_;
  AdvisoryService& advisories_;
  Forge* forge_;
  CrashHook crash_hook_;
  int crash_point_ = 0;  // points passed in this process
};

}  // namespace vigil
