// The maintainers' workspace: the dashboard (queue, acknowledgement deadline, search) and the
// report page with every workflow action, the thread, the read-in list and the audit trail.
#include <algorithm>
#include <boost/url/url.hpp>
#include <map>

#include "core/level_policy.h"
#include "core/workflow.h"
#include "http/web_pages.h"

namespace vigil {
namespace {

using web::json::array;
using web::json::object;

constexpr CredentialSource kCookie = CredentialSource::kCookie;
// Audit events shown on the report page unless the whole trail is asked for (?trail=all).
constexpr int64_t kTrailRows = 50;
// Replaced in an action's notice by this server's absolute URL.
constexpr char kLinkBase[] = "@@base@@";

bool Legal(Command c, State s) {
  std::vector<State> from = SourceStates(c);
  return std::find(from.begin(), from.end(), s) != from.end();
}

const char* AckClass(AckStatus a) {
  switch (a) {
    case AckStatus::kOverdue:
      return "overdue";
    case AckStatus::kDueSoon:
      return "due-soon";
    case AckStatus::kOnTime:
      return "on-time";
    case AckStatus::kAcknowledged:
      return "acknowledged";
  }
  return "";
}

// Who may coordinate (none when they cannot be read: the choice is then left out).
std::vector<Account> Coordinators(WebContext& web) {
  Result<std::vector<Account>> all = web.reports.Coordinators();
  return all.ok() ? *std::move(all) : std::vector<Account>{};
}

HttpResponse Dashboard(WebContext& web, const HttpRequest& req, const RequestContext& ctx) {
  QueueFilter filter;
  auto q = [&](const char* key) {
    auto it = ctx.query.find(key);
    return it == ctx.query.end() ? std::string() : it->second;
  };
  std::string error;
  if (const std::string s = q("state"); !s.empty()) {
    filter.state = ParseState(s);
    if (!filter.state) error = "unknown state \"" + s.substr(0, 32) + "\"";
  }
  if (const std::string l = q("level"); !l.empty()) {
    filter.level =
        l == "none" ? 0 : (l.size() == 1 && l[0] >= '1' && l[0] <= '7' ? l[0] - '0' : -1);
  }
  filter.coordinator = q("coordinator");
  filter.text = q("q");
  filter.cursor = q("cursor");
  Result<QueuePage> entries = web.workspace.Queue(ctx.principal, filter);
  if (!entries.ok()) {
    error = entries.status().message();
    entries = QueuePage{};
  }
  // Counts by state over everything the viewer sees (the chips above the table).
  Result<QueueCounts> all = web.workspace.Counts(ctx.principal);
  std::map<State, int64_t> counts;
  int64_t overdue = 0, due_soon = 0;
  if (all.ok()) {
    counts = all->by_state;
    overdue = all->overdue;
    due_soon = all->due_soon;
  }
  array chips;
  for (State s : kAllStates) {
    if (!counts[s]) continue;
    chips.push_back(object{{"state", StateName(s)},
                           {"label", web::StateLabel(s)},
                           {"count", counts[s]},
                           {"active", filter.state == s}});
  }
  const Instant now = web.clock.Now();
  array rows;
  for (const QueueEntry& e : entries->entries) {
    const ReportSummary& r = e.report;
    rows.push_back(object{
        {"id", r.id},
        {"title", r.title},
        {"state", StateName(r.state)},
        {"state_label", web::StateLabel(r.state)},
        {"level", r.level > 0 ? std::to_string(r.level) : "—"},
        {"coordinator", r.coordinator.empty() ? "unassigned" : r.coordinator},
        {"unassigned", r.coordinator.empty()},
        {"received", web::Utc(r.created_at)},
        {"age", web::Age(r.created_at, now)},
        {"ack_class", AckClass(e.ack)},
        {"ack_due", e.ack == AckStatus::kAcknowledged ? "" : web::Utc(e.ack_deadline)},
        {"overdue", e.ack == AckStatus::kOverdue},
        {"due_soon", e.ack == AckStatus::kDueSoon},
    });
  }
  array states{object{{"value", ""}, {"label", "Any state"}, {"selected", !filter.state}}};
  for (State s : kAllStates) {
    states.push_back(object{
        {"value", StateName(s)}, {"label", web::StateLabel(s)}, {"selected", filter.state == s}});
  }
  array levels{
      object{{"value", ""}, {"label", "Any level"}, {"selected", filter.level < 0}},
      object{{"value", "none"}, {"label", "Unclassified"}, {"selected", filter.level == 0}}};
  for (int l = kMinLevel; l <= kMaxLevel; ++l) {
    levels.push_back(object{{"value", std::to_string(l)},
                            {"label", "Level " + std::to_string(l)},
                            {"selected", filter.level == l}});
  }
  array coordinators{
      object{{"value", ""}, {"label", "Anyone"}, {"selected", filter.coordinator.empty()}},
      object{{"value", "-"}, {"label", "Unassigned"}, {"selected", filter.coordinator == "-"}}};
  if (SeesAllReports(ctx.principal)) {
    for (const Account& a : Coordinators(web)) {
      coordinators.push_back(object{
          {"value", a.email}, {"label", a.email}, {"selected", filter.coordinator == a.email}});
    }
  }
  // The next page: the same filters, from where this one ends.
  std::string next;
  if (!entries->next_cursor.empty()) {
    boost::urls::url u("/dashboard");
    for (const char* key : {"q", "state", "level", "coordinator"}) {
      if (const std::string v = q(key); !v.empty()) u.params().append({key, v});
    }
    u.params().append({"cursor", entries->next_cursor});
    next = std::string(u.buffer());
  }
  object model{{"rows", std::move(rows)},
               {"empty", entries->entries.empty()},
               {"next", next},
               {"first_page", filter.cursor.empty()},
               {"chips", std::move(chips)},
               {"states", std::move(states)},
               {"levels", std::move(levels)},
               {"coordinators", std::move(coordinators)},
               {"q", filter.text},
               {"searching", !filter.text.empty()},
               {"overdue", overdue > 0 ? std::to_string(overdue) : ""},
               {"due_soon", due_soon > 0 ? std::to_string(due_soon) : ""},
               {"ack_days", web.config.ack_working_days},
               {"error", error},
               {"staff", SeesAllReports(ctx.principal)}};
  return web::Page(web, req, ctx, "dashboard", "Reports", std::move(model));
}

// The read-in list: everyone who was given access, by whom and when, and their views.
// MANAGE: the caller may remove participants and replace their links (kManageParticipants).
array ReadInModel(const ReadInList& readin, bool manage) {
  array people;
  for (const ReadIn& p : readin.people) {
    const bool fixed = p.role == "reporter" || p.role == "coordinator";
    people.push_back(
        object{{"who", p.who},
               {"role", p.role},
               {"removable", manage && p.participant && !fixed},
               {"replaceable", manage && p.participant && p.who.find('@') != std::string::npos},
               {"removed", p.removed_at == 0 ? "" : web::Utc(p.removed_at)},
               {"removed_by", p.removed_by},
               {"added", web::Utc(p.added_at)},
               {"added_by", p.added_by},
               {"views", p.views},
               {"first_view", p.views == 0 ? "" : web::Utc(p.first_view)},
               {"last_view", p.views == 0 ? "" : web::Utc(p.last_view)}});
  }
  return people;
}

// The workflow actions staff may take on R now, with the choices their forms offer.
object ActionsModel(WebContext& web, const Report& r) {
  array coordinators;
  for (const Account& a : Coordinators(web)) {
    coordinators.push_back(object{{"email", a.email},
                                  {"label", a.name.empty() ? a.email : a.name + " — " + a.email},
                                  {"selected", a.email == r.coordinator}});
  }
  array levels;
  for (int l = kMinLevel; l <= kMaxLevel; ++l) {
    levels.push_back(object{{"value", l},
                            {"label", std::to_string(l) + " — " + PolicyForLevel(l).meaning},
                            {"selected", l == r.level}});
  }
  return object{
      {"assign", Legal(Command::kAssign, r.state)},
      {"confirm", Legal(Command::kConfirm, r.state)},
      {"reject", Legal(Command::kReject, r.state)},
      {"duplicate", Legal(Command::kDuplicate, r.state)},
      {"classify", Legal(Command::kClassify, r.state)},
      {"publish", Legal(Command::kPublish, r.state) && r.level >= 4},
      {"embargo", UnderEmbargo(r)},
      {"invite", !IsTerminal(r.state)},
      {"coordinators", std::move(coordinators)},
      {"levels", std::move(levels)},
      {"embargo_date", FormatUtc(r.embargo.end).substr(0, 10)},
  };
}

// The audit trail table of report ID in MODEL ("events" and the "trail_*" counts): the whole
// trail when WHOLE_TRAIL, else the newest changes LATEST with the views summed up from READIN.
Status AddTrailModel(WebContext& web, const std::string& id, bool whole_trail,
                     const std::vector<StoredEvent>& latest, const ReadInList& readin,
                     object* model) {
  // Views are summed up in the read-in list; the table shows them only when asked, and the
  // newest kTrailRows events unless the whole trail is asked for.
  array events;
  auto add_event = [&](const StoredEvent& e) {
    events.push_back(object{{"when", FormatUtc(e.time)},
                            {"actor", e.actor},
                            {"kind", e.kind},
                            {"payload", e.payload == "{}" ? "" : e.payload},
                            {"view", e.kind == "report.viewed"}});
  };
  if (whole_trail) {
    Result<std::vector<StoredEvent>> trail = web.workspace.AuditTrail(id);
    if (!trail.ok()) return trail.status();
    int64_t views = 0;
    for (auto it = trail->rbegin(); it != trail->rend(); ++it) {
      views += it->kind == "report.viewed";
      add_event(*it);
    }
    (*model)["trail_views"] = std::to_string(views);
    (*model)["trail_more"] = false;
    (*model)["trail_total"] = std::to_string(trail->size());
  } else {
    const int64_t own = latest.empty() ? 0 : latest.front().seq;
    for (const StoredEvent& e : latest) add_event(e);
    (*model)["trail_views"] = std::to_string(readin.views);
    (*model)["trail_more"] = static_cast<int64_t>(latest.size()) < own || readin.views > 0;
    (*model)["trail_total"] = std::to_string(own + readin.views);
  }
  (*model)["events"] = std::move(events);
  return Status::Ok();
}

// Renders the panel FILL fills (template TMPL) into MODEL[KEY]; nothing when it is left out.
// BASE is the report page's path, for the panel's forms.
void AddPanel(WebContext& web, const ReportPanelInput& input, const std::string& base,
              const ReportPanelFiller& fill, const char* tmpl, const char* key, object* model) {
  object panel_model;
  if (!fill || !fill(input, &panel_model)) return;
  panel_model["csrf"] = input.csrf;
  panel_model["base"] = base;
  (*model)[key] = web.renderer.Render(tmpl, panel_model);
}

// What a report page shows; NOTICE and ERROR come from the action just taken.
HttpResponse ReportPage(WebContext& web, const HttpRequest& req, const RequestContext& ctx,
                        const std::string& notice, const std::string& error, int status) {
  const std::string& id = ctx.params.at("id");
  // The view is written through the group commit while the page reads; it is durable before the
  // page is answered (Wait below), and counted on the read-in list even if the reads missed it.
  Result<web::ReportReads> reads = web::ReadReportForPage(web, ctx.principal, id);
  if (!reads.ok()) return web::ErrorPage(web, req, reads.status());
  const Report* r = &reads->report;
  ViewRecord& view = reads->view;
  const std::vector<ThreadMessage>* thread = &reads->thread;
  const std::vector<Attachment>* files = &reads->files;
  const std::optional<ReporterPrefs>* prefs = &reads->prefs;
  Result<ReadInList> readin = web.workspace.ListReadIn(*r);
  if (!readin.ok()) return web::ErrorPage(web, req, readin.status());
  const bool staff = web.reports.Authorize(ctx.principal, Action::kTriage, id).ok();
  // The whole trail (?trail=all) includes this view, so it is read after the view is written;
  // otherwise the newest changes of the report's own chain are enough.
  const bool whole_trail = ctx.query.count("trail") > 0;
  Result<std::vector<StoredEvent>> latest = std::vector<StoredEvent>{};
  if (staff && !whole_trail) latest = web.workspace.LatestChanges(id, kTrailRows);
  if (!latest.ok()) return web::ErrorPage(web, req, latest.status());
  if (Status viewed = view.Wait(); !viewed.ok()) return web::ErrorPage(web, req, viewed);
  web.workspace.CountView(view, &*readin);
  const std::string base = "/reports/" + id;
  const bool embargoed = UnderEmbargo(*r);

  object model{
      {"id", r->id},
      {"base", base},
      {"subject", r->fields.subject},
      {"state", StateName(r->state)},
      {"state_label", web::StateLabel(r->state)},
      {"level", r->level > 0 ? "Level " + std::to_string(r->level) : "Unclassified"},
      {"level_meaning", r->level > 0 ? PolicyForLevel(r->level).meaning : ""},
      {"coordinator", r->coordinator.empty() ? "Unassigned" : r->coordinator},
      {"received", web::Utc(r->created_at)},
      {"embargoed", embargoed},
      {"embargo_state", EmbargoStateName(r->embargo.state)},
      {"embargo_end", web::Utc(r->embargo.end)},
      {"embargo_cap", web::Utc(r->embargo.start + r->embargo.cap_days * kMicrosPerDay)},
      {"duplicate_of", r->duplicate_of},
      {"reason", r->reason},
      {"fields", web::FieldsModel(web.config.report_form, r->fields)},
      {"report_files", web::ReportFilesModel(*files, base + "/files/")},
      {"messages", web::ThreadModel(*thread, *files, base + "/files/")},
      {"message_count", static_cast<int64_t>(thread->size())},
      {"people",
       ReadInModel(*readin,
                   web.reports.Authorize(ctx.principal, Action::kManageParticipants, id).ok())},
      {"credit", !prefs->has_value() || (*prefs)->anonymous ? std::string("Anonymous")
                 : (*prefs)->credit_name.empty()            ? std::string("Not chosen yet")
                                                            : "Credit as " + (*prefs)->credit_name},
      {"has_key", prefs->has_value() && !(*prefs)->public_key.empty()},
      {"public_key", prefs->has_value() ? (*prefs)->public_key : ""},
      {"staff", staff},
      {"can_post", AcceptsMessages(r->state)},
      {"attachments_allowed", web.config.max_attachments > 0},
      {"notice", notice},
      {"error", error},
  };
  if (staff) {
    model["actions"] = ActionsModel(web, *r);
    if (Status st = AddTrailModel(web, id, whole_trail, *latest, *readin, &model); !st.ok()) {
      return web::ErrorPage(web, req, st);
    }
  }
  // The panels other modules fill (patches; disclosure plan and advisory).
  const std::string csrf = CsrfToken(web::CsrfSecret(req, ctx));
  ReportPanelInput input{*r, ctx.principal, csrf, staff};
  AddPanel(web, input, base, web.panels.patches, "panel_patches", "patches_html", &model);
  AddPanel(web, input, base, web.panels.disclosure, "panel_disclosure", "disclosure_html", &model);
  return web::Page(web, req, ctx, "report", r->id + " — " + r->fields.subject, std::move(model),
                   status);
}

// Registers POST /reports/{id}/<NAME>: checks the form's CSRF token, runs ACT, then shows the
// report again (with ACT's notice, or its error and status).
void AddAction(
    Router& router, WebContext* w, const char* name, Action action,
    std::function<Result<std::string>(WebContext&, const RequestContext&, const Form&)> act) {
  router.Add({"POST", std::string("/reports/{id}/") + name, action,
              [w, act](const HttpRequest& req, const RequestContext& ctx) {
                Result<Form> form = web::CheckedForm(req, ctx);
                if (!form.ok()) return web::ErrorPage(*w, req, form.status());
                Result<std::string> notice = act(*w, ctx, *form);
                if (!notice.ok()) {
                  return ReportPage(*w, req, ctx, "", notice.status().message(),
                                    HttpStatusFor(notice.status().code()));
                }
                // No notice: back to the page by a redirect, so a reload does not repeat it.
                if (notice->empty())
                  return web::Redirect("/reports/" + ctx.params.at("id") + "#thread");
                std::string text = *notice;
                if (size_t at = text.find(kLinkBase); at != std::string::npos) {
                  text.replace(at, std::string_view(kLinkBase).size(),
                               web::AbsoluteUrl(w->config, req, ""));
                }
                return ReportPage(*w, req, ctx, text, "", 200);
              },
              false, kCookie});
}

template <typename T>
Result<std::string> Done(const Result<T>& r, std::string notice) {
  if (!r.ok()) return r.status();
  return notice;
}

}  // namespace

void AddWorkspacePageRoutes(Router& router, WebContext& web) {
  WebContext* w = &web;
  router.Add(
      {"GET", "/dashboard", Action::kList,
       [w](const HttpRequest& req, const RequestContext& ctx) { return Dashboard(*w, req, ctx); },
       false, kCookie});
  router.Add({"GET", "/reports/{id}", Action::kRead,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                return ReportPage(*w, req, ctx, "", "", 200);
              },
              false, kCookie});
  router.Add({"GET", "/reports/{id}/files/{n}", Action::kRead,
              [w](const HttpRequest& req, const RequestContext& ctx) {
                const std::string& n = ctx.params.at("n");
                if (n.empty() || n.size() > 9 || n.find_first_not_of("0123456789") != n.npos) {
                  return web::ErrorPage(*w, req, Status::NotFound("no such attachment"));
                }
                Result<std::optional<Attachment>> a =
                    w->workspace.GetAttachment(ctx.params.at("id"), std::stoll(n));
                if (!a.ok()) return web::ErrorPage(*w, req, a.status());
                if (!a->has_value()) {
                  return web::ErrorPage(*w, req, Status::NotFound("no such attachment"));
                }
                return web::AttachmentResponse(**a);
              },
              false, kCookie});

