// `vigil patch ...`: the patch workflow on reports (submit, list, recheck, approve), which needs
// vigil.toml and the database; inspect, check and apply are in patch_file_commands.cc.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "cli/cli_context.h"
#include "cli/command_table.h"
#include "cli/patch_file_commands.h"
#include "service/patch_approvals.h"
#include "service/patch_json.h"

namespace vigil {
namespace {

namespace json = boost::json;

struct PatchOptions {
  std::string report, revision, as;
  int series = 0;
  std::string file;
  std::string branch;
  size_t max_bytes = 50u << 20;
  bool json = false;
};

std::string RevisionText(const std::vector<PatchRevision>& all, int needed) {
  std::string out;
  for (const PatchRevision& r : all) {
    out += r.Name() + "  " + r.target_branch + "  by " + r.submitter + "  " +
           FormatUtc(r.created_at) + "\n";
    for (const StoredPatch& p : r.patches) {
      out += "  " + std::to_string(p.position) + ". " + p.subject + "  <" + p.author_email + ">  " +
             p.patch_id + "\n";
    }
    for (const StoredApplicability& a : r.applicability) {
      out += "  " + a.branch + ": " + (a.applies ? "applies" : "does not apply") + "  " + a.result +
             "\n";
    }
    for (const StoredApproval& a : r.approvals) {
      out += "  approved by " + a.approver +
             (a.voided_at ? " (voided: " + a.voided_reason + ")" : std::string()) + "\n";
    }
    out += "  approval: " + CountApprovals(all, r, needed).Describe() + "\n";
    for (const StoredTrailer& t : r.trailers) {
      out += "  " + t.name + ": " + t.person_name + " <" + t.email + ">\n";
    }
  }
  return out;
}

void ShowRevisions(CliContext& ctx, const PatchOptions& o, PatchService& s,
                   const Result<std::vector<PatchRevision>>& r) {
  if (!ctx.Check(r.status())) return;
  Result<int> needed = s.ApprovalsNeeded(o.report);
  if (!ctx.Check(needed.status())) return;
  ctx.Print(o.json ? json::serialize(RevisionsJson(*r, *needed)) + "\n"
                   : RevisionText(*r, *needed));
}

}  // namespace

void AddPatchCommands(CLI::App& app, CliContext& ctx) {
  auto* group = AddCommand(app, "patch");
  group->require_subcommand(1);
  AddPatchFileCommands(*group, ctx.exit_code);
  // The workflow on reports (these need vigil.toml and the database).
  {
    auto o = std::make_shared<PatchOptions>();
    auto* cmd = group->add_subcommand("submit", "Attach a patch series to a report");
    cmd->add_option("REPORT", o->report, "Report id")->required();
    cmd->add_option("FILE", o->file, "An mbox, a mail or a diff; - for standard input")->required();
    cmd->add_option("--max-bytes", o->max_bytes, "Refuse input larger than this (default 50 MiB)");
    cmd->add_option("--branch", o->branch, "Target branch (default: project.master_branch)");
    cmd->add_option("--series", o->series, "Add a revision to this series of the report");
    cmd->add_flag("--json", o->json, "JSON output");
    cmd->callback([&ctx, o] {
      Result<PatchService*> s = ctx.Patches();
      if (!ctx.Check(s.status())) return;
      Result<std::string> input = ReadPatchInput(o->file, o->max_bytes);
      if (!ctx.Check(input.status())) return;
      PatchSubmitOptions options;
      options.target_branch = o->branch;
      options.series = o->series;
      Result<PatchRevision> r = (*s)->SubmitSeries(ctx.Operator(), o->report, *input, options);
      if (!ctx.Check(r.status())) return;
      ShowRevisions(ctx, *o, **s, std::vector<PatchRevision>{*r});
    });
  }
  {
    auto o = std::make_shared<PatchOptions>();
    auto* cmd = group->add_subcommand("list", "Show a report's patch revisions");
    cmd->add_option("REPORT", o->report, "Report id")->required();
    cmd->add_flag("--json", o->json, "JSON output");
    cmd->callback([&ctx, o] {
      Result<PatchService*> s = ctx.Patches();
      if (!ctx.Check(s.status())) return;
      ShowRevisions(ctx, *o, **s, (*s)->Revisions(o->report));
    });
  }
  {
    auto o = std::make_shared<PatchOptions>();
    auto* cmd = group->add_subcommand(
        "recheck", "Re-check the latest revisions on every branch (after branches moved)");
    cmd->add_option("REPORT", o->report, "Report id")->required();
    cmd->add_flag("--json", o->json, "JSON output");
    cmd->callback([&ctx, o] {
      Result<PatchService*> s = ctx.Patches();
      if (!ctx.Check(s.status())) return;
      ShowRevisions(ctx, *o, **s, (*s)->Recheck(ctx.Operator(), o->report));
    });
  }
  {
    auto o = std::make_shared<PatchOptions>();
    auto* cmd = group->add_subcommand("approve", "Approve a revision, pinned to its patch-ids");
    cmd->add_option("REPORT", o->report, "Report id")->required();
    cmd->add_option("REVISION", o->revision, "Revision, e.g. s1v2")->required();
    cmd->add_option("--as", o->as,
                    "The approving maintainer's account email (default: the account the command "
                    "acts as, `vigil --as ACCOUNT` or [project] operator)");
    cmd->callback([&ctx, o] {
      if (o->as.empty()) {
        if (!ctx.OperatorIsAccount()) {
          ctx.Check(Status::Invalid(
              "say which maintainer approves: patch approve … --as ACCOUNT, vigil --as ACCOUNT, "
              "or [project] operator"));
          return;
        }
        o->as = ctx.Operator().email;
      }
      Result<PatchService*> s = ctx.Patches();
      if (!ctx.Check(s.status())) return;
      Result<PatchRevision> r = (*s)->Approve(ctx.Operator(), o->report, o->revision, o->as);
      if (!ctx.Check(r.status())) return;
      Result<std::vector<PatchRevision>> all = (*s)->Revisions(o->report);
      Result<int> needed = (*s)->ApprovalsNeeded(o->report);
      if (!ctx.Check(all.status()) || !ctx.Check(needed.status())) return;
      ApprovalCount count;
      for (const PatchRevision& rev : *all) {
        if (rev.Name() == r->Name()) count = CountApprovals(*all, rev, *needed);
      }
      // With [patch] approvals_required above 1, say who is still missing.
      ctx.Print(o->report + " " + r->Name() +
                (count.approved() ? " approved by " + o->as
                                  : " approval by " + o->as + " recorded: " + count.Describe()) +
                "\n");
    });
  }
}

}  // namespace vigil
