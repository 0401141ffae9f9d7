// `vigil patch inspect|check|apply`: the patch engine on files and local repositories. These
// commands need no vigil.toml and no database.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>

#include "cli/context.h"
#include "patch/apply_check.h"
#include "patch/apply_series.h"
#include "patch/git_repository.h"
#include "patch/patch_series.h"
#include "service/patch_json.h"

namespace vigil {
namespace {

namespace json = boost::json;
using patch::SeriesPatch;

struct PatchOptions {
  std::string report, revision, as;
  int series = 0;
  std::string file;
  std::string repo = ".";
  std::vector<std::string> onto;
  std::string branch;
  std::string committer_name, committer_email;
  size_t max_bytes = 50u << 20;
  bool json = false;
};

/// Reads FILE ("-" = standard input), refusing more than LIMIT bytes before reading them.
Result<std::string> ReadInput(const std::string& file, size_t limit) {
  const std::string too_large = "input is over the limit of " + std::to_string(limit) + " bytes";
  std::FILE* f = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
  if (!f) return Status::NotFound("cannot open " + file);
  struct stat st {};
  std::string in;
  if (file != "-" && fstat(fileno(f), &st) == 0) {
    if (static_cast<size_t>(st.st_size) > limit) {
      std::fclose(f);
      return Status::TooLarge(too_large);
    }
    in.reserve(static_cast<size_t>(st.st_size) + 1);
  }
  // Reads straight into the string: a regular file in one step (its size plus one byte, to
  // notice growth), a pipe in doubling steps.
  size_t step = in.capacity() > 0 ? in.capacity() : size_t{64} << 10;
  for (;;) {
    const size_t have = in.size();
    in.resize(have + step);
    const size_t n = std::fread(in.data() + have, 1, step, f);
    in.resize(have + n);
    if (n < step || in.size() > limit) break;
    step = std::min(in.size(), limit + 1 - in.size() + 1);
  }
  if (f != stdin) std::fclose(f);
  if (in.size() > limit) return Status::TooLarge(too_large);
  return in;
}

Result<std::vector<SeriesPatch>> ReadPatches(const PatchOptions& o) {
  Result<std::string> input = ReadInput(o.file, o.max_bytes);
  if (!input.ok()) return input.status();
  patch::SeriesLimits limits;
  limits.mbox.max_input_bytes = o.max_bytes;
  limits.mbox.max_message_bytes = o.max_bytes;
  limits.diff.max_bytes = o.max_bytes;
  return patch::ReadSeries(*input, limits);
}

/// Appends S as a JSON string. Written by hand rather than through boost::json objects:
/// inspect is benchmarked against `git patch-id` and building a tree per patch doubled its time.
void AppendJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[(c >> 4) & 15]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

/// One patch of `vigil patch inspect --json`.
void AppendPatchJson(std::string* out, const SeriesPatch& p) {
  auto key = [&](const char* k) {
    out->push_back('"');
    out->append(k);
    out->append("\":");
  };
  auto str = [&](const char* k, std::string_view v) {
    key(k);
    AppendJsonString(out, v);
    out->push_back(',');
  };
  auto num = [&](const char* k, int v, char sep) {
    key(k);
    out->append(std::to_string(v));
    out->push_back(sep);
  };
  out->append("{");
  key("series");
  out->push_back('{');
  num("version", p.mail.series.version, ',');
  num("index", p.mail.series.index, ',');
  num("total", p.mail.series.total, '}');
  out->append(",");
  key("author");
  out->push_back('{');
  str("name", p.mail.author);
  str("email", p.mail.email);
  key("date");
  AppendJsonString(out, p.mail.date);
  out->append("},");
  str("subject", p.mail.subject);
  str("message", p.mail.message);
  str("patch_id", p.patch_id);
  str("change_id", p.mail.change_id);
  str("message_id", p.mail.message_id);
  key("files");
  out->push_back('[');
  for (size_t i = 0; i < p.files.size(); ++i) {
    const patch::FileDiff& f = p.files[i];
    if (i) out->push_back(',');
    out->push_back('{');
    str("path", f.path());
    str("old_path", f.old_path);
    str("status", patch::FileStatusName(f.status));
    num("insertions", f.insertions, ',');
    num("deletions", f.deletions, ',');
    key("binary");
    out->append(f.binary ? "true}" : "false}");
  }
  out->append("]}");
}

std::string PatchText(const SeriesPatch& p) {
  std::string out = p.Label() + "  " + p.mail.subject + "\n";
  out += "  series     v" + std::to_string(p.mail.series.version) + " " +
         std::to_string(p.mail.series.index) + "/" + std::to_string(p.mail.series.total) + "\n";
  out += "  author     " + p.mail.author + " <" + p.mail.email + ">\n";
  out += "  date       " + p.mail.date + "\n";
  out += "  patch-id   " + p.patch_id + "\n";
  for (const patch::FileDiff& f : p.files) {
    out += "  " + std::string(patch::FileStatusName(f.status)) + "  " + f.path() +
           (f.binary ? "  (binary)"
                     : "  +" + std::to_string(f.insertions) + " -" + std::to_string(f.deletions)) +
           "\n";
  }
  return out;
}

void Inspect(CliContext& ctx, const PatchOptions& o) {
  Result<std::vector<SeriesPatch>> series = ReadPatches(o);
  if (!ctx.Check(series.status())) return;
  if (o.json) {
    std::string out = "[";
    for (const SeriesPatch& p : *series) {
      if (out.size() > 1) out.push_back(',');
      AppendPatchJson(&out, p);
    }
    ctx.Print(out + "]\n");
    return;
  }
  std::string out;
  for (const SeriesPatch& p : *series) out += PatchText(p);
  ctx.Print(out);
}

void Check(CliContext& ctx, const PatchOptions& o) {
  Result<std::vector<SeriesPatch>> series = ReadPatches(o);
  if (!ctx.Check(series.status())) return;
  Result<std::unique_ptr<patch::GitRepository>> repo = patch::GitRepository::Open(o.repo);
  if (!ctx.Check(repo.status())) return;
  bool all = true;
  json::array revs;
  std::string text;
  for (const std::string& rev : o.onto) {
    Result<patch::RevisionApplicability> r = patch::CheckSeries(**repo, *series, rev);
    if (!ctx.Check(r.status())) return;
    all = all && r->AllApply();
    json::array patches;
    for (size_t i = 0; i < r->patches.size(); ++i) {
      const patch::PatchApplicability& a = r->patches[i];
      const SeriesPatch& p = (*series)[i];
      json::object j{{"patch", p.number},
                     {"subject", p.mail.subject},
                     {"patch_id", p.patch_id},
                     {"result", patch::ApplicabilityName(a.verdict)},
                     {"offset", a.offset}};
      if (!a.message.empty()) j["message"] = a.message;
      if (a.verdict == patch::Applicability::kConflict) {
        j["file"] = a.file;
        j["hunk"] = a.hunk;
        j["line"] = a.line;
      }
      patches.push_back(std::move(j));
      text += rev + "  " + p.Label() + "  ";
      switch (a.verdict) {
        case patch::Applicability::kApplies:
          text += "applies\n";
          break;
        case patch::Applicability::kOffset:
          text += "applies with offset " + std::to_string(a.offset) + "\n";
          break;
        default:
          text += std::string(patch::ApplicabilityName(a.verdict)) + ": " + a.message + "\n";
      }
    }
    revs.push_back(json::object{{"rev", rev},
                                {"commit", r->commit},
                                {"engine", r->by_git ? "git" : "vigil"},
                                {"applies", r->AllApply()},
                                {"patches", std::move(patches)}});
  }
  ctx.Print(o.json ? json::serialize(revs) + "\n" : text);
  if (!all) ctx.exit_code = kExitConflict;
}

void Apply(CliContext& ctx, const PatchOptions& o) {
  Result<std::vector<SeriesPatch>> series = ReadPatches(o);
  if (!ctx.Check(series.status())) return;
  Result<std::unique_ptr<patch::GitRepository>> repo = patch::GitRepository::Open(o.repo);
  if (!ctx.Check(repo.status())) return;
  patch::ApplyOptions options;
  options.branch = o.branch;
  options.committer_name = o.committer_name;
  options.committer_email = o.committer_email;
  Result<patch::AppliedSeries> applied =
      patch::ApplySeries(**repo, *series, o.onto.front(), options);
  if (!ctx.Check(applied.status())) return;
  std::string out;
  for (const std::string& c : applied->commits) out += c + "\n";
  ctx.Print(out);
}

std::string RevisionText(const std::vector<PatchRevision>& all) {
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
    for (const StoredTrailer& t : r.trailers) {
      out += "  " + t.name + ": " + t.person_name + " <" + t.email + ">\n";
    }
  }
  return out;
}

void ShowRevisions(CliContext& ctx, const PatchOptions& o,
                   const Result<std::vector<PatchRevision>>& r) {
  if (!ctx.Check(r.status())) return;
  ctx.Print(o.json ? json::serialize(RevisionsJson(*r)) + "\n" : RevisionText(*r));
}

}  // namespace