  AddAction(router, w, "assign", Action::kTriage,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) {
              return Done(
                  wc.reports.Assign(ctx.principal, ctx.params.at("id"), f.Get("coordinator")),
                  "Coordinator assigned.");
            });
  AddAction(router, w, "confirm", Action::kTriage,
            [](WebContext& wc, const RequestContext& ctx, const Form&) {
              return Done(wc.reports.Confirm(ctx.principal, ctx.params.at("id")),
                          "Report confirmed.");
            });
  AddAction(router, w, "reject", Action::kTriage,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) {
              return Done(wc.reports.Reject(ctx.principal, ctx.params.at("id"), f.Get("reason")),
                          "Report rejected.");
            });
  AddAction(router, w, "duplicate", Action::kTriage,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) {
              return Done(wc.reports.MarkDuplicate(ctx.principal, ctx.params.at("id"),
                                                   f.Get("original"), f.Get("reason")),
                          "Marked as a duplicate.");
            });
  AddAction(router, w, "classify", Action::kTriage,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) -> Result<std::string> {
              const std::string l = f.Get("level");
              if (l.size() != 1 || l[0] < '1' || l[0] > '7') {
                return Status::Invalid("choose a level from 1 to 7");
              }
              return Done(wc.reports.Classify(ctx.principal, ctx.params.at("id"), l[0] - '0',
                                              f.Get("reason")),
                          "Classified as level " + l + ".");
            });
  AddAction(router, w, "publish", Action::kTriage,
            [](WebContext& wc, const RequestContext& ctx, const Form&) -> Result<std::string> {
              if (!wc.panels.publish) return Status::Conflict("no public route is configured");
              Result<std::string> url = wc.panels.publish(ctx.principal, ctx.params.at("id"));
              if (!url.ok()) return url.status();
              return "Published as a regular public issue: " + *url;
            });
  AddAction(router, w, "approve", Action::kApprovePatch,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) -> Result<std::string> {
              if (!wc.panels.approve) return Status::Conflict("patch approval is not available");
              const std::string revision = f.Get("revision");
              if (revision.empty() || revision.size() > 32) {
                return Status::Invalid("choose a revision to approve");
              }
              return wc.panels.approve(ctx.principal, ctx.params.at("id"), revision);
            });
  AddAction(router, w, "embargo", Action::kTriage,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) -> Result<std::string> {
              std::string end = f.Get("end_date");
              const std::string time = f.Get("end_time");
              if (!time.empty()) end += "T" + time + "Z";
              Result<Instant> when = ParseUtc(end);
              if (!when.ok()) return when.status();
              return Done(
                  wc.reports.SetEmbargo(ctx.principal, ctx.params.at("id"), *when, f.Get("reason")),
                  "Embargo end set to " + web::Utc(*when) + ".");
            });
  AddAction(router, w, "invite", Action::kTriage,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) -> Result<std::string> {
              std::optional<Role> role = ParseRole(f.Get("role"));
              if (!role || *role == Role::kReporter || *role == Role::kCoordinator) {
                return Status::Invalid("choose maintainer, collaborator or observer");
              }
              Result<Invited> invited = wc.reports.Invite(ctx.principal, ctx.params.at("id"),
                                                          f.Get("email"), f.Get("name"), *role);
              if (!invited.ok()) return invited.status();
              return "Invited " + LowerAscii(f.Get("email")) + " as " + RoleName(*role) +
                     ". Their private link was mailed to them (shown here once; they can also log "
                     "in with an account under this email): " +
                     std::string(kLinkBase) + "/track/" + invited->token;
            });
  AddAction(
      router, w, "release", Action::kTriage,
      [](WebContext& wc, const RequestContext& ctx, const Form& f) -> Result<std::string> {
        const std::string seq = f.Get("seq");
        if (seq.empty() || seq.size() > 9 || seq.find_first_not_of("0123456789") != seq.npos) {
          return Status::Invalid("choose a message to release");
        }
        return Done(wc.reports.ReleaseMessage(ctx.principal, ctx.params.at("id"), std::stoll(seq)),
                    "Message " + seq + " released to everyone on the report.");
      });
  AddAction(router, w, "remove-participant", Action::kManageParticipants,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) {
              const std::string email = LowerAscii(f.Get("email"));
              return Done(wc.reports.RemoveParticipant(ctx.principal, ctx.params.at("id"), email),
                          "Removed " + email + ": their link no longer works.");
            });
  AddAction(router, w, "replace-link", Action::kManageParticipants,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) {
              const std::string email = LowerAscii(f.Get("email"));
              return Done(wc.reports.ReplaceLink(ctx.principal, ctx.params.at("id"), email),
                          "Replaced the link of " + email +
                              ": the old one no longer works; the new one was mailed to them.");
            });
  AddAction(router, w, "message", Action::kPost,
            [](WebContext& wc, const RequestContext& ctx, const Form& f) {
              return Done(wc.workspace.Reply(ctx.principal, ctx.params.at("id"), f.Get("body"),
                                             web::Uploads(f, "attachments")),
                          "");
            });
}

}  // namespace vigil
