// `vigil report ...`: the report workflow from the command line.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>
#include <iterator>

#include "cli/cli_context.h"
#include "cli/command_table.h"
#include "core/level_policy.h"
#include "core/report_form.h"
#include "service/report_json.h"

namespace vigil {
namespace {

namespace json = boost::json;

struct ReportOptions {
  std::string id, to, reason, of, end, email, name, role = "collaborator", body, state;
  int level = 0;
  int64_t seq = 0;
  int limit = 0;
  bool broken = false;
  SubmitRequest submit;
};

std::string Describe(const Report& r, const ReportForm& form) {
  std::string out = r.id + "  " + r.fields.subject + "\n";
  out += "  state        " + std::string(StateName(r.state)) + "\n";
  out += "  level        " +
         (r.level ? std::to_string(r.level) + " (" + RouteName(PolicyForLevel(r.level).route) + ")"
                  : std::string("unset")) +
         "\n";
  out += "  coordinator  " + (r.coordinator.empty() ? "unassigned" : r.coordinator) + "\n";
  out += "  embargo      " + std::string(EmbargoStateName(r.embargo.state)) + " until " +
         FormatUtc(r.embargo.end) + " (cap " + std::to_string(r.embargo.cap_days) + " days)\n";
  if (!r.duplicate_of.empty()) out += "  duplicate of " + r.duplicate_of + "\n";
  if (!r.reason.empty()) out += "  reason       " + r.reason + "\n";
  out += "  received     " + FormatUtc(r.created_at) + "\n  participants\n";
  for (const Participant& p : r.participants) {
    out += "    " + std::string(RoleName(p.role)) + "  " +
           (p.email.empty() ? std::string("(anonymous)") : p.email) +
           (p.name.empty() ? "" : " (" + p.name + ")") + "\n";
  }
  for (const auto& [label, text] : LabelledFields(form, r.fields)) {
    out += "\n" + label + ":\n" + text + "\n";
  }
  return out;
}

// Prints the report (text or JSON) when R succeeded.
void Show(CliContext& ctx, const Result<Report>& r) {
  if (!ctx.Check(r.status())) return;
  if (ctx.json) return ctx.Print(json::serialize(ReportJson(*r)) + "\n");
  Result<const Config*> config = ctx.LoadConfig();
  if (!ctx.Check(config.status())) return;
  ctx.Print(Describe(*r, (*config)->report_form));
}

using Options = std::shared_ptr<ReportOptions>;

// The report service, or null after printing the error.
ReportService* Reports(CliContext& ctx) {
  Result<ReportService*> s = ctx.Service();
  return ctx.Check(s.status()) ? *s : nullptr;
}

void IdArg(const Options& o, CLI::App* cmd) {
  cmd->add_option("id", o->id, "Report id, e.g. SEC-2026-0001")->required();
}

// report submit | list | show.
void AddReadingCommands(CLI::App* report, CliContext& ctx, const Options& o) {
  auto* submit =
      report->add_subcommand("submit", "Submit a report (as an anonymous reporter would)");
  TemplateFields& f = o->submit.fields;
  submit->add_option("--subject", f.subject, "Descriptive subject")->required();
  submit->add_option("--steps", f.steps, "Reproduction steps ('-' reads stdin)")->required();
  // One option per stored field, named by its key; what each holds is the project's
  // [report_form] (generic: impact, affected versions, mitigations, attack vector, environment).
  submit->add_option("--effects-cluster", f.effects_cluster,
                     "Field effects_cluster (generic form: Impact)");
  submit->add_option("--effects-applications", f.effects_applications,
                     "Field effects_applications (generic form: Affected versions)");
  submit->add_option("--effects-infrastructure", f.effects_infrastructure,
                     "Field effects_infrastructure (the Kubernetes form's infrastructure)");
  submit->add_option("--workflows", f.workflows, "Field workflows (generic form: Mitigations)");
  submit->add_option("--attack-vectors", f.attack_vectors,
                     "Field attack_vectors (generic form: Attack vector)");
  submit->add_option("--other-software", f.other_software,
                     "Field other_software (generic form: Environment)");
  submit->add_option("--reporter-email", o->submit.reporter_email, "Reporter's email");
  submit->add_option("--reporter-name", o->submit.reporter_name, "Reporter's name");
  submit->callback([&ctx, o] {
    ReportService* s = Reports(ctx);
    if (!s) return;
    Result<std::string> steps = TextArgument(o->submit.fields.steps, kMaxFieldBytes);
    if (!ctx.Check(steps.status())) return;
    o->submit.fields.steps = *steps;
    Principal anonymous;
    Result<Submitted> done = s->Submit(anonymous, o->submit);
    if (!ctx.Check(done.status())) return;
    ctx.Print(ctx.json
                  ? json::serialize(json::object{{"id", done->id}, {"token", done->token}}) + "\n"
                  : done->id + "\nreporter token (shown once): " + done->token + "\n");
  });

  auto* list = report->add_subcommand("list", "List reports");
  list->add_option("--state", o->state, "Only reports in this state");
  list->add_option("--limit", o->limit, "At most this many, newest first (default: all)")
      ->check(CLI::NonNegativeNumber);
  list->add_flag("--json", ctx.json, "Print JSON");
  list->callback([&ctx, o] {
    ReportService* s = Reports(ctx);
    if (!s) return;
    std::optional<State> state;
    if (!o->state.empty()) {
      state = ParseState(o->state);
      if (!state) {
        ctx.Check(Status::Invalid("unknown state \"" + o->state + "\""));
        return;
      }
    }
    Result<std::vector<ReportSummary>> reports = s->List(ctx.Operator(), state, o->limit);
    if (!ctx.Check(reports.status())) return;
    if (ctx.json) {
      json::array items;
      for (const ReportSummary& r : *reports) items.push_back(SummaryJson(r));
      ctx.Print(json::serialize(json::object{{"reports", std::move(items)}}) + "\n");
      return;
    }
    for (const ReportSummary& r : *reports) {
      char line[512];
      std::snprintf(line, sizeof line, "%-16s %-10s %-5s %-28s %s\n", r.id.c_str(),
                    StateName(r.state), r.level ? std::to_string(r.level).c_str() : "-",
                    r.coordinator.empty() ? "-" : r.coordinator.c_str(), r.title.c_str());
      ctx.Print(line);
    }
  });

  auto* show = report->add_subcommand("show", "Show a report and its thread");
  IdArg(o, show);
  show->add_flag("--json", ctx.json, "Print JSON");
  show->callback([&ctx, o] {
    ReportService* s = Reports(ctx);
    if (!s) return;
    Result<Report> r = s->Show(o->id);
    if (!ctx.Check(r.status())) return;
    Result<std::vector<ThreadMessage>> thread = s->Thread(ctx.Operator(), o->id);
    if (!ctx.Check(thread.status())) return;
    if (ctx.json) {
      json::object out = ReportJson(*r);
      json::array msgs;
      for (const ThreadMessage& m : *thread) msgs.push_back(MessageJson(m));
      out["thread"] = std::move(msgs);
      ctx.Print(json::serialize(out) + "\n");
      return;
    }
    std::string text = Describe(*r, s->config().report_form);
    for (const ThreadMessage& m : *thread) {
      text += "\n--- #" + std::to_string(m.seq) + " " +
              (IsHeld(m) ? std::string("UNVERIFIED SENDER (held, not relayed; `vigil report "
                                       "release ") +
                               o->id + " " + std::to_string(m.seq) + "` sends it to everyone)"
                         : m.author_role) +
              " " + m.author_email + " " + FormatUtc(m.created_at) + "\n" + m.body + "\n";
    }
    ctx.Print(text);
  });
}

// report assign | confirm | reject | duplicate | classify | embargo: the coordinator's commands.
void AddTriageCommands(CLI::App* report, CliContext& ctx, const Options& o) {
  auto* assign =
      report->add_subcommand("assign", "Assign a coordinator (default: next in rotation)");
  IdArg(o, assign);
  assign->add_option("--to", o->to, "Coordinator's email (a maintainer account)");
  assign->callback([&ctx, o] {
    if (ReportService* s = Reports(ctx)) Show(ctx, s->Assign(ctx.Operator(), o->id, o->to));
  });

  auto* confirm = report->add_subcommand("confirm", "Confirm the report is valid");
  IdArg(o, confirm);
  confirm->callback([&ctx, o] {
    if (ReportService* s = Reports(ctx)) Show(ctx, s->Confirm(ctx.Operator(), o->id));
  });

  auto* reject = report->add_subcommand("reject", "Reject: not a vulnerability");
  IdArg(o, reject);
  reject->add_option("--reason", o->reason, "Why (sent to the reporter)")->required();
  reject->callback([&ctx, o] {
    if (ReportService* s = Reports(ctx)) Show(ctx, s->Reject(ctx.Operator(), o->id, o->reason));
  });

  auto* dup = report->add_subcommand("duplicate", "Mark as a duplicate of another report");
  IdArg(o, dup);
  dup->add_option("--of", o->of, "The original report's id")->required();
  dup->add_option("--reason", o->reason, "Why (sent to the reporter)");
  dup->callback([&ctx, o] {
    if (ReportService* s = Reports(ctx)) {
      Show(ctx, s->MarkDuplicate(ctx.Operator(), o->id, o->of, o->reason));
    }
  });

  auto* classify = report->add_subcommand("classify", "Set the risk level (1-7) and route it");
  IdArg(o, classify);
  classify->add_option("--level", o->level, "1-3 embargoed fix, 4/5/7 public route, 6 closed")
      ->required()
      ->check(CLI::Range(1, 7));
  classify->add_option("--reason", o->reason, "Why this level (sent to the reporter)");
  classify->callback([&ctx, o] {
    if (ReportService* s = Reports(ctx)) {
      Show(ctx, s->Classify(ctx.Operator(), o->id, o->level, o->reason));
    }
  });

  auto* embargo =
      report->add_subcommand("embargo", "Set or extend the embargo end, or record a break");
  IdArg(o, embargo);
  embargo->add_option("--end", o->end, "New end, UTC (2026-12-01T15:00:00Z)");
  embargo->add_option("--reason", o->reason, "Required to extend or to record a break");
  embargo->add_flag("--broken", o->broken, "Record that the embargo was broken");
  embargo->callback([&ctx, o] {
    ReportService* s = Reports(ctx);
    if (!s) return;
    if (o->broken) return Show(ctx, s->BreakEmbargo(ctx.Operator(), o->id, o->reason));
    if (o->end.empty()) {
      ctx.Check(Status::Invalid("--end or --broken is required"));
      return;
    }
    Result<Instant> end = ParseUtc(o->end);
    if (!ctx.Check(end.status())) return;
    Show(ctx, s->SetEmbargo(ctx.Operator(), o->id, *end, o->reason));
  });
}

// report invite | message | withdraw: the people on the report and their thread.
void AddParticipationCommands(CLI::App* report, CliContext& ctx, const Options& o) {
  auto* invite = report->add_subcommand("invite", "Read a person into the report");
  IdArg(o, invite);
  invite->add_option("--email", o->email, "Their email")->required();
  invite->add_option("--name", o->name, "Their name");
  invite->add_option("--role", o->role, "collaborator, observer, maintainer or reporter")
      ->check(CLI::IsMember({"collaborator", "observer", "maintainer", "reporter"}));
  invite->callback([&ctx, o] {
    ReportService* s = Reports(ctx);
    if (!s) return;
    Result<Invited> inv = s->Invite(ctx.Operator(), o->id, o->email, o->name, *ParseRole(o->role));
    if (!ctx.Check(inv.status())) return;
    if (ctx.json) {
      json::object out = ReportJson(inv->report);
      out["token"] = inv->token;
      out["tracking_url"] = s->TrackingUrl(inv->token);
      ctx.Print(json::serialize(out) + "\n");
    } else {
      ctx.Print(Describe(inv->report, s->config().report_form) + "access token for " + o->email +
                " (shown once; their link is mailed to them): " + inv->token + "\n");
    }
  });

  auto* message = report->add_subcommand("message", "Post to the report's thread");
  IdArg(o, message);
  message->add_option("--body", o->body, "The message ('-' reads stdin)")->required();
  message->callback([&ctx, o] {
    ReportService* s = Reports(ctx);
    if (!s) return;
    Result<std::string> body = TextArgument(o->body, kMaxMessageBytes);
    if (!ctx.Check(body.status())) return;
    Result<ThreadMessage> m = s->PostMessage(ctx.Operator(), o->id, *body);
    if (!ctx.Check(m.status())) return;
    ctx.Print(ctx.json ? json::serialize(MessageJson(*m)) + "\n"
                       : o->id + " message #" + std::to_string(m->seq) + "\n");
  });

  auto* release = report->add_subcommand(
      "release", "Send a message held from an unverified sender to everyone on the report");
  IdArg(o, release);
  release->add_option("SEQ", o->seq, "The held message's number (#N in `vigil report show`)")
      ->required();
  release->callback([&ctx, o] {
    ReportService* s = Reports(ctx);
    if (!s) return;
    Result<ThreadMessage> m = s->ReleaseMessage(ctx.Operator(), o->id, o->seq);
    if (!ctx.Check(m.status())) return;
    ctx.Print(ctx.json ? json::serialize(MessageJson(*m)) + "\n"
                       : o->id + " message #" + std::to_string(o->seq) + " released as #" +
                             std::to_string(m->seq) + "\n");
  });

  auto* unbounce = report->add_subcommand(
      "unbounce", "Mail a participant again after their address bounced (fixed or confirmed)");
  IdArg(o, unbounce);
  unbounce->add_option("--email", o->email, "The participant's address")->required();
  unbounce->callback([&ctx, o] {
    if (ReportService* s = Reports(ctx)) {
      Show(ctx, s->ClearBouncing(ctx.Operator(), o->id, o->email));
    }
  });

  auto* withdraw = report->add_subcommand("withdraw", "Withdraw on the reporter's behalf");
  IdArg(o, withdraw);
  withdraw->add_option("--reason", o->reason, "Why");
  withdraw->callback([&ctx, o] {
    if (ReportService* s = Reports(ctx)) Show(ctx, s->Withdraw(ctx.Operator(), o->id, o->reason));
  });
}

}  // namespace

void AddReportCommands(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<ReportOptions>();  // kept alive by the callbacks
  auto* report = AddCommand(app, "report");
  report->require_subcommand(1);
  report->add_flag("--json", ctx.json, "Print JSON instead of text");
  AddReadingCommands(report, ctx, o);
  AddTriageCommands(report, ctx, o);
  AddParticipationCommands(report, ctx, o);
}

}  // namespace vigil
