#include "service/disclosure_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/level_policy.h"
#include "core/report_id.h"
#include "core/text.h"
#include "core/workflow.h"
#include "patch/git_am.h"
#include "service/disclosure_steps.h"

namespace vigil {
namespace {

namespace json = boost::json;
constexpr size_t kMaxPublicTextBytes = 64u << 10;

bool IsSafeBranchName(const std::string& b) {
  if (b.empty() || b.size() > 200 || b.starts_with("-") || b.find("..") != std::string::npos) {
    return false;
  }
  return std::all_of(b.begin(), b.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

}  // namespace

DisclosureService::DisclosureService(Store& store, const Clock& clock, const Config& config,
                                     ApprovedRevisionSource& approved, AdvisoryService& advisories,
                                     Forge* forge, CrashHook crash_hook)
    : store_(store),
      clock_(clock),
      config_(config),
      approved_(approved),
      advisories_(advisories),
      forge_(forge),
      crash_hook_(std::move(crash_hook)) {}

void DisclosureService::CrashPoint() {
  ++crash_point_;
  if (crash_hook_) crash_hook_(crash_point_);
}

std::string DisclosureService::BranchRef(const std::string& id, const std::string& branch) const {
  return "security/" + id + "-" + branch;
}

Status DisclosureService::Record(const std::string& id, const std::string& step,
                                 const std::string& state, const std::string& detail) {
  WriteBatch b;
  b.disclosure.steps.push_back({id, step, state, detail, clock_.Now()});
  return store_.Write(std::move(b)).status();
}

Status DisclosureService::AlertCoordinator(const Report& r, const std::string& why) {
  WriteBatch b;
  const std::string to = r.coordinator.empty() ? config_.security_address : r.coordinator;
  b.outbox.push_back(disclosure::Mail(
      r.id, to, "disclosure-blocked", "Disclosure did not start",
      EmbargoReminder(r) + "\n\nThe disclosure of " + r.id + " did not start: " + why + ".",
      clock_.Now()));
  b.events.push_back({r.id, clock_.Now(), "system", "disclosure.blocked",
                      json::serialize(json::object{{"reason", why}})});
  return store_.Write(std::move(b)).status();
}

Result<PlanResult> DisclosureService::Schedule(const Principal& actor, const std::string& id,
                                               PlanRequest req) {
  if (req.notice_days < 0) req.notice_days = config_.notice_days;
  if (req.notice_days > 90) return Status::Invalid("notice must be 0 to 90 days");
  req.on_duty = LowerAscii(req.on_duty);
  Result<std::optional<Account>> account = store_.FindAccount(req.on_duty);
  if (!account.ok()) return account.status();
  if (!account->has_value() || (*account)->disabled || (*account)->role == AccountRole::kMember) {
    return Status::Invalid(req.on_duty.substr(0, 254) +
                           " is not an active maintainer account and cannot be on duty");
  }
  req.reason = std::string(Trim(req.reason));
  if (req.reason.size() > 4096) return Status::Invalid("reason must be at most 4096 bytes");
  for (int attempt = 0; attempt < disclosure::kMaxAttempts; ++attempt) {
    Result<Report> r = store_.GetReport(id);
    if (!r.ok()) return r.status();
    const Instant now = clock_.Now();
    // Moving a scheduled disclosure: the old plan's pending notices are withdrawn and everyone
    // on the report is told, with the reason.
    std::optional<DisclosurePlanRow> old_plan;
    if (req.reschedule != (r->state == State::kScheduled)) {
      return req.reschedule
                 ? Status::Conflict("cannot reschedule " + id + ": it is " + StateName(r->state) +
                                    "; reschedule needs scheduled")
                 : Status::Conflict("cannot schedule " + id +
                                    ": it is scheduled; move it with plan reschedule (a reason "
                                    "is required)");
    }
    if (req.reschedule) {
      VIGIL_RETURN_IF_ERROR(RefuseOnceStarted(id, "reschedule"));
      Result<std::optional<DisclosurePlanRow>> found = store_.FindDisclosurePlan(id);
      if (!found.ok()) return found.status();
      old_plan = *found;
      if (req.reason.empty()) {
        return Status::Invalid("cannot reschedule " + id +
                               ": a reason is required (everyone on the report is told)");
      }
    }
    CommandArgs args;
    args.slot = req.slot;
    Result<Report> after = ApplyCommand(*r, Command::kSchedule, args, now);
    if (!after.ok()) return after.status();
    const Instant notice_at = req.slot - req.notice_days * kMicrosPerDay;
    if (notice_at < now) {
      return Status::Conflict("cannot schedule " + id + ": the slot " + FormatUtc(req.slot) +
                              " leaves observers less than " + std::to_string(req.notice_days) +
                              " days of notice");
    }
    PlanResult out;
    const int weekday = UtcWeekday(req.slot);
    const int64_t second_of_day = (req.slot / kMicrosPerSecond) % 86400;
    if (weekday < 2 || weekday > 4 || second_of_day < 15 * 3600 || second_of_day > 16 * 3600) {
      out.warnings.push_back("the slot " + FormatUtc(req.slot) +
                             " is outside Tuesday-Thursday 15:00-16:00 UTC");
    }
    if (req.notice_days > 14) {
      out.warnings.push_back("a notice of " + std::to_string(req.notice_days) +
                             " days is longer than the 14 days linux-distros allows");
    }
    DisclosurePlanRow plan;
    plan.report_id = id;
    plan.slot = req.slot;
    plan.notice_days = req.notice_days;
    plan.on_duty = req.on_duty;
    plan.updated_at = now;
    WriteBatch b;
    b.report = *after;
    b.expected_version = r->version;
    b.disclosure.plan = plan;
    json::array warnings;
    for (const std::string& w : out.warnings) warnings.push_back(json::value(w));
    json::object payload{{"slot", FormatUtc(req.slot)},
                         {"notice_days", req.notice_days},
                         {"on_duty", req.on_duty},
                         {"warnings", std::move(warnings)}};
    if (old_plan) {
      payload["from"] = FormatUtc(old_plan->slot);
      payload["reason"] = req.reason;
    }
    b.events.push_back({id, now, actor.AuditName(),
                        old_plan ? "disclosure.rescheduled" : "disclosure.scheduled",
                        json::serialize(payload)});
    const std::string reminder = EmbargoReminder(*after);
    if (old_plan) {
      Result<std::set<std::string>> noticed =
          WithdrawNotices(id, "the disclosure was rescheduled", &b);
      VIGIL_RETURN_IF_ERROR(noticed.status());
      TellEveryone(*after, *noticed, old_plan->on_duty, "Disclosure moved",
                   "The disclosure of " + id + " moved from " + FormatUtc(old_plan->slot) + " to " +
                       FormatUtc(req.slot) + ".\n\nReason: " + req.reason,
                   now, &b);
    }
    for (const Participant& p : after->participants) {
      if (p.role != Role::kObserver || p.email.empty()) continue;
      b.disclosure.scheduled_outbox.push_back(
          {disclosure::Mail(id, p.email, "disclosure-notice", "Disclosure scheduled",
                            reminder + "\n\n" + id + " of " + config_.project_name +
                                " will be disclosed at " + FormatUtc(req.slot) +
                                ". Until then, nothing about it may be made public.",
                            now),
           notice_at});
    }
    b.outbox.push_back(
        disclosure::Mail(id, req.on_duty, "on-duty-request", "You are on duty for disclosure",
                         reminder + "\n\nYou are the on-duty maintainer for the disclosure of " +
                             id + " at " + FormatUtc(req.slot) +
                             ". Confirm your availability in the 24 hours before the slot "
                             "(vigil plan confirm " +
                             id + "); without it the disclosure does not start.",
                         now));
    Result<WriteResult> w = store_.Write(std::move(b));
    if (w.ok()) {
      out.report = *after;
      out.report.version = w->version;
      out.plan = plan;
      return out;
    }
    if (w.status().code() != Code::kAborted) return w.status();
  }
  return Status::Unavailable("too much contention on " + id + "; try again");
}

Status DisclosureService::RefuseOnceStarted(const std::string& id, const std::string& command) {
  Result<std::vector<DisclosureStepRow>> log = store_.DisclosureLog(id);
  VIGIL_RETURN_IF_ERROR(log.status());
  if (log->empty()) return Status::Ok();
  return Status::Conflict("cannot " + command + " " + id + ": its disclosure has started (" +
                          std::to_string(log->size()) +
                          " steps recorded); finish it with vigil disclose " + id);
}

Result<std::set<std::string>> DisclosureService::WithdrawNotices(const std::string& id,
                                                                 const std::string& why,
                                                                 WriteBatch* b) {
  Result<std::vector<OutboxMail>> rows = store_.Outbox(id);
  VIGIL_RETURN_IF_ERROR(rows.status());
  std::set<std::string> noticed;
  for (const OutboxMail& m : *rows) {
    if (m.kind != "disclosure-notice") continue;
    if (m.state == OutboxState::kSent || m.state == OutboxState::kSending) {
      noticed.insert(m.recipient);
      continue;
    }
    if (m.state != OutboxState::kPending) continue;  // withdrawn before, or dead-lettered
    // Only while it is still pending: a notice the sender delivers meanwhile stays "sent".
    OutboxUpdate u{m.id, OutboxState::kDead, m.attempts, clock_.Now(),
                   "withdrawn, not sent: " + why};
    u.only_if = OutboxState::kPending;
    b->mail.outbox_updates.push_back(std::move(u));
  }
  return noticed;
}

void DisclosureService::TellEveryone(const Report& r, const std::set<std::string>& noticed,
                                     const std::string& on_duty, const std::string& subject,
                                     const std::string& text, Instant now, WriteBatch* b) {
  const std::string reminder = UnderEmbargo(r) ? EmbargoReminder(r) + "\n\n" : "";
  std::set<std::string> told;
  for (const Participant& p : r.participants) {
    if (p.email.empty() || p.bouncing) continue;
    // Observers learn a date only through their notice, at slot - notice days; those who had
    // it hear of the change.
    if (p.role == Role::kObserver && !noticed.count(p.email)) continue;
    if (!told.insert(p.email).second) continue;
    b->outbox.push_back(
        disclosure::Mail(r.id, p.email, "disclosure-plan", subject, reminder + text, now));
  }
  if (!on_duty.empty() && !told.count(on_duty)) {
    b->outbox.push_back(
        disclosure::Mail(r.id, on_duty, "disclosure-plan", subject, reminder + text, now));
  }
}

Result<Report> DisclosureService::Unschedule(const Principal& actor, const std::string& id,
                                             std::string reason) {
  reason = std::string(Trim(reason));
  if (reason.empty()) {
    return Status::Invalid("cannot unschedule " + id +
                           ": a reason is required (everyone on the report is told)");
  }
  if (reason.size() > 4096) return Status::Invalid("reason must be at most 4096 bytes");
  for (int attempt = 0; attempt < disclosure::kMaxAttempts; ++attempt) {
    Result<Report> r = store_.GetReport(id);
    if (!r.ok()) return r.status();
    const Instant now = clock_.Now();
    Result<Report> after = ApplyCommand(*r, Command::kUnschedule, {}, now);
    if (!after.ok()) return after.status();
    VIGIL_RETURN_IF_ERROR(RefuseOnceStarted(id, "unschedule"));
    Result<std::optional<DisclosurePlanRow>> plan = store_.FindDisclosurePlan(id);
    if (!plan.ok()) return plan.status();
    const std::string slot = plan->has_value() ? FormatUtc((*plan)->slot) : "(none)";
    const std::string on_duty = plan->has_value() ? (*plan)->on_duty : "";
    WriteBatch b;
    b.report = *after;
    b.expected_version = r->version;
    b.events.push_back({id, now, actor.AuditName(), "disclosure.unscheduled",
                        json::serialize(json::object{{"slot", slot}, {"reason", reason}})});
    Result<std::set<std::string>> noticed =
        WithdrawNotices(id, "the disclosure was unscheduled", &b);
    VIGIL_RETURN_IF_ERROR(noticed.status());
    TellEveryone(*after, *noticed, on_duty, "Disclosure unscheduled",
                 "The disclosure of " + id + " planned for " + slot +
                     " is unscheduled. The embargo goes on: it now ends " +
                     FormatUtc(after->embargo.end) +
                     " at the latest, or at a new slot set before.\n\nReason: " + reason,
                 now, &b);
    Result<WriteResult> w = store_.Write(std::move(b));
    if (w.ok()) {
      Report out = *after;
      out.version = w->version;
      return out;
    }
    if (w.status().code() != Code::kAborted) return w.status();
  }
  return Status::Unavailable("too much contention on " + id + "; try again");
}

Result<DisclosurePlanRow> DisclosureService::ConfirmOnDuty(const Principal& actor,
                                                           const std::string& id,
                                                           const std::string& as) {
  Result<Report> r = store_.GetReport(id);
  if (!r.ok()) return r.status();
  Result<std::optional<DisclosurePlanRow>> plan = store_.FindDisclosurePlan(id);
  if (!plan.ok()) return plan.status();
  if (!plan->has_value()) return Status::Conflict("no disclosure plan for " + id);
  DisclosurePlanRow p = **plan;
  const std::string who =
      actor.kind == Principal::Kind::kLocal && !as.empty() ? LowerAscii(as) : actor.email;
  if (actor.kind != Principal::Kind::kLocal || !as.empty()) {
    if (who != p.on_duty) {
      return Status::Denied("only the on-duty maintainer " + p.on_duty + " can confirm");
    }
  }
  const Instant now = clock_.Now();
  if (now < p.slot - kMicrosPerDay) {
    return Status::Conflict("confirmation for " + id + " opens 24 hours before the slot, at " +
                            FormatUtc(p.slot - kMicrosPerDay));
  }
  p.confirmed_at = now;
  p.confirmed_by = who.empty() ? p.on_duty : who;
  p.updated_at = now;
  WriteBatch b;
  b.report = *r;
  b.expected_version = r->version;
  b.disclosure.plan = p;
  b.events.push_back({id, now, actor.AuditName(), "disclosure.on_duty_confirmed",
                      json::serialize(json::object{{"on_duty", p.on_duty}})});
  Result<WriteResult> w = store_.Write(std::move(b));
  if (!w.ok()) return w.status();
  return p;
}

Result<std::optional<DisclosurePlanRow>> DisclosureService::Plan(const std::string& id) {
  Result<Report> r = store_.GetReport(id);
  if (!r.ok()) return r.status();
  return store_.FindDisclosurePlan(id);
}

Result<std::vector<DisclosureStepRow>> DisclosureService::Log(const std::string& id) {
  return store_.DisclosureLog(id);
}

Status DisclosureService::Precheck(const Report& r, const DisclosurePlanRow& plan,
                                   const std::vector<DisclosureStepRow>& log,
                                   std::vector<std::string>* branches,
                                   std::vector<ApprovedRevision>* revisions, bool* unconfirmed,
                                   std::vector<std::string>* missing) {
  const std::string refuse = "cannot disclose " + r.id + ": ";
  // Refuses with WHY, or (collecting for a preview) notes it and goes on.
  auto fail = [&](const std::string& why) {
    if (missing) {
      missing->push_back(why);
      return Status::Ok();
    }
    return Status::Conflict(refuse + why);
  };
  const Instant now = clock_.Now();
  if (now < plan.slot) {
    VIGIL_RETURN_IF_ERROR(fail("the slot " + FormatUtc(plan.slot) + " is not reached"));
  }
  if (plan.confirmed_at == 0 || plan.confirmed_at < plan.slot - kMicrosPerDay) {
    *unconfirmed = true;
    VIGIL_RETURN_IF_ERROR(fail("the on-duty maintainer " + plan.on_duty +
                               " has not confirmed availability within the 24 hours before the "
                               "slot " +
                               FormatUtc(plan.slot)));
  }
  if (config_.repository_path.empty()) {
    VIGIL_RETURN_IF_ERROR(fail("no repository configured ([repository] path)"));
  }
  if (!forge_) VIGIL_RETURN_IF_ERROR(fail("no forge configured ([disclosure] forge_api_url)"));
  *branches = RequiredBranches(r.level, config_.master_branch, config_.supported_branches);
  std::set<std::string> applied;
  for (const DisclosureStepRow& s : log) {
    if (s.state == "done" && s.step.starts_with("apply:")) applied.insert(s.step.substr(6));
  }
  for (const std::string& branch : *branches) {
    if (!IsSafeBranchName(branch)) {
      if (!missing) {
        return Status::Invalid(refuse + "branch name \"" + branch + "\" is not allowed");
      }
      missing->push_back("branch name \"" + branch + "\" is not allowed");
      continue;
    }
    Result<std::optional<ApprovedRevision>> rev = approved_.ForBranch(r.id, branch);
    if (!rev.ok()) return rev.status();
    if (!rev->has_value()) {
      VIGIL_RETURN_IF_ERROR(fail("no approved revision for " + branch));
      continue;
    }
    const ApprovedRevision& a = **rev;
    const size_t n = std::max(a.patches.size(), a.approved_patch_ids.size());
    bool changed = false;
    for (size_t i = 0; i < n && !changed; ++i) {
      const std::string now_id = i < a.patches.size() ? a.patches[i].patch_id : "(none)";
      const std::string approved_id =
          i < a.approved_patch_ids.size() ? a.approved_patch_ids[i] : "(none)";
      if (now_id != approved_id) {
        VIGIL_RETURN_IF_ERROR(fail("the revision approved for " + branch +
                                   " changed after approval (patch " + std::to_string(i + 1) + "/" +
                                   std::to_string(n) + ": patch-id " + disclosure::Short(now_id) +
                                   ", approved " + disclosure::Short(approved_id) + ")"));
        changed = true;
      }
    }
    if (changed) continue;
    if (!applied.count(branch) && !config_.repository_path.empty()) {
      Result<std::vector<std::string>> trees =
          patch::ApplyToTrees(config_.repository_path, "refs/heads/" + branch, a.patches);
      if (!trees.ok()) {
        VIGIL_RETURN_IF_ERROR(fail("the approved revision for " + branch +
                                   " no longer applies: " + trees.status().message()));
        continue;
      }
    }
    revisions->push_back(a);
  }
  return Status::Ok();
}

Status DisclosureService::Disclose(const Principal& actor, const std::string& id, bool dry_run,
                                   const std::function<void(const std::string&)>& print,
                                   bool without_advisory) {
  // Taken before anything is read, so that the log this run resumes from is final.
  // One disclosure of a report runs at a time (a second one would not see the first one's
  // intents as finished): the store's lock holds for every instance on the database, and a
  // killed instance lets go of it.
  std::unique_ptr<RunLock> lock;
  if (!dry_run && IsWellFormedReportId(id)) {
    Result<std::unique_ptr<RunLock>> taken = store_.TryRunLock("disclose-" + id);
    if (!taken.ok()) return taken.status();
    if (*taken == nullptr) {
      return Status::Conflict("cannot disclose " + id + ": another disclosure of it is running");
    }
    lock = std::move(taken).value();
  }
  return DiscloseHeld(actor, id, dry_run, print, without_advisory);
}

Status DisclosureService::DiscloseHeld(const Principal& actor, const std::string& id, bool dry_run,
                                       const std::function<void(const std::string&)>& print,
                                       bool without_advisory) {
  Result<Report> report = store_.GetReport(id);
  if (!report.ok()) return report.status();
  // Nothing is published on the strength of a change a crash could still take back.
  VIGIL_RETURN_IF_ERROR(store_.WaitDurable());
  const Report& r = *report;
  if (r.state == State::kDisclosed) {
    print(id + " is already disclosed");
    return Status::Ok();
  }
  if (r.state != State::kScheduled) {
    return ApplyCommand(r, Command::kDisclose, {}, clock_.Now()).status();
  }
  Result<std::optional<DisclosurePlanRow>> plan_row = store_.FindDisclosurePlan(id);
  if (!plan_row.ok()) return plan_row.status();
  if (!plan_row->has_value()) {
    return Status::Conflict("cannot disclose " + id + ": it has no disclosure plan");
  }
  Run run{actor, id, r, **plan_row, {}, {}, {}, {}, without_advisory};
  Result<std::vector<DisclosureStepRow>> log_rows = store_.DisclosureLog(id);
  if (!log_rows.ok()) return log_rows.status();
  std::vector<std::string> branches;
  bool unconfirmed = false;
  Status pre = Precheck(r, run.plan, *log_rows, &branches, &run.revisions, &unconfirmed, nullptr);
  if (!pre.ok()) {
    // Without the on-duty maintainer the disclosure does not start, and the coordinator hears.
    if (unconfirmed && !dry_run) {
      VIGIL_RETURN_IF_ERROR(AlertCoordinator(
          r, "the on-duty maintainer " + run.plan.on_duty + " has not confirmed availability"));
    }
    return pre;
  }
  for (const DisclosureStepRow& s : *log_rows) {
    if (s.state == "done") run.done[s.step] = s.detail;
    if (s.state == "intent") run.intents[s.step] = s.at;
  }
  Result<AdvisoryDraft> draft = advisories_.Draft(id);
  if (!draft.ok()) return draft.status();
  run.draft = *std::move(draft);
  // The coordinator's choice is kept in the log: a resumed run (by hand or by --due) keeps it.
  if (run.done.count(kWithoutAdvisoryStep)) without_advisory = run.without_advisory = true;
  // Nobody publishes an advisory that was never written by accident: the coordinator says so.
  if (!without_advisory && !run.done.count("advisory") && !run.draft.Written()) {
    return Status::Conflict("cannot disclose " + id + ": " + AdvisoryMissing());
  }
  if (without_advisory && !dry_run && !run.done.count(kWithoutAdvisoryStep)) {
    VIGIL_RETURN_IF_ERROR(Record(id, kWithoutAdvisoryStep, "done", actor.AuditName()));
    run.done[kWithoutAdvisoryStep] = actor.AuditName();
  }
  // Without an advisory the issue does not carry the proposed title (the report's subject, which
  // nobody reviewed for publication).
  if (without_advisory || run.draft.title.empty()) run.draft.title = "Security fix for " + id;
  std::vector<Step> steps = PlanSteps(run);
  return RunSteps(run, steps, dry_run, print);
}

std::string DisclosureService::AdvisoryMissing() {
  return "nobody wrote the advisory's title and summary (vigil advisory edit ID --title … "
         "--summary …); to disclose without an advisory, say --without-advisory";
}

Status DisclosureService::Preview(const std::string& id, bool without_advisory,
                                  const std::function<void(const std::string&)>& print) {
  Result<Report> report = store_.GetReport(id);
  if (!report.ok()) return report.status();
  const Report& r = *report;
  const Instant now = clock_.Now();
  print(id + ": dry run at " + FormatUtc(now) + " (nothing is changed)");
  std::string state = "  state: " + std::string(StateName(r.state));
  if (r.level > 0) state += ", level " + std::to_string(r.level);
  print(state);
  if (r.state == State::kDisclosed) {
    print(id + " is already disclosed");
    return Status::Ok();
  }
  std::vector<std::string> missing, warnings;
  if (r.state != State::kScheduled) {
    missing.push_back("it is " + std::string(StateName(r.state)) + "; disclose needs scheduled" +
                      (r.state == State::kApproved
                           ? " (vigil plan schedule " + id + " --slot … --on-duty …)"
                           : ""));
  }
  Result<std::optional<DisclosurePlanRow>> plan_row = store_.FindDisclosurePlan(id);
  if (!plan_row.ok()) return plan_row.status();
  // A report that is not scheduled has no slot that counts, even if an old plan is stored.
  const bool planned = plan_row->has_value() && r.state == State::kScheduled;
  Run run{Principal{},     id, r, planned ? **plan_row : DisclosurePlanRow{}, {}, {}, {}, {},
          without_advisory};
  if (planned) {
    const DisclosurePlanRow& p = run.plan;
    print("  slot: " + FormatUtc(p.slot) + (now >= p.slot ? " (reached)" : " (not reached)"));
    print("  on duty: " + p.on_duty +
          (p.confirmed_at >= p.slot - kMicrosPerDay && p.confirmed_at > 0
               ? ", confirmed at " + FormatUtc(p.confirmed_at)
               : ", not confirmed (confirmation opens " + FormatUtc(p.slot - kMicrosPerDay) +
                     ": vigil plan confirm " + id + ")"));
  } else {
    print("  slot: none");
    run.plan.slot = now;          // nothing to wait for in the checks below
    run.plan.confirmed_at = now;  // nor anyone to confirm: the missing plan is said once
    if (r.state == State::kScheduled) missing.push_back("it has no disclosure plan");
  }
  Result<std::vector<DisclosureStepRow>> log_rows = store_.DisclosureLog(id);
  if (!log_rows.ok()) return log_rows.status();
  for (const DisclosureStepRow& s : *log_rows) {
    if (s.state == "done") run.done[s.step] = s.detail;
  }
  if (run.done.count(kWithoutAdvisoryStep)) without_advisory = run.without_advisory = true;
  std::vector<std::string> branches;
  bool unconfirmed = false;
  if (r.level >= kMinLevel && r.level <= kMaxLevel &&
      PolicyForLevel(r.level).route == Route::kEmbargoed) {
    VIGIL_RETURN_IF_ERROR(
        Precheck(r, run.plan, *log_rows, &branches, &run.revisions, &unconfirmed, &missing));
  } else {
    missing.push_back(r.level == 0
                          ? "it is not classified (vigil report classify " + id + " --level N)"
                          : "level " + std::to_string(r.level) +
                                " is not disclosed under embargo (the public route: "
                                "vigil public open " +
                                id + ")");
  }
  Result<AdvisoryDraft> draft = advisories_.Draft(id);
  if (!draft.ok()) return draft.status();
  run.draft = *std::move(draft);
  const AdvisoryDraft& d = run.draft;
  if (without_advisory) {
    print("  advisory: none (--without-advisory)");
  } else {
    print("  advisory: " + (d.title.empty() ? std::string("no title") : "\"" + d.title + "\"") +
          (d.summary.empty() ? ", no summary" : ", with a summary") +
          (d.title_written ? "" : " (title proposed from the report)") +
          (d.summary_written ? "" : " (summary proposed from the report)"));
    if (!d.Written()) missing.push_back(AdvisoryMissing());
    if (d.ranges.empty()) {
      warnings.push_back(
          "the advisory names no affected versions: until a release tag contains the fix it "
          "says every version is affected with no fix (vigil advisory edit " +
          id + " --range INTRODUCED:FIXED)");
    }
    if (d.cvss_vectors.empty()) warnings.push_back("the advisory has no CVSS vector");
  }
  for (const DraftCredit& c : d.credits) {
    print("  credit: " + std::string(advisory::CreditTypeName(c.type)) + " " +
          (c.name.empty() ? "(no name)" : c.name) + (c.email.empty() ? "" : " <" + c.email + ">") +
          ": consent " + ConsentName(c.consent) +
          (c.consent == CreditConsent::kPending && c.asked_at != 0
               ? " (asked by mail on " + FormatUtc(c.asked_at) + ")"
               : "") +
          ", " + CreditOutcome(c));
  }
  if (d.credits.empty()) print("  credit: none");
  for (const std::string& w : warnings) print("  warning: " + w);
  for (const std::string& m : missing) print("  missing: " + m);
  if (without_advisory || run.draft.title.empty()) run.draft.title = "Security fix for " + id;
  std::vector<Step> steps = PlanSteps(run);
  print(missing.empty() ? id + ": ready; the disclosure would:"
                        : id + ": not ready (" + std::to_string(missing.size()) +
                              " missing); once it is, the disclosure would:");
  for (size_t i = 0; i < steps.size(); ++i) {
    print("  " + std::to_string(i + 1) + ". " + (run.done.count(steps[i].name) ? "(done) " : "") +
          steps[i].description);
  }
  for (const std::string& b : branches) {
    const bool has = std::any_of(run.revisions.begin(), run.revisions.end(),
                                 [&](const ApprovedRevision& a) { return a.branch == b; });
    if (!has) print("  -. (" + b + ": no step until it has an approved revision that applies)");
  }
  print("(dry run: nothing was changed)");
  // Scripts can rely on it: `vigil disclose ID --dry-run && vigil disclose ID`.
  if (!missing.empty()) {
    return Status::Conflict("cannot disclose " + id + " yet: " + std::to_string(missing.size()) +
                            (missing.size() == 1 ? " thing" : " things") +
                            " missing (the missing: lines above)");
  }
  return Status::Ok();
}

std::string CreditOutcome(const DraftCredit& c) {
  switch (c.consent) {
    case CreditConsent::kNamed:
      return "published as " + c.name;
    case CreditConsent::kAnonymous:
      return "published as anonymous";
    case CreditConsent::kDeclined:
      return "not published";
    case CreditConsent::kPending:
      break;
  }
  // A fix author's name is public in the commit anyway; a reporter's stays theirs to give.
  if (c.source == "patch-author" && !c.name.empty()) {
    return "published as " + c.name + " (the commit's name) unless they decline";
  }
  return "not published unless they consent";
}

Status DisclosureService::RunSteps(Run& run, std::vector<Step>& steps, bool dry_run,
                                   const std::function<void(const std::string&)>& print) {
  const std::string& id = run.id;
  print(dry_run ? id + ": preconditions met; the disclosure would:" : id + ": disclosing");
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& s = steps[i];
    const std::string number = "  " + std::to_string(i + 1) + ". ";
    if (run.done.count(s.name)) {
      if (!dry_run) {
        crash_point_ += 2;  // this step's points passed in an earlier run
      }
      print(number + "(done) " + s.description + ": " + run.done[s.name]);
      continue;
    }
    if (dry_run) {
      print(number + s.description);
      continue;
    }
    if (!run.intents.count(s.name)) {
      VIGIL_RETURN_IF_ERROR(Record(id, s.name, "intent", ""));
      run.intents[s.name] = clock_.Now();
      CrashPoint();
    } else {
      ++crash_point_;
    }
    Result<std::string> detail = s.run();
    if (!detail.ok()) {
      return Status(detail.status().code(), "disclosure of " + id + " stopped at " + s.name + ": " +
                                                detail.status().message() +
                                                " (fix it and run `vigil disclose " + id +
                                                "` again)");
    }
    CrashPoint();
    if (!s.records_itself) VIGIL_RETURN_IF_ERROR(Record(id, s.name, "done", *detail));
    run.done[s.name] = *detail;
    print(number + s.description + ": " + *detail);
  }
  if (dry_run) print("(dry run: nothing was changed)");
  return Status::Ok();
}

Result<std::vector<std::string>> DisclosureService::DiscloseDue(
    const Principal& actor, const std::function<void(const std::string&)>& print) {
  ReportFilter filter;
  filter.state = State::kScheduled;
  filter.limit = 0;
  Result<std::vector<ReportSummary>> due = store_.ListReports(filter);
  if (!due.ok()) return due.status();
  std::vector<std::string> disclosed;
  const auto quiet = [](const std::string&) {};
  for (const ReportSummary& s : *due) {
    Result<std::optional<DisclosurePlanRow>> plan = store_.FindDisclosurePlan(s.id);
    if (!plan.ok()) return plan.status();
    if (!plan->has_value() || (*plan)->slot > clock_.Now()) continue;
    // Another run of it (another instance's round, `vigil disclose`) is not a refusal to alert
    // about: that run discloses it, or alerts itself.
    Result<std::unique_ptr<RunLock>> lock = store_.TryRunLock("disclose-" + s.id);
    if (!lock.ok()) return lock.status();
    if (*lock == nullptr) continue;
    Result<Report> now = store_.GetReport(s.id);
    if (!now.ok()) return now.status();
    if (now->state != State::kScheduled) continue;  // disclosed meanwhile by another run
    Status st = DiscloseHeld(actor, s.id, /*dry_run=*/true, quiet, false);
    if (st.ok()) {
      st = DiscloseHeld(
          actor, s.id, /*dry_run=*/false,
          [&](const std::string& line) { print(s.id + ": " + line); }, false);
    }
    if (st.ok()) {
      disclosed.push_back(s.id);
      continue;
    }
    if (st.code() != Code::kConflict && st.code() != Code::kInvalidArgument) {
      // The forge or git failed mid-way: the next round resumes from the execution log.
      print(s.id + ": " + st.message());
      continue;
    }
    print(s.id + ": " + st.message());
    Result<std::vector<StoredEvent>> events = store_.Events(s.id);
    if (!events.ok()) return events.status();
    const bool alerted = std::any_of(events->begin(), events->end(), [&](const StoredEvent& e) {
      return e.kind == "disclosure.blocked" && e.time >= (*plan)->slot;
    });
    if (alerted) continue;
    Result<Report> r = store_.GetReport(s.id);
    if (!r.ok()) return r.status();
    const std::string prefix = "cannot disclose " + s.id + ": ";
    std::string why = st.message();
    if (why.starts_with(prefix)) why = why.substr(prefix.size());
    Status alert = AlertCoordinator(*r, why);
    if (!alert.ok()) return alert;
  }
  return disclosed;
}

Result<AdvisoryDraft> DisclosureService::Redact(const Principal& actor, const std::string& id,
                                                const std::string& title, const std::string& text) {
  if (title.empty()) return Status::Invalid("public title is required");
  if (text.empty()) return Status::Invalid("public text is required");
  if (title.size() > kMaxAdvisoryTitleBytes || title.find_first_of("\r\n") != std::string::npos) {
    return Status::Invalid("public title must be one line of at most 256 bytes");
  }
  if (text.size() > kMaxPublicTextBytes) {
    return Status::TooLarge("public text is longer than 65536 bytes");
  }
  return advisories_.Change(
      actor, id, "report.redacted",
      [&](const Report& r, AdvisoryDraft& d) -> Status {
        const bool public_route =
            r.level >= kMinLevel && PolicyForLevel(r.level).route != Route::kEmbargoed;
        if (!public_route || (r.state != State::kConfirmed && r.state != State::kRejected)) {
          return Status::Conflict("cannot redact " + id + ": it is not on the public route");
        }
        d.public_title = title;
        d.public_text = text;
        d.redacted = true;
        return Status::Ok();
      },
      [&](const Report& r, const AdvisoryDraft&, WriteBatch& b) -> Status {
        for (const Participant& p : r.participants) {
          if (p.role != Role::kReporter || p.email.empty()) continue;
          b.outbox.push_back(
              disclosure::Mail(id, p.email, "redaction", "Public version of your report",
                               "Your report " + id +
                                   " will be published as a regular public "
                                   "issue with this title and text:\n\n" +
                                   title + "\n\n" + text +
                                   "\n\nReply to this message if anything in it must not be "
                                   "public.",
                               clock_.Now()));
        }
        return Status::Ok();
      });
}

Result<ForgeItem> DisclosureService::OpenPublicIssue(const Principal& actor, const std::string& id,
                                                     bool publish_closed) {
  const std::string refuse = "cannot open a public issue for " + id + ": ";
  std::unique_ptr<RunLock> lock;  // the same lock as Disclose's
  if (IsWellFormedReportId(id)) {
    Result<std::unique_ptr<RunLock>> taken = store_.TryRunLock("disclose-" + id);
    if (!taken.ok()) return taken.status();
    if (*taken == nullptr) return Status::Conflict(refuse + "another run for it is in progress");
    lock = std::move(taken).value();
  }
  Result<Report> report = store_.GetReport(id);
  if (!report.ok()) return report.status();
  VIGIL_RETURN_IF_ERROR(store_.WaitDurable());  // as in Disclose
  const Report& r = *report;
  const bool closed = r.level == 6 && r.state == State::kRejected;
  if (closed && !publish_closed) {
    return Status::Conflict(refuse +
                            "level 6 reports are closed without a public trace (choose "
                            "--publish-closed to publish it anyway)");
  }
  Result<std::vector<DisclosureStepRow>> log = store_.DisclosureLog(id);
  if (!log.ok()) return log.status();
  bool intent = false;
  Instant intent_at = 0;
  for (const DisclosureStepRow& s : *log) {
    if (s.step != "public-issue") continue;
    if (s.state == "done") {
      ForgeItem item;
      item.number = std::atoll(s.detail.c_str());
      item.url = s.detail.substr(s.detail.find(' ') + 1);
      return item;
    }
    intent = true;
    intent_at = s.at;
  }
  if (!closed) {
    Result<Report> check = ApplyCommand(r, Command::kPublish, {}, clock_.Now());
    if (!check.ok()) return check.status();
  }
  Result<AdvisoryDraft> draft = advisories_.Draft(id);
  if (!draft.ok()) return draft.status();
  if (!draft->redacted) {
    return Status::Conflict(refuse + "redact its public title and text first");
  }
  if (!forge_) return Status::Conflict(refuse + "no forge configured ([disclosure] forge_api_url)");
  if (!intent) {
    VIGIL_RETURN_IF_ERROR(Record(id, "public-issue", "intent", ""));
    intent_at = clock_.Now();
    CrashPoint();
  } else {
    ++crash_point_;  // this step's first point passed in an earlier run
  }
  std::optional<ForgeItem> item;
  if (intent) {
    Result<std::optional<ForgeItem>> found =
        forge_->FindIssue(disclosure::Marker(id), FormatUtc(intent_at - 60 * kMicrosPerSecond));
    if (!found.ok()) return found.status();
    item = *found;
  }
  if (!item) {
    Result<ForgeItem> opened = forge_->OpenIssue(
        draft->public_title, draft->public_text + "\n\n" + disclosure::Marker(id) + "\n");
    if (!opened.ok()) return opened.status();
    item = *opened;
  }
  CrashPoint();
  for (int attempt = 0; attempt < disclosure::kMaxAttempts; ++attempt) {
    Result<Report> now_report = store_.GetReport(id);
    if (!now_report.ok()) return now_report.status();
    const Instant now = clock_.Now();
    Report after = *now_report;
    if (!closed) {
      Result<Report> published = ApplyCommand(*now_report, Command::kPublish, {}, now);
      if (!published.ok()) return published.status();
      after = *published;
    }
    WriteBatch b;
    b.report = after;
    b.expected_version = now_report->version;
    b.disclosure.steps.push_back(
        {id, "public-issue", "done", std::to_string(item->number) + " " + item->url, now});
    b.events.push_back({id, now, actor.AuditName(),
                        closed ? "public.issue_opened" : "report.published",
                        json::serialize(json::object{{"issue", item->url}})});
    for (const Participant& p : after.participants) {
      if (p.email.empty() || p.bouncing) continue;
      b.outbox.push_back(
          disclosure::Mail(id, p.email, "public-issue", "Now a public issue",
                           id + " is now handled as a regular public issue: " + item->url, now));
    }
    Result<WriteResult> w = store_.Write(std::move(b));
    if (w.ok()) return *item;
    if (w.status().code() != Code::kAborted) return w.status();
  }
  return Status::Unavailable("too much contention on " + id + "; try again");
}

}  // namespace vigil
