// `vigil plan ...`, `vigil disclose ID` and `vigil public ...`: the disclosure plan, the
// one-command resumable disclosure, and the public route for levels >= 4.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_context.h"
#include "cli/command_table.h"

namespace vigil {
namespace {

namespace json = boost::json;

struct DiscloseOptions {
  std::string id, slot, on_duty, as, title, text, reason;
  int notice_days = -1;
  bool dry_run = false, publish_closed = false, due = false, without_advisory = false;
};

Result<std::string> ReadFileOrStdin(const std::string& path, size_t limit) {
  std::string in;
  if (path == "-") {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
      in.append(buf, n);
      if (in.size() > limit) break;
    }
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) return Status::NotFound("cannot read " + path);
    std::stringstream ss;
    ss << f.rdbuf();
    in = ss.str();
  }
  if (in.size() > limit) {
    return Status::TooLarge("input is larger than " + std::to_string(limit) + " bytes");
  }
  return in;
}

std::string DescribePlan(const std::string& id, const DisclosurePlanRow& p,
                         const std::vector<DisclosureStepRow>& log) {
  std::string out = id + " disclosure plan\n";
  out += "  slot         " + FormatUtc(p.slot) + "\n";
  out += "  notice       " + std::to_string(p.notice_days) + " days (observers told at " +
         FormatUtc(p.slot - p.notice_days * kMicrosPerDay) + ")\n";
  out += "  on duty      " + p.on_duty + "\n";
  out += "  confirmed    " +
         (p.confirmed_at ? FormatUtc(p.confirmed_at) + " by " + p.confirmed_by : "no") + "\n";
  out += "  public view  " + std::string(p.public_view ? "visible" : "hidden") + "\n";
  if (!log.empty()) out += "  execution log\n";
  for (const DisclosureStepRow& s : log) {
    out += "    " + FormatUtc(s.at) + "  " + s.step + "  " + s.state +
           (s.detail.empty() ? "" : "  " + s.detail) + "\n";
  }
  return out;
}

}  // namespace

