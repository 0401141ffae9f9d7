// The steps of a disclosure, each built as a named, resumable step: apply the approved revision
// to each branch, push each branch, open the public issue, open a pull request per branch,
// publish the advisory files, finish (lift the embargo, mark the report disclosed, notify).
// Every step first looks for the effect of an earlier run that crashed before recording it.
#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/text.h"
#include "core/workflow.h"
#include "patch/git_am.h"
#include "patch/git_process.h"
#include "service/disclosure_steps.h"

namespace vigil {
namespace {

using disclosure::kMaxAttempts;
using disclosure::Mail;
using disclosure::Marker;
using disclosure::Short;
using patch::CommitPatches;
using patch::Committer;
using patch::GitOk;
using patch::GitOutput;
using patch::RunGit;
using patch::VerifyCommits;

namespace json = boost::json;

// Writes CONTENT to PATH through a temporary file and a rename, so a reader never sees half.
Status WriteFileAtomically(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return Status::Unavailable("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Unavailable("cannot write " + path.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

std::vector<DisclosureService::Step> DisclosureService::PlanSteps(Run& run) {
  std::vector<Step> steps;
  for (const ApprovedRevision& rev : run.revisions) steps.push_back(ApplyStep(run, rev));
  for (const ApprovedRevision& rev : run.revisions) steps.push_back(PushStep(run, rev));
  steps.push_back(IssueStep(run));
  for (const ApprovedRevision& rev : run.revisions) steps.push_back(PullStep(run, rev));
  if (!run.without_advisory) steps.push_back(AdvisoryStep(run));
  steps.push_back(FinishStep(run));
  return steps;
}

DisclosureService::Step DisclosureService::ApplyStep(Run& run, const ApprovedRevision& rev) {
  const std::string repo = config_.repository_path;
  const std::string branch = rev.branch;
  const std::string ref = "refs/heads/" + BranchRef(run.id, branch);
  Result<std::string> base = GitOk(repo, {"rev-parse", "--verify", "refs/heads/" + branch});
  const std::string base_id = base.ok() ? std::string(TrimEnd(*base)) : "?";
  return {"apply:" + branch,
          "apply " + rev.label + " (" + std::to_string(rev.patches.size()) + " patch" +
              (rev.patches.size() == 1 ? "" : "es") + ") to " + branch + " at " + Short(base_id) +
              " as " + BranchRef(run.id, branch),
          [this, repo, ref, rev, base_id]() -> Result<std::string> {
            Result<GitOutput> existing = RunGit(repo, {"rev-parse", "--verify", "--quiet", ref});
            if (!existing.ok()) return existing.status();
            std::string head;
            if (existing->exit_code == 0) {
              head = std::string(TrimEnd(existing->out));  // made before a crash: verified below
            } else {
              Committer committer{config_.committer_name, config_.committer_email, clock_.Now()};
              Result<std::vector<std::string>> commits =
                  CommitPatches(repo, base_id, ref, rev.patches, committer);
              if (!commits.ok()) return commits.status();
              head = commits->back();
            }
            VIGIL_RETURN_IF_ERROR(VerifyCommits(repo, head, rev.patches, rev.approved_patch_ids));
            return head;
          }};
}

DisclosureService::Step DisclosureService::PushStep(Run& run, const ApprovedRevision& rev) {
  const std::string repo = config_.repository_path;
  const std::string remote = config_.disclosure_remote;
  const std::string branch = rev.branch;
  const std::string name = BranchRef(run.id, branch);
  return {
      "push:" + branch, "push " + name + " to " + remote,
      [repo, remote, name, branch, rev, &run]() -> Result<std::string> {
        const std::string head = run.done["apply:" + branch];
        // What the disclosure pushes is proven again right before it leaves.
        VIGIL_RETURN_IF_ERROR(VerifyCommits(repo, head, rev.patches, rev.approved_patch_ids));
        Result<std::string> remote_ref = GitOk(repo, {"ls-remote", remote, "refs/heads/" + name});
        if (!remote_ref.ok()) return remote_ref.status();
        const std::string there = remote_ref->substr(0, remote_ref->find('\t'));
        if (there == head) return head;  // pushed before a crash
        if (!TrimEnd(there).empty()) {
          return Status::Conflict("the remote already has " + name + " at " + Short(there));
        }
        Result<std::string> pushed =
            GitOk(repo, {"push", "--quiet", remote, head + ":refs/heads/" + name});
        if (!pushed.ok()) return pushed.status();
        return head;
      }};
}

DisclosureService::Step DisclosureService::IssueStep(Run& run) {
  return {
      "issue", "open the public issue \"" + run.draft.title + "\" on " + config_.forge_repository,
      [this, &run]() -> Result<std::string> {
        const std::string marker = Marker(run.id);
        if (run.intents.count("issue")) {
          Result<std::optional<ForgeItem>> found =
              forge_->FindIssue(marker, FormatUtc(run.intents["issue"] - 60 * kMicrosPerSecond));
          if (!found.ok()) return found.status();
          if (found->has_value()) return std::to_string((*found)->number) + " " + (*found)->url;
        }
        const AdvisoryDraft& draft = run.draft;
        std::string body = draft.summary + "\n\n" + draft.details;
        if (!draft.cve_id.empty()) body += "\n\n" + draft.cve_id;
        body += "\n\nAdvisory: " + run.id + "\n\n" + marker + "\n";
        Result<ForgeItem> opened = forge_->OpenIssue(draft.title, body);
        if (!opened.ok()) return opened.status();
        return std::to_string(opened->number) + " " + opened->url;
      }};
}

DisclosureService::Step DisclosureService::PullStep(Run& run, const ApprovedRevision& rev) {
  const std::string branch = rev.branch;
  const std::string name = BranchRef(run.id, branch);
  return {"pr:" + branch,
          "open a pull request " + name + " -> " + branch + " on " + config_.forge_repository,
          [this, name, branch, rev, &run]() -> Result<std::string> {
            Result<std::optional<ForgeItem>> found = forge_->FindPull(name);
            if (!found.ok()) return found.status();
            if (found->has_value()) return std::to_string((*found)->number) + " " + (*found)->url;
            const std::string issue = run.done["issue"].substr(0, run.done["issue"].find(' '));
            std::string ids;
            for (const std::string& pid : rev.approved_patch_ids) ids += "- " + pid + "\n";
            const std::string body = "Fixes #" + issue + " on " + branch +
                                     ".\n\nThe pre-approved fix for " + run.id + " (" + rev.label +
                                     "), pinned to these patch-ids:\n\n" + ids + "\n" +
                                     Marker(run.id + ":" + branch) + "\n";
            Result<ForgeItem> opened =
                forge_->OpenPull(run.draft.title + " (" + branch + ")", name, branch, body);
            if (!opened.ok()) return opened.status();
            return std::to_string(opened->number) + " " + opened->url;
          }};
}

DisclosureService::Step DisclosureService::AdvisoryStep(Run& run) {
  return {"advisory", "publish the advisory files to " + config_.advisory_dir,
          [this, &run]() -> Result<std::string> {
            std::vector<std::string> commits;
            for (const ApprovedRevision& rev : run.revisions)
              commits.push_back(run.done["apply:" + rev.branch]);
            const Instant published =
                run.intents.count("advisory") ? run.intents["advisory"] : clock_.Now();
            Result<AdvisoryDraft> d = advisories_.Change(
                run.actor, run.id, "advisory.published",
                [&](const Report&, AdvisoryDraft& draft_now) {
                  draft_now.fixed_commits = commits;
                  draft_now.published = published;
                  // The public issue is the advisory's report reference.
                  const std::string url = run.done["issue"].substr(run.done["issue"].find(' ') + 1);
                  const bool known =
                      std::any_of(draft_now.references.begin(), draft_now.references.end(),
                                  [&](const advisory::Reference& ref) { return ref.url == url; });
                  if (url.starts_with("http") && !known) {
                    draft_now.references.push_back({advisory::ReferenceType::kReport, url});
                  }
                  return Status::Ok();
                });
            if (!d.ok()) return d.status();
            std::string written;
            VIGIL_RETURN_IF_ERROR(PublishAdvisoryFiles(run.id, &written));
            return written;
          }};
}

DisclosureService::Step DisclosureService::FinishStep(Run& run) {
  size_t people = 0;
  for (const Participant& p : run.report.participants) people += !p.email.empty() && !p.bouncing;
  return {
      "finish",
      "lift the embargo, mark " + run.id + " disclosed, make its public view visible and notify " +
          std::to_string(people) + (people == 1 ? " person" : " people"),
      [this, &run]() -> Result<std::string> {
        const std::string& id = run.id;
        for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
          Result<Report> now_report = store_.GetReport(id);
          if (!now_report.ok()) return now_report.status();
          const Instant now = clock_.Now();
          Result<Report> after = ApplyCommand(*now_report, Command::kDisclose, {}, now);
          if (!after.ok()) return after.status();
          DisclosurePlanRow p = run.plan;
          p.public_view = true;
          p.updated_at = now;
          json::object prs;
          for (const auto& [step, detail] : run.done) {
            if (step.starts_with("pr:")) prs[step.substr(3)] = detail.substr(detail.find(' ') + 1);
          }
          const std::string issue_url = run.done["issue"].substr(run.done["issue"].find(' ') + 1);
          WriteBatch b;
          b.report = *after;
          b.expected_version = now_report->version;
          b.disclosure.plan = p;
          b.disclosure.steps.push_back({id, "finish", "done", "disclosed", now});
          b.events.push_back({id, now, run.actor.AuditName(), "report.disclosed",
                              json::serialize(json::object{{"issue", issue_url}, {"pulls", prs}})});
          for (const Participant& person : after->participants) {
            if (person.email.empty() || person.bouncing) continue;
            b.outbox.push_back(Mail(id, person.email, "disclosed", "Disclosed",
                                    id + " of " + config_.project_name +
                                        " is disclosed; the embargo is lifted.\n\nPublic issue: " +
                                        issue_url + "\nThank you for your help.",
                                    now));
          }
          Result<WriteResult> w = store_.Write(std::move(b));
          if (w.ok()) return std::string("disclosed");
          if (w.status().code() != Code::kAborted) return w.status();
        }
        return Status::Unavailable("too much contention on " + id + "; try again");
      },
      /*records_itself=*/true};
}

Status DisclosureService::PublishAdvisoryFiles(const std::string& id, std::string* written) {
  namespace fs = std::filesystem;
  Result<advisory::Advisory> a = advisories_.Compose(id);
  if (!a.ok()) return a.status();
  std::error_code ec;
  const fs::path dir = config_.advisory_dir;
  fs::create_directories(dir / "osv", ec);
  if (ec) return Status::Unavailable("cannot create " + dir.string() + ": " + ec.message());
  std::vector<ExportFormat> formats = {ExportFormat::kMarkdown, ExportFormat::kOsv,
                                       ExportFormat::kCsaf};
  if (!advisory::CveId(*a).empty() && !config_.cna_org_id.empty()) {
    formats.push_back(ExportFormat::kCve);
  }
  for (ExportFormat f : formats) {
    Result<std::string> text = advisories_.Export(id, f);
    if (!text.ok()) return text.status();
    const std::string name = a->id + ExportSuffix(f);
    VIGIL_RETURN_IF_ERROR(WriteFileAtomically(dir / name, *text));
    *written += (written->empty() ? "" : " ") + name;
    if (f != ExportFormat::kOsv) continue;
    // The OSV-style feed: one record per id under osv/, and osv/modified_id.csv listing
    // "<modified>,<id>" newest first, as osv.dev's exports do.
    json::value osv = json::parse(*text);
    const std::string osv_id(osv.at("id").as_string());
    const std::string modified(osv.at("modified").as_string());
    VIGIL_RETURN_IF_ERROR(WriteFileAtomically(dir / "osv" / (osv_id + ".json"), *text));
    std::map<std::string, std::string> entries;  // id -> modified
    {
      std::ifstream in(dir / "osv" / "modified_id.csv");
      for (std::string line; std::getline(in, line);) {
        const size_t comma = line.find(',');
        if (comma != std::string::npos) entries[line.substr(comma + 1)] = line.substr(0, comma);
      }
    }
    entries[osv_id] = modified;
    std::vector<std::pair<std::string, std::string>> sorted(entries.begin(), entries.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) {
      return x.second != y.second ? x.second > y.second : x.first < y.first;
    });
    std::string csv;
    for (const auto& [eid, when] : sorted) csv += when + "," + eid + "\n";
    VIGIL_RETURN_IF_ERROR(WriteFileAtomically(dir / "osv" / "modified_id.csv", csv));
    *written += " osv/" + osv_id + ".json";
  }
  return Status::Ok();
}

}  // namespace vigil