void AddPatchCommands(CLI::App& app, CliContext& ctx) {
  auto* group = app.add_subcommand("patch", "Read, check and apply git format-patch mail");
  group->require_subcommand(1);
  auto add_input = [](CLI::App* cmd, PatchOptions& o) {
    cmd->add_option("FILE", o.file, "An mbox, a mail or a diff; - for standard input")->required();
    cmd->add_option("--max-bytes", o.max_bytes, "Refuse input larger than this (default 50 MiB)");
  };
  {
    auto o = std::make_shared<PatchOptions>();
    auto* cmd = group->add_subcommand("inspect", "Show what git am would make of each patch");
    add_input(cmd, *o);
    cmd->add_flag("--json", o->json, "JSON output");
    cmd->callback([&ctx, o] { Inspect(ctx, *o); });
  }
  {
    auto o = std::make_shared<PatchOptions>();
    auto* cmd = group->add_subcommand(
        "check", "Does each patch apply on each revision (as git apply --check would say)");
    add_input(cmd, *o);
    cmd->add_option("--repo", o->repo, "The git repository (default .)");
    cmd->add_option("--onto", o->onto, "A revision to check on (repeatable)")->required();
    cmd->add_flag("--json", o->json, "JSON output");
    cmd->callback([&ctx, o] { Check(ctx, *o); });
  }
  {
    auto o = std::make_shared<PatchOptions>();
    auto* cmd = group->add_subcommand(
        "apply", "Create the commits git am would create, without touching the work tree");
    add_input(cmd, *o);
    cmd->add_option("--repo", o->repo, "The git repository (default .)");
    cmd->add_option("--onto", o->onto, "The revision to apply on")->required()->expected(1);
    cmd->add_option("--branch", o->branch, "Create this new branch at the last commit");
    cmd->add_option("--committer-name", o->committer_name, "Committer name (default: git's)");
    cmd->add_option("--committer-email", o->committer_email, "Committer email (default: git's)");
    cmd->callback([&ctx, o] { Apply(ctx, *o); });
  }
  // The workflow on reports (these need vigil.toml and the database).
  {
    auto o = std::make_shared<PatchOptions>();
    auto* cmd = group->add_subcommand("submit", "Attach a patch series to a report");
    cmd->add_option("REPORT", o->report, "Report id")->required();
    add_input(cmd, *o);
    cmd->add_option("--branch", o->branch, "Target branch (default: project.master_branch)");
    cmd->add_option("--series", o->series, "Add a revision to this series of the report");
    cmd->add_flag("--json", o->json, "JSON output");
    cmd->callback([&ctx, o] {
      Result<PatchService*> s = ctx.Patches();
      if (!ctx.Check(s.status())) return;
      Result<std::string> input = ReadInput(o->file, o->max_bytes);
      if (!ctx.Check(input.status())) return;
      PatchSubmitOptions options;
      options.target_branch = o->branch;
      options.series = o->series;
      Result<PatchRevision> r = (*s)->SubmitSeries(ctx.Operator(), o->report, *input, options);
      if (!ctx.Check(r.status())) return;
      ShowRevisions(ctx, *o, std::vector<PatchRevision>{*r});
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
      ShowRevisions(ctx, *o, (*s)->Revisions(o->report));
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
      ShowRevisions(ctx, *o, (*s)->Recheck(ctx.Operator(), o->report));
    });
  }
  {
    auto o = std::make_shared<PatchOptions>();
    auto* cmd = group->add_subcommand("approve", "Approve a revision, pinned to its patch-ids");
    cmd->add_option("REPORT", o->report, "Report id")->required();
    cmd->add_option("REVISION", o->revision, "Revision, e.g. s1v2")->required();
    cmd->add_option("--as", o->as, "The approving maintainer's account email")->required();
    cmd->callback([&ctx, o] {
      Result<PatchService*> s = ctx.Patches();
      if (!ctx.Check(s.status())) return;
      Result<PatchRevision> r = (*s)->Approve(ctx.Operator(), o->report, o->revision, o->as);
      if (!ctx.Check(r.status())) return;
      ctx.Print(o->report + " " + r->Name() + " approved by " + o->as + "\n");
    });
  }
}

}  // namespace vigil