void AddDiscloseCommands(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<DiscloseOptions>();
  auto id_arg = [o](CLI::App* cmd) {
    cmd->add_option("id", o->id, "Report id, e.g. SEC-2026-0001")->required();
  };

  auto* plan = AddCommand(app, "plan");
  plan->require_subcommand(1);

  for (const bool again : {false, true}) {
    auto* schedule = plan->add_subcommand(
        again ? "reschedule" : "schedule",
        again ? "Move a scheduled disclosure to a new slot (everyone on the report is told why)"
              : "Schedule the disclosure slot");
    id_arg(schedule);
    schedule->add_option("--slot", o->slot, "UTC instant, e.g. 2026-12-08T15:00:00Z")->required();
    schedule->add_option("--on-duty", o->on_duty, "The maintainer on duty at the slot")->required();
    schedule->add_option("--notice-days", o->notice_days,
                         "Days of notice for observers (default from [disclosure] notice_days)");
    if (again) schedule->add_option("--reason", o->reason, "Why it moves")->required();
    schedule->callback([&ctx, o, again] {
      DiscloseServices* s = ctx.Disclose();
      if (!s) return;
      Result<Instant> slot = ParseUtc(o->slot);
      if (!ctx.Check(slot.status())) return;
      PlanRequest req;
      req.slot = *slot;
      req.notice_days = o->notice_days;
      req.on_duty = o->on_duty;
      req.reason = o->reason;
      req.reschedule = again;
      Result<PlanResult> r = s->disclosure->Schedule(ctx.Operator(), o->id, req);
      if (!ctx.Check(r.status())) return;
      for (const std::string& w : r->warnings)
        std::fprintf(stderr, "vigil: warning: %s\n", w.c_str());
      ctx.Print(o->id + ": disclosure " + (again ? "moved to " : "scheduled at ") +
                FormatUtc(r->plan.slot) + "\n");
    });
  }

  auto* unschedule = plan->add_subcommand(
      "unschedule", "Withdraw the slot of a scheduled disclosure (everyone is told why)");
  id_arg(unschedule);
  unschedule->add_option("--reason", o->reason, "Why")->required();
  unschedule->callback([&ctx, o] {
    DiscloseServices* s = ctx.Disclose();
    if (!s) return;
    Result<Report> r = s->disclosure->Unschedule(ctx.Operator(), o->id, o->reason);
    if (!ctx.Check(r.status())) return;
    ctx.Print(o->id + ": disclosure unscheduled; the report is approved, the embargo goes on\n");
  });

  auto* confirm = plan->add_subcommand(
      "confirm", "Confirm the on-duty maintainer's availability (24 hours before the slot)");
  id_arg(confirm);
  confirm->add_option("--as", o->as,
                      "The on-duty maintainer confirming (default: the account the command acts "
                      "as, `vigil --as ACCOUNT` or [project] operator)");
  confirm->callback([&ctx, o] {
    if (o->as.empty() && ctx.OperatorIsAccount()) o->as = ctx.Operator().email;
    DiscloseServices* s = ctx.Disclose();
    if (!s) return;
    Result<DisclosurePlanRow> p = s->disclosure->ConfirmOnDuty(ctx.Operator(), o->id, o->as);
    if (!ctx.Check(p.status())) return;
    ctx.Print(o->id + ": " + p->confirmed_by + " confirmed for the slot " + FormatUtc(p->slot) +
              "\n");
  });

  auto* show = plan->add_subcommand("show", "Show the plan and the execution log");
  id_arg(show);
  show->callback([&ctx, o] {
    DiscloseServices* s = ctx.Disclose();
    if (!s) return;
    Result<std::optional<DisclosurePlanRow>> p = s->disclosure->Plan(o->id);
    if (!ctx.Check(p.status())) return;
    if (!p->has_value()) {
      ctx.Check(Status::NotFound("no disclosure plan for " + o->id));
      return;
    }
    Result<std::vector<DisclosureStepRow>> log = s->disclosure->Log(o->id);
    if (!ctx.Check(log.status())) return;
    ctx.Print(DescribePlan(o->id, **p, *log));
  });

  auto* disclose = AddCommand(app, "disclose");
  disclose->add_option("id", o->id, "Report id, e.g. SEC-2026-0001");
  disclose->add_flag("--dry-run", o->dry_run,
                     "At any time: print what is missing, every credit and every step; change "
                     "nothing");
  disclose->add_flag("--without-advisory", o->without_advisory,
                     "Disclose although the advisory has no title and summary (none is "
                     "published)");
  disclose->add_flag("--due", o->due,
                     "Disclose every scheduled report whose slot is reached (for cron)");
  disclose->callback([&ctx, o] {
    DiscloseServices* s = ctx.Disclose();
    if (!s) return;
    if (o->due == !o->id.empty() || (o->due && o->dry_run)) {
      ctx.Check(Status::Invalid("give a report id, or --due alone"));
      return;
    }
    if (o->due) {
      Result<std::vector<std::string>> done =
          s->disclosure->DiscloseDue(ctx.Operator(), [&ctx](const std::string& line) {
            ctx.Print(line + "\n");
            std::fflush(stdout);
          });
      if (!ctx.Check(done.status())) return;
      ctx.Print("vigil: " + std::to_string(done->size()) + " disclosed\n");
      return;
    }
    auto print = [&ctx](const std::string& line) {
      ctx.Print(line + "\n");
      std::fflush(stdout);
    };
    if (o->dry_run)
      return void(ctx.Check(s->disclosure->Preview(o->id, o->without_advisory, print)));
    ctx.Check(s->disclosure->Disclose(ctx.Operator(), o->id, false, print, o->without_advisory));
  });

  auto* pub = AddCommand(app, "public");
  pub->require_subcommand(1);
  auto* redact = pub->add_subcommand("redact", "Set the public title and text (reporter is told)");
  id_arg(redact);
  redact->add_option("--title", o->title, "Public title")->required();
  redact->add_option("--text", o->text, "Public text ('-' reads stdin)")->required();
  redact->callback([&ctx, o] {
    DiscloseServices* s = ctx.Disclose();
    if (!s) return;
    Result<std::string> text =
        o->text == "-" ? ReadFileOrStdin("-", 64u << 10) : Result<std::string>(o->text);
    if (!ctx.Check(text.status())) return;
    Result<AdvisoryDraft> d = s->disclosure->Redact(ctx.Operator(), o->id, o->title, *text);
    if (!ctx.Check(d.status())) return;
    ctx.Print(o->id + ": public title and text recorded; the reporter is told\n");
  });
  auto* open = pub->add_subcommand("open", "Open the regular public issue and make it public");
  id_arg(open);
  open->add_flag("--publish-closed", o->publish_closed,
                 "Publish a closed level-6 report anyway (the coordinator's choice)");
  open->callback([&ctx, o] {
    DiscloseServices* s = ctx.Disclose();
    if (!s) return;
    Result<ForgeItem> item =
        s->disclosure->OpenPublicIssue(ctx.Operator(), o->id, o->publish_closed);
    if (!ctx.Check(item.status())) return;
    ctx.Print(o->id + ": public issue #" + std::to_string(item->number) + " " + item->url + "\n");
  });
}

}  // namespace vigil
