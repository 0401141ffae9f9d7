// `vigil advisory ...`: a report's advisory draft, its credits and identifiers, and its exports.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>

#include "cli/cli_context.h"
#include "cli/command_table.h"

namespace vigil {
namespace {

namespace json = boost::json;

struct AdvisoryOptions {
  std::string id, title, summary, details, format, output, external, name, email,
      type = "finder", consent = "pending";
  std::vector<std::string> ranges, cwes, vectors, references, clear;
  bool json = false;
};

std::string Describe(const std::string& id, const AdvisoryDraft& d, const Config& config) {
  std::string published_as = !d.cve_id.empty() ? d.cve_id : !d.ghsa_id.empty() ? d.ghsa_id : id;
  std::string out = id + " advisory draft (published as " + published_as + ")\n";
  out += "  title      " + d.title + "\n  summary    " + d.summary + "\n";
  if (!d.cve_id.empty()) out += "  CVE        " + d.cve_id + "\n";
  if (!d.ghsa_id.empty()) out += "  GHSA       " + d.ghsa_id + "\n";
  for (const std::string& v : d.cvss_vectors) {
    Result<std::string> scores = DescribeScores(v);
    out += "  CVSS       " + v + "  " + (scores.ok() ? *scores : scores.status().message()) + "\n";
  }
  for (const auto& w : d.weaknesses) out += "  CWE        " + w.id + " " + w.name + "\n";
  out += "  affected   " + config.package_name + " (" + config.package_ecosystem + ")";
  if (d.ranges.empty()) out += ": every version (no range yet)";
  for (const auto& r : d.ranges) {
    out += "  >= " + r.introduced + (r.fixed.empty() ? "" : ", < " + r.fixed);
  }
  out += "\n";
  for (const std::string& c : d.fixed_commits) out += "  fixed by   " + c + "\n";
  for (const auto& r : d.references) {
    out += "  reference  " + std::string(advisory::ReferenceTypeName(r.type)) + " " + r.url + "\n";
  }
  out += "  credits\n";
  for (const DraftCredit& c : d.credits) {
    out += "    " + std::string(advisory::CreditTypeName(c.type)) + "  " +
           (c.name.empty() ? "(no name)" : c.name) + (c.email.empty() ? "" : " <" + c.email + ">") +
           "  consent " + ConsentName(c.consent) + "  (" + c.source +
           (c.asked_at != 0 ? ", asked by mail on " + FormatUtc(c.asked_at) : "") + ")\n";
  }
  if (d.redacted) out += "  public     " + d.public_title + "\n";
  if (!d.details.empty())
    out += "\nDetails:\n" + d.details + (d.details.ends_with("\n") ? "" : "\n");
  return out;
}

// The change `advisory edit` asks for with the options of EDIT (parsed into O). Errors: the
// --details file's; kInvalidArgument for a --range or --reference that does not parse.
Result<AdvisoryEdit> EditFromOptions(const AdvisoryOptions& o, const CLI::App& edit) {
  AdvisoryEdit e;
  if (edit.count("--title")) e.title = o.title;
  if (edit.count("--summary")) e.summary = o.summary;
  if (edit.count("--details")) {
    Result<std::string> details = TextArgument(o.details, kMaxAdvisoryDetailsBytes);
    if (!details.ok()) return details.status();
    e.details = *details;
  }
  for (const std::string& list : o.clear) {
    if (list == "ranges") e.ranges.emplace();
    if (list == "cwes") e.weaknesses.emplace();
    if (list == "cvss") e.cvss_vectors.emplace();
    if (list == "references") e.references.emplace();
  }
  for (const std::string& r : o.ranges) {
    const size_t colon = r.find(':');
    if (colon == std::string::npos) {
      return Status::Invalid("range \"" + r.substr(0, 64) + "\" is not INTRODUCED:FIXED");
    }
    if (!e.ranges) e.ranges.emplace();
    e.ranges->push_back({r.substr(0, colon), r.substr(colon + 1)});
  }
  for (const std::string& w : o.cwes) {
    const size_t colon = w.find(':');
    if (!e.weaknesses) e.weaknesses.emplace();
    e.weaknesses->push_back(
        {w.substr(0, colon), colon == std::string::npos ? "" : w.substr(colon + 1)});
  }
  if (!o.vectors.empty()) e.cvss_vectors = o.vectors;
  for (const std::string& ref : o.references) {
    const size_t colon = ref.find(':');
    Result<advisory::ReferenceType> type =
        advisory::ParseReferenceType(colon == std::string::npos ? ref : ref.substr(0, colon));
    if (colon == std::string::npos || !type.ok()) {
      return Status::Invalid("reference \"" + ref.substr(0, 64) + "\" is not TYPE:URL");
    }
    if (!e.references) e.references.emplace();
    e.references->push_back({*type, ref.substr(colon + 1)});
  }
  return e;
}

}  // namespace

void AddAdvisoryCommands(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<AdvisoryOptions>();
  auto* adv = AddCommand(app, "advisory");
  adv->require_subcommand(1);
  auto id_arg = [o](CLI::App* cmd) {
    cmd->add_option("id", o->id, "Report id, e.g. SEC-2026-0001")->required();
  };
  auto print_draft = [&ctx, o](const Result<AdvisoryDraft>& d) {
    if (!ctx.Check(d.status())) return;
    Result<const Config*> config = ctx.LoadConfig();
    ctx.Print(o->json ? json::serialize(AdvisoryDraftJson(o->id, *d)) + "\n"
                      : Describe(o->id, *d, **config));
  };

  auto* show = adv->add_subcommand("show", "Show the draft with computed scores");
  id_arg(show);
  show->add_flag("--json", o->json, "Print JSON");
  show->callback([&ctx, o, print_draft] {
    if (DiscloseServices* s = ctx.Disclose()) print_draft(s->advisories->Draft(o->id));
  });

  auto* edit = adv->add_subcommand("edit", "Edit the draft (list options replace the list)");
  id_arg(edit);
  edit->add_option("--title", o->title, "One-line title");
  edit->add_option("--summary", o->summary, "Short plain-text summary");
  edit->add_option("--details", o->details, "Details in Markdown ('-' reads stdin)");
  edit->add_option("--range", o->ranges, "Affected range INTRODUCED:FIXED (FIXED may be empty)");
  edit->add_option("--cwe", o->cwes, "Weakness CWE-N:Name");
  edit->add_option("--cvss", o->vectors, "CVSS:3.1/... or CVSS:4.0/... vector");
  edit->add_option("--reference", o->references, "Reference TYPE:URL (FIX:https://...)");
  edit->add_option("--clear", o->clear, "Empty a list: ranges, cwes, cvss, references")
      ->check(CLI::IsMember({"ranges", "cwes", "cvss", "references"}));
  edit->add_flag("--json", o->json, "Print JSON");
  edit->callback([&ctx, o, edit, print_draft] {
    DiscloseServices* s = ctx.Disclose();
    if (!s) return;
    Result<AdvisoryEdit> e = EditFromOptions(*o, *edit);
    if (!ctx.Check(e.status())) return;
    print_draft(s->advisories->Edit(ctx.Operator(), o->id, *e));
  });

  auto* credit = adv->add_subcommand("credit", "Add or update a credit and its consent");
  id_arg(credit);
  credit->add_option("--name", o->name, "Name as credited");
  credit->add_option("--email", o->email, "Their address (never published)");
  credit->add_option("--type", o->type,
                     "finder, reporter, analyst, coordinator, remediation developer, remediation "
                     "reviewer, remediation verifier, tool, sponsor or other");
  credit->add_option("--consent", o->consent, "pending, named, anonymous or declined");
  credit->add_flag("--json", o->json, "Print JSON");
  credit->callback([&ctx, o, print_draft] {
    DiscloseServices* s = ctx.Disclose();
    if (!s) return;
    Result<advisory::CreditType> type = advisory::ParseCreditType(o->type);
    if (!ctx.Check(type.status())) return;
    std::optional<CreditConsent> consent = ParseConsent(o->consent);
    if (!consent) {
      ctx.Check(Status::Invalid("consent must be pending, named, anonymous or declined"));
      return;
    }
    DraftCredit c;
    c.name = o->name;
    c.email = o->email;
    c.type = *type;
    c.consent = *consent;
    print_draft(s->advisories->SetCredit(ctx.Operator(), o->id, c));
  });

  auto* set_id = adv->add_subcommand("set-id", "Record the CVE or GHSA id it is published under");
  id_arg(set_id);
  set_id->add_option("external", o->external, "CVE-YYYY-NNNN or GHSA-xxxx-xxxx-xxxx")->required();
  set_id->add_flag("--json", o->json, "Print JSON");
  set_id->callback([&ctx, o, print_draft] {
    if (DiscloseServices* s = ctx.Disclose()) {
      print_draft(s->advisories->SetExternalId(ctx.Operator(), o->id, o->external));
    }
  });

  auto* exp = adv->add_subcommand("export", "Export as Markdown, OSV, CVE JSON 5 or CSAF 2.0");
  id_arg(exp);
  exp->add_option("--format", o->format, "md, osv, cve or csaf")->required();
  exp->add_option("-o,--output", o->output, "Write to this file instead of stdout");
  exp->callback([&ctx, o] {
    DiscloseServices* s = ctx.Disclose();
    if (!s) return;
    Result<ExportFormat> format = ParseExportFormat(o->format);
    if (!ctx.Check(format.status())) return;
    Result<std::string> text = s->advisories->Export(o->id, *format);
    if (!ctx.Check(text.status())) return;
    if (o->output.empty()) {
      ctx.Print(*text + (text->ends_with("\n") ? "" : "\n"));
      return;
    }
    std::ofstream out(o->output, std::ios::binary | std::ios::trunc);
    out << *text;
    if (!out) ctx.Check(Status::Unavailable("cannot write " + o->output));
  });
}

}  // namespace vigil
