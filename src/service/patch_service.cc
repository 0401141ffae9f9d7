#include "service/patch_service.h"

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <set>

#include "core/level_policy.h"
#include "core/workflow.h"
#include "patch/apply_check.h"
#include "patch/git_repository.h"
#include "patch/patch_series.h"
#include "patch/trailers.h"
#include "service/patch_approvals.h"

namespace vigil {
namespace {

namespace json = boost::json;
constexpr int kMaxAttempts = 5;

std::string Json(const json::object& o) { return json::serialize(o); }

json::array Words(const std::string& s) {
  json::array out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t sp = s.find(' ', pos);
    if (sp == std::string::npos) sp = s.size();
    if (sp > pos) out.emplace_back(s.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

bool HasWord(const std::string& words, const std::string& w) {
  if (w.empty()) return false;
  size_t pos = 0;
  while ((pos = words.find(w, pos)) != std::string::npos) {
    const bool start = pos == 0 || words[pos - 1] == ' ';
    const bool end = pos + w.size() == words.size() || words[pos + w.size()] == ' ';
    if (start && end) return true;
    pos += w.size();
  }
  return false;
}

/// The stored patches of a revision as the apply engine reads them.
Result<std::vector<patch::SeriesPatch>> SeriesOf(const PatchRevision& r) {
  std::vector<patch::SeriesPatch> out;
  for (const StoredPatch& p : r.patches) {
    patch::SeriesPatch s;
    s.number = p.position;
    s.count = static_cast<int>(r.patches.size());
    s.mail.patch = p.diff;
    s.patch_id = p.patch_id;
    Result<std::vector<patch::FileDiff>> files = patch::ParseDiff(p.diff);
    if (!files.ok()) return files.status();
    s.files = std::move(files).value();
    out.push_back(std::move(s));
  }
  return out;
}

/// True when R has the NEEDED approvals that count (CountApprovals).
bool IsApproved(const std::vector<PatchRevision>& all, const PatchRevision& r, int needed) {
  return CountApprovals(all, r, needed).approved();
}

const PatchRevision* Latest(const std::vector<PatchRevision>& all, int series) {
  const PatchRevision* latest = nullptr;
  for (const PatchRevision& r : all) {
    if (r.series == series && (!latest || r.version > latest->version)) latest = &r;
  }
  return latest;
}

/// Adds the patches of SERIES to REV (patches, patch-ids, Message-IDs, change-id, approval
/// trailers) and the mails' In-Reply-To and References to REFS.
void AddPatches(const std::vector<patch::SeriesPatch>& series, PatchRevision* rev,
                std::vector<std::string>* refs) {
  for (const patch::SeriesPatch& p : series) {
    StoredPatch sp;
    sp.position = p.number;
    sp.author_name = p.mail.author;
    sp.author_email = p.mail.email;
    sp.author_date = p.mail.date;
    sp.subject = p.mail.subject;
    sp.message = p.mail.message;
    sp.patch_id = p.patch_id;
    sp.diff = p.mail.patch;
    rev->patches.push_back(std::move(sp));
    rev->patch_ids += (rev->patch_ids.empty() ? "" : " ") + p.patch_id;
    if (!p.mail.message_id.empty()) {
      rev->message_ids += (rev->message_ids.empty() ? "" : " ") + p.mail.message_id;
    }
    if (!p.cover_message_id.empty() && !HasWord(rev->message_ids, p.cover_message_id)) {
      rev->message_ids += (rev->message_ids.empty() ? "" : " ") + p.cover_message_id;
    }
    if (rev->change_id.empty()) rev->change_id = p.mail.change_id;
    if (!p.mail.in_reply_to.empty()) refs->push_back(p.mail.in_reply_to);
    refs->insert(refs->end(), p.mail.references.begin(), p.mail.references.end());
    for (const patch::Trailer& t :
         patch::ParseTrailers(p.mail.message, patch::TrailerSource::kCommitMessage)) {
      if (patch::IsApprovalTrailer(t)) {
        rev->trailers.push_back({p.number, t.name, t.person_name, LowerAscii(t.email)});
      }
    }
  }
}

/// Sets the series and version of REV among the EXISTING revisions: EXPLICIT_SERIES when it is
/// not 0, else the series of its change-id, else of its thread (REFS naming a Message-ID of an
/// earlier revision on the same branch), else a new one. Returns how it was linked: "explicit",
/// "change-id", "thread" or "new".
Result<std::string> LinkToSeries(const std::vector<PatchRevision>& existing, int explicit_series,
                                 const std::vector<std::string>& refs, PatchRevision* rev) {
  const std::string& branch = rev->target_branch;
  std::string linked_by = "new";
  int series_no = 0, max_series = 0;
  for (const PatchRevision& r : existing) max_series = std::max(max_series, r.series);
  if (explicit_series > 0) {
    if (!Latest(existing, explicit_series)) {
      return Status::Invalid("series " + std::to_string(explicit_series) + " does not exist");
    }
    series_no = explicit_series;
    linked_by = "explicit";
  }
  for (const PatchRevision& r : existing) {
    if (series_no || r.target_branch != branch) continue;
    if (!rev->change_id.empty() && r.change_id == rev->change_id) {
      series_no = r.series;
      linked_by = "change-id";
    }
  }
  for (const PatchRevision& r : existing) {
    if (series_no || r.target_branch != branch) continue;
    for (const std::string& id : refs) {
      if (HasWord(r.message_ids, id)) {
        series_no = r.series;
        linked_by = "thread";
      }
    }
  }
  if (!series_no) series_no = max_series + 1;
  const PatchRevision* previous = Latest(existing, series_no);
  if (previous && previous->target_branch != branch) {
    return Status::Invalid("series " + std::to_string(series_no) + " targets " +
                           previous->target_branch + ", not " + branch);
  }
  rev->series = series_no;
  rev->version = previous ? previous->version + 1 : 1;
  return linked_by;
}

}  // namespace

struct PatchService::Checker {
  std::mutex mu;  // one git check at a time: they share the repository and the CPU
};

PatchService::PatchService(Store& store, const Clock& clock, Config config,
                           RevisionApprovedHook on_approved)
    : store_(store),
      clock_(clock),
      config_(std::move(config)),
      checker_(new Checker),
      on_approved_(std::move(on_approved)) {}

PatchService::~PatchService() = default;

std::vector<std::string> PatchService::Branches() const {
  std::vector<std::string> out = {config_.master_branch};
  for (const std::string& b : config_.supported_branches) {
    if (b != config_.master_branch) out.push_back(b);
  }
  return out;
}

Status PatchService::Authorize(const Principal& actor, Action action, const Report& r) const {
  ReportRelation relation;
  relation.exists = true;
  if (const Participant* p = r.FindParticipant(actor.email); p && !actor.email.empty()) {
    relation.role = p->role;
  }
  return vigil::Authorize(actor, action, r.id, relation);
}

Result<std::vector<StoredApplicability>> PatchService::Check(const PatchRevision& revision) {
  std::vector<StoredApplicability> rows;
  if (config_.repository_path.empty()) return rows;
  Result<std::vector<patch::SeriesPatch>> series = SeriesOf(revision);
  if (!series.ok()) return series.status();
  std::lock_guard<std::mutex> lock(checker_->mu);
  Result<std::unique_ptr<patch::GitRepository>> repo =
      patch::GitRepository::Open(config_.repository_path);
  if (!repo.ok()) {
    return Status::Unavailable("repository " + config_.repository_path + ": " +
                               repo.status().message());
  }
  for (const std::string& branch : Branches()) {
    StoredApplicability row;
    row.branch = branch;
    row.checked_at = clock_.Now();
    Result<patch::RevisionApplicability> r = patch::CheckSeries(**repo, *series, branch);
    json::array result;
    if (!r.ok()) {
      if (r.status().code() == Code::kUnavailable) return r.status();
      // The branch does not exist in the clone: a row that says so.
      result.push_back(
          json::object{{"result", "missing-branch"}, {"message", r.status().message()}});
    } else {
      row.commit = r->commit;
      row.applies = r->AllApply();
      for (const patch::PatchApplicability& a : r->patches) {
        json::object o{{"result", patch::ApplicabilityName(a.verdict)}, {"offset", a.offset}};
        if (!a.message.empty()) o["message"] = a.message;
        result.push_back(std::move(o));
      }
    }
    row.result = json::serialize(result);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::string> PatchService::BranchesMissingApproval(
    const std::vector<PatchRevision>& revisions, const std::vector<std::string>& required,
    int needed) {
  std::vector<std::string> missing;
  for (const std::string& branch : required) {
    bool covered = false;
    std::set<int> seen;
    for (const PatchRevision& r : revisions) {
      if (!seen.insert(r.series).second) continue;
      const PatchRevision* latest = Latest(revisions, r.series);
      if (!IsApproved(revisions, *latest, needed)) continue;
      for (const StoredApplicability& a : latest->applicability) {
        if (a.branch == branch && a.applies) covered = true;
      }
    }
    if (!covered) missing.push_back(branch);
  }
  return missing;
}

void PatchService::MaybeApproveReport(const Principal& actor, const Report& report,
                                      const std::vector<PatchRevision>& after,
                                      WriteBatch* batch) const {
  if (report.state != State::kFixing || report.level < kMinLevel || report.level > kMaxLevel) {
    return;
  }
  const std::vector<std::string> required =
      RequiredBranches(report.level, config_.master_branch, config_.supported_branches);
  if (required.empty()) return;
  CommandArgs args;
  args.branches_missing_approval =
      BranchesMissingApproval(after, required, ApprovalsRequired(config_, report.level));
  if (!args.branches_missing_approval.empty()) return;
  Result<Report> approved = ApplyCommand(report, Command::kApprove, args, clock_.Now());
  if (!approved.ok()) return;
  batch->report = *approved;
  json::array branches;
  for (const std::string& b : required) branches.emplace_back(b);
  batch->events.push_back({report.id, clock_.Now(), actor.AuditName(), "report.approved",
                           Json({{"branches", std::move(branches)}})});
}

void PatchService::MaybeUnapproveReport(const Principal& actor, const Report& report,
                                        const std::vector<PatchRevision>& after,
                                        const std::string& revision, WriteBatch* batch) const {
  if (report.state != State::kApproved || report.level < kMinLevel || report.level > kMaxLevel) {
    return;
  }
  const std::vector<std::string> required =
      RequiredBranches(report.level, config_.master_branch, config_.supported_branches);
  CommandArgs args;
  args.branches_missing_approval =
      BranchesMissingApproval(after, required, ApprovalsRequired(config_, report.level));
  Result<Report> fixing = ApplyCommand(report, Command::kUnapprove, args, clock_.Now());
  if (!fixing.ok()) return;  // every required branch is still covered
  batch->report = *fixing;
  json::array branches;
  for (const std::string& b : args.branches_missing_approval) branches.emplace_back(b);
  batch->events.push_back({report.id, clock_.Now(), actor.AuditName(), "report.unapproved",
                           Json({{"revision", revision}, {"branches", std::move(branches)}})});
}

Result<PatchRevision> PatchService::SubmitSeries(const Principal& actor,
                                                 const std::string& report_id,
                                                 std::string_view mbox,
                                                 const PatchSubmitOptions& options) {
  if (mbox.size() > static_cast<size_t>(config_.patch_max_bytes)) {
    return Status::TooLarge("patch upload is " + std::to_string(mbox.size()) +
                            " bytes, over the limit of " + std::to_string(config_.patch_max_bytes));
  }
  Result<Report> report = store_.GetReport(report_id);
  VIGIL_RETURN_IF_ERROR(report.status());
  VIGIL_RETURN_IF_ERROR(Authorize(actor, Action::kSubmitPatch, *report));
  if (IsTerminal(report->state)) {
    return Status::Conflict(report_id + " is " + StateName(report->state) +
                            ": patches are accepted while it is open");
  }
  const std::string branch =
      options.target_branch.empty() ? config_.master_branch : options.target_branch;
  const std::vector<std::string> branches = Branches();
  if (std::find(branches.begin(), branches.end(), branch) == branches.end()) {
    return Status::Invalid("branch " + branch.substr(0, 200) +
                           " is not master or a supported branch");
  }
  Result<std::vector<patch::SeriesPatch>> series = ReadSeries(mbox);
  VIGIL_RETURN_IF_ERROR(series.status());
  PatchRevision rev;
  rev.report_id = report_id;
  rev.target_branch = branch;
  rev.submitter = LowerAscii(actor.email);
  rev.created_at = clock_.Now();
  std::vector<std::string> refs;  // the mails' In-Reply-To and References
  AddPatches(*series, &rev, &refs);

  std::optional<std::vector<StoredApplicability>> matrix;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<Report> current = store_.GetReport(report_id);
    VIGIL_RETURN_IF_ERROR(current.status());
    Result<std::vector<PatchRevision>> existing = store_.PatchRevisions(report_id);
    VIGIL_RETURN_IF_ERROR(existing.status());
    Result<std::string> linked_by = LinkToSeries(*existing, options.series, refs, &rev);
    VIGIL_RETURN_IF_ERROR(linked_by.status());
    if (!matrix) {
      Result<std::vector<StoredApplicability>> m = Check(rev);
      VIGIL_RETURN_IF_ERROR(m.status());
      matrix = std::move(m).value();
    }
    rev.applicability = *matrix;
    Result<WriteResult> w =
        store_.Write(SubmissionBatch(actor, *current, *existing, rev, *linked_by));
    if (w.ok()) return rev;
    if (w.status().code() != Code::kAborted && w.status().code() != Code::kConflict) {
      return w.status();
    }
  }
  return Status::Unavailable("too much contention on " + report_id + "; try again");
}

Result<std::vector<patch::SeriesPatch>> PatchService::ReadSeries(std::string_view mbox) const {
  patch::SeriesLimits limits;
  limits.mbox.max_input_bytes = static_cast<size_t>(config_.patch_max_bytes);
  limits.mbox.max_message_bytes = static_cast<size_t>(config_.patch_max_bytes);
  limits.mbox.max_messages = static_cast<size_t>(config_.patch_max_count) + 1;  // + a cover
  limits.diff.max_bytes = static_cast<size_t>(config_.patch_max_bytes);
  Result<std::vector<patch::SeriesPatch>> series = patch::ReadSeries(mbox, limits);
  VIGIL_RETURN_IF_ERROR(series.status());
  if (series->size() > static_cast<size_t>(config_.patch_max_count)) {
    return Status::TooLarge("more than " + std::to_string(config_.patch_max_count) + " patches");
  }
  return series;
}

WriteBatch PatchService::SubmissionBatch(const Principal& actor, const Report& current,
                                         const std::vector<PatchRevision>& existing,
                                         const PatchRevision& rev,
                                         const std::string& linked_by) const {
  const std::string& report_id = rev.report_id;
  const Instant now = clock_.Now();
  WriteBatch b;
  b.report = current;
  b.expected_version = current.version;
  json::array subjects;
  for (const StoredPatch& p : rev.patches) subjects.emplace_back(p.subject);
  b.events.push_back({report_id, now, actor.AuditName(), "patch.submitted",
                      Json({{"revision", rev.Name()},
                            {"series", rev.series},
                            {"version", rev.version},
                            {"branch", rev.target_branch},
                            {"linked_by", linked_by},
                            {"patch_ids", Words(rev.patch_ids)},
                            {"subjects", std::move(subjects)},
                            {"trailers", static_cast<int64_t>(rev.trailers.size())}})});
  for (const StoredApplicability& a : rev.applicability) {
    b.events.push_back({report_id, now, actor.AuditName(), "revision.checked",
                        Json({{"revision", rev.Name()},
                              {"branch", a.branch},
                              {"commit", a.commit},
                              {"applies", a.applies},
                              {"result", json::parse(a.result)}})});
  }
  // Approvals pinned to other patch-ids no longer hold.
  std::vector<PatchRevision> after = existing;  // the revisions once this batch is written
  for (PatchRevision& r : after) {
    if (r.series != rev.series) continue;
    for (StoredApproval& a : r.approvals) {
      if (a.voided_at != 0 || a.patch_ids == rev.patch_ids) continue;
      a.voided_at = now;
      b.patches.void_approvals.push_back({r.Name(), a.approver});
      b.events.push_back({report_id, now, actor.AuditName(), "approval.voided",
                          Json({{"revision", r.Name()},
                                {"approver", a.approver},
                                {"reason", rev.Name() + " has different patch-ids"}})});
    }
  }
  b.patches.voided_at = now;
  b.patches.voided_reason = rev.Name() + " has different patch-ids";
  b.patches.new_revisions.push_back(rev);
  for (const StoredApplicability& a : rev.applicability) {
    b.patches.applicability.push_back({rev.Name(), a});
  }
  if (!b.patches.void_approvals.empty()) {
    after.push_back(rev);
    MaybeUnapproveReport(actor, current, after, rev.Name(), &b);
  }
  return b;
}

Result<std::vector<PatchRevision>> PatchService::Revisions(const std::string& report_id) {
  Result<Report> report = store_.GetReport(report_id);
  VIGIL_RETURN_IF_ERROR(report.status());
  return store_.PatchRevisions(report_id);
}

Result<std::vector<PatchRevision>> PatchService::Recheck(const Principal& actor,
                                                         const std::string& report_id) {
  Result<Report> report = store_.GetReport(report_id);
  VIGIL_RETURN_IF_ERROR(report.status());
  VIGIL_RETURN_IF_ERROR(Authorize(actor, Action::kSubmitPatch, *report));
  if (config_.repository_path.empty()) {
    return Status::Conflict("no repository is configured ([repository] path)");
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<Report> current = store_.GetReport(report_id);
    VIGIL_RETURN_IF_ERROR(current.status());
    Result<std::vector<PatchRevision>> all = store_.PatchRevisions(report_id);
    VIGIL_RETURN_IF_ERROR(all.status());
    WriteBatch b;
    b.report = *current;
    b.expected_version = current->version;
    const Instant now = clock_.Now();
    for (PatchRevision& r : *all) {
      if (Latest(*all, r.series) != &r) continue;
      Result<std::vector<StoredApplicability>> m = Check(r);
      VIGIL_RETURN_IF_ERROR(m.status());
      r.applicability = *m;
      for (const StoredApplicability& a : r.applicability) {
        b.patches.applicability.push_back({r.Name(), a});
        b.events.push_back({report_id, now, actor.AuditName(), "revision.checked",
                            Json({{"revision", r.Name()},
                                  {"branch", a.branch},
                                  {"commit", a.commit},
                                  {"applies", a.applies},
                                  {"result", json::parse(a.result)}})});
      }
    }
    MaybeApproveReport(actor, *current, *all, &b);
    Result<WriteResult> w = store_.Write(std::move(b));
    if (w.ok()) return *all;
    if (w.status().code() != Code::kAborted) return w.status();
  }
  return Status::Unavailable("too much contention on " + report_id + "; try again");
}

Result<int> PatchService::ApprovalsNeeded(const std::string& report_id) {
  Result<Report> report = store_.GetReport(report_id);
  VIGIL_RETURN_IF_ERROR(report.status());
  return ApprovalsRequired(config_, report->level);
}

Result<PatchRevision> PatchService::Approve(const Principal& actor, const std::string& report_id,
                                            const std::string& revision, std::string approver) {
  Result<Report> report = store_.GetReport(report_id);
  VIGIL_RETURN_IF_ERROR(report.status());
  VIGIL_RETURN_IF_ERROR(Authorize(actor, Action::kApprovePatch, *report));
  approver = LowerAscii(approver);
  if (actor.kind == Principal::Kind::kAccount) {
    if (!approver.empty() && approver != LowerAscii(actor.email)) {
      return Status::Invalid("an account approves as itself");
    }
    approver = LowerAscii(actor.email);
  }
  Result<std::optional<Account>> account = store_.FindAccount(approver);
  VIGIL_RETURN_IF_ERROR(account.status());
  if (approver.empty() || !account->has_value() ||
      !MayCoordinate((*account)->role, (*account)->disabled)) {
    return Status::Invalid((approver.empty() ? std::string("(nobody)") : approver.substr(0, 254)) +
                           " is not an active maintainer account");
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<Report> current = store_.GetReport(report_id);
    VIGIL_RETURN_IF_ERROR(current.status());
    Result<std::vector<PatchRevision>> all = store_.PatchRevisions(report_id);
    VIGIL_RETURN_IF_ERROR(all.status());
    PatchRevision* target = nullptr;
    for (PatchRevision& r : *all) {
      if (r.Name() == revision) target = &r;
    }
    if (!target) return Status::Invalid("unknown revision " + revision.substr(0, 64));
    const PatchRevision* latest = Latest(*all, target->series);
    if (latest != target) {
      return Status::Invalid(revision + " is not the latest revision of series " +
                             std::to_string(target->series) + " (" + latest->Name() + " is)");
    }
    // Two people: whoever wrote a patch of the revision, or submitted it, is not its reviewer.
    for (const StoredPatch& p : target->patches) {
      if (LowerAscii(p.author_email) == approver) {
        return Status::Invalid(approver + " wrote a patch of " + revision +
                               " and cannot approve it");
      }
    }
    if (LowerAscii(target->submitter) == approver) {
      return Status::Invalid(approver + " submitted " + revision + " and cannot approve it");
    }
    for (const StoredApproval& a : target->approvals) {
      if (a.approver == approver) {
        return Status::Conflict(revision + " is already approved by " + approver);
      }
    }
    StoredApproval approval{approver, target->patch_ids, clock_.Now(), 0, ""};
    const int needed = ApprovalsRequired(config_, current->level);
    const bool was_approved = IsApproved(*all, *target, needed);
    target->approvals.push_back(approval);
    WriteBatch b;
    b.report = *current;
    b.expected_version = current->version;
    b.patches.approvals.push_back({revision, approval});
    b.events.push_back({report_id, clock_.Now(), actor.AuditName(), "revision.approved",
                        Json({{"revision", revision},
                              {"approver", approver},
                              {"patch_ids", Words(target->patch_ids)}})});
    MaybeApproveReport(actor, *current, *all, &b);
    if (on_approved_ && !was_approved && IsApproved(*all, *target, needed)) {
      VIGIL_RETURN_IF_ERROR(on_approved_(actor, *current, *target, b));
    }
    PatchRevision out = *target;
    Result<WriteResult> w = store_.Write(std::move(b));
    if (w.ok()) return out;
    if (w.status().code() != Code::kAborted) return w.status();
  }
  return Status::Unavailable("too much contention on " + report_id + "; try again");
}

}  // namespace vigil
