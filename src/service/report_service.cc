#include "service/report_service.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstring>
#include <future>

#include "core/level_policy.h"
#include "core/report_id.h"
#include "core/text.h"
#include "service/credentials.h"
#include "service/credit_link.h"
#include "service/report_json.h"

namespace vigil {
namespace {

constexpr int kMaxAttempts = 8;

namespace json = boost::json;

std::string Json(const json::object& o) { return json::serialize(o); }

// True when S is valid UTF-8 without NUL or C0 controls other than tab, LF and CR.
bool IsCleanText(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
      ++i;
      continue;
    }
    const int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
    if (extra == 0 || i + static_cast<size_t>(extra) >= s.size()) return false;
    uint32_t cp = c & (0x3Fu >> extra);
    for (int k = 1; k <= extra; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<size_t>(extra) + 1;
  }
  return true;
}

Status CheckText(const char* what, const std::string& value, size_t max, bool single_line) {
  if (value.size() > max) {
    return Status::TooLarge(std::string(what) + " is longer than " + std::to_string(max) +
                            " bytes");
  }
  if (!IsCleanText(value) || (single_line && value.find_first_of("\r\n") != std::string::npos)) {
    return Status::Invalid(std::string(what) + " must be UTF-8 text without control characters" +
                           (single_line ? " or line breaks" : ""));
  }
  return Status::Ok();
}

// The account whose API tokens ACTOR may manage, or "" when ACTOR may manage every account's (an
// admin or the CLI: MayManageTokensOf holds even for an owner no account has, the empty email).
// Callers still check each token: for a capability this names the participant, no account.
std::string TokenScope(const Principal& actor) {
  return MayManageTokensOf(actor, "") ? "" : actor.email;
}

}  // namespace

ReportService::ReportService(Store& store, const Clock& clock, Config config,
                             const TotpSecretBox* link_box)
    : store_(store), clock_(clock), config_(std::move(config)), link_box_(link_box) {
  InitCrypto();
}

Result<Principal> ReportService::Authenticate(std::string_view bearer, CredentialSource source) {
  Principal p;
  if (bearer.empty()) return p;
  const Status invalid = Status::Unauthenticated("invalid credentials");
  if (source == CredentialSource::kPath && bearer.starts_with(kCreditLinkPrefix)) {
    std::optional<CreditLink> link;
    if (link_box_) link = ReadCreditLinkToken(*link_box_, bearer);
    if (!link) return invalid;
    if (clock_.Now() >= link->expires) {
      return Status::Denied("this credit link expired on " + FormatUtc(link->expires) +
                            "; ask the security team of " + config_.project_name +
                            " for a new one");
    }
    p.kind = Principal::Kind::kCreditLink;
    p.report_id = link->report_id;
    p.email = link->email;
    return p;
  }
  if (bearer.size() > 128) return invalid;
  const std::string hash = TokenHash(bearer);
  if (source == CredentialSource::kCookie) {
    if (!bearer.starts_with(kSessionPrefix)) return invalid;
    Result<std::optional<WebSession>> session = store_.FindSession(hash);
    VIGIL_RETURN_IF_ERROR(session.status());
    if (!session->has_value() || !SecretEquals((*session)->hash, hash)) return invalid;
    if ((*session)->revoked_at != 0 || (*session)->expires_at <= clock_.Now()) return invalid;
    return ActiveAccount((*session)->account_email);
  }
  if (source == CredentialSource::kPath && !bearer.starts_with(kCapabilityPrefix)) return invalid;
  if (bearer.starts_with(kCapabilityPrefix)) {
    Result<std::optional<CapabilityGrant>> grant = store_.FindCapability(hash);
    VIGIL_RETURN_IF_ERROR(grant.status());
    if (!grant->has_value()) return invalid;
    if (IsTerminal((*grant)->state)) {
      // Reports closed before closing times were kept have their last change as the bound.
      const Instant closed = (*grant)->closed_at != 0 ? (*grant)->closed_at : (*grant)->updated_at;
      const Instant expires = closed + config_.capability_days_after_close * kMicrosPerDay;
      if (clock_.Now() >= expires) {
        return Status::Denied("this link expired on " + FormatUtc(expires) + ": report " +
                              (*grant)->report_id + " is closed");
      }
    }
    p.kind = Principal::Kind::kCapability;
    p.report_id = (*grant)->report_id;
    p.email = (*grant)->email;
    return p;
  }
  if (!bearer.starts_with(kApiTokenPrefix)) return invalid;
  Result<std::optional<ApiToken>> token = store_.FindApiToken(hash);
  VIGIL_RETURN_IF_ERROR(token.status());
  if (!token->has_value() || !SecretEquals((*token)->hash, hash)) return invalid;
  const ApiToken& t = **token;
  const Instant now = clock_.Now();
  if (t.revoked_at != 0 || (t.expires_at != 0 && t.expires_at <= now)) return invalid;
  return ActiveAccount(t.account_email);
}

Result<Principal> ReportService::ActiveAccount(const std::string& email) {
  Result<std::optional<Account>> account = store_.FindAccount(email);
  VIGIL_RETURN_IF_ERROR(account.status());
  if (!account->has_value() || (*account)->disabled) {
    return Status::Unauthenticated("invalid credentials");
  }
  Principal p;
  p.kind = Principal::Kind::kAccount;
  p.email = (*account)->email;
  p.account_role = (*account)->role;
  return p;
}

Status ReportService::Authorize(const Principal& principal, Action action,
                                const std::string& report_id) {
  ReportRelation relation;
  if (IsReportScoped(action) && principal.kind != Principal::Kind::kAnonymous) {
    if (!IsWellFormedReportId(report_id)) {
      return Status::NotFound("report " + report_id.substr(0, 64) + " not found");
    }
    Result<Report> r = store_.GetReport(report_id);
    if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
    relation.exists = r.ok();
    if (r.ok()) {
      if (principal.kind == Principal::Kind::kCapability) {
        if (principal.report_id == report_id) {
          if (const Participant* p = r->FindParticipant(principal.email)) relation.role = p->role;
        }
      } else if (principal.kind == Principal::Kind::kAccount) {
        if (const Participant* p = r->FindParticipant(principal.email)) relation.role = p->role;
      }
    }
  }
  return vigil::Authorize(principal, action, report_id, relation);
}

OutboxMail ReportService::Notice(const Report& r, const std::string& recipient,
                                 const std::string& kind, const std::string& subject,
                                 const std::string& text) const {
  OutboxMail m;
  m.report_id = r.id;
  m.recipient = recipient;
  m.kind = kind;
  m.subject = "[" + r.id + "] " + subject;
  // Every mail about an embargoed report starts with the reminder and the end in UTC.
  const bool embargoed = UnderEmbargo(r);
  m.body = (embargoed ? EmbargoReminder(r) + "\n\n" : std::string()) + text;
  m.created_at = clock_.Now();
  return m;
}

std::string ReportService::TrackingUrl(const std::string& token) const {
  return config_.public_url + "/track/" + token;
}

std::string ReportService::QueuedTrackingUrl(const std::string& report_id,
                                             const std::string& recipient,
                                             const std::string& token) const {
  return TrackingUrl(link_box_ ? SealLink(*link_box_, report_id, recipient, token) : token);
}

void ReportService::AddLinkToWelcome(const std::string& email, const std::string& token,
                                     WriteBatch* batch) const {
  for (OutboxMail& m : batch->outbox) {
    if (m.recipient != email || m.kind != "embargo-reminder") continue;
    // Like a replaced link, it goes only to its holder (never into a log or an event), and
    // waits in the outbox sealed.
    m.body +=
        "\n\nYour private link to the report, to read it and reply (keep it secret: anyone "
        "with it can do the same):\n\n" +
        QueuedTrackingUrl(m.report_id, m.recipient, token) + "\n";
  }
}

void ReportService::QueueReminders(const Report* before, const Report& after,
                                   WriteBatch* batch) const {
  for (const Participant& p : after.participants) {
    if (p.email.empty() || (before && before->FindParticipant(p.email))) continue;
    const bool reporter = p.role == Role::kReporter;
    batch->outbox.push_back(
        Notice(after, p.email, "embargo-reminder",
               reporter ? "Report received" : "You were added as " + std::string(RoleName(p.role)),
               reporter ? "Thank you: " + config_.project_name + " received your report as " +
                              after.id + ". A maintainer will coordinate it with you."
                        : "You were added to the private report " + after.id + " of " +
                              config_.project_name + " as " + RoleName(p.role) + "."));
  }
}

Result<Submitted> ReportService::Submit(const Principal& actor, SubmitRequest req) {
  std::promise<Result<Submitted>> promise;
  std::future<Result<Submitted>> done = promise.get_future();
  SubmitThen(actor, std::move(req),
             [&promise](Result<Submitted> r) { promise.set_value(std::move(r)); });
  return done.get();
}

void ReportService::SubmitThen(const Principal& actor, SubmitRequest req, SubmitCallback done) {
  TemplateFields& f = req.fields;
  f.subject = std::string(Trim(f.subject));
  if (f.subject.empty()) return done(Status::Invalid("subject is required"));
  if (Trim(f.steps).empty()) return done(Status::Invalid("steps is required"));
  if (Status st = CheckText("subject", f.subject, kMaxSubjectBytes, true); !st.ok()) {
    return done(st);
  }
  const std::pair<const char*, const std::string*> long_fields[] = {
      {"steps", &f.steps},
      {"effects_cluster", &f.effects_cluster},
      {"effects_applications", &f.effects_applications},
      {"effects_infrastructure", &f.effects_infrastructure},
      {"workflows", &f.workflows},
      {"attack_vectors", &f.attack_vectors},
      {"other_software", &f.other_software},
  };
  for (auto [name, value] : long_fields) {
    if (Status st = CheckText(name, *value, kMaxFieldBytes, false); !st.ok()) return done(st);
  }
  for (const FormField& field : config_.report_form.fields) {
    if (req.free_text || !field.required || field.key == "subject" || field.key == "steps") {
      continue;
    }
    if (Trim(*FieldText(f, field.key)).empty()) {
      return done(Status::Invalid(field.label + " (" + field.key + ") is required"));
    }
  }
  req.reporter_email = LowerAscii(Trim(req.reporter_email));
  if (!req.reporter_email.empty() && !IsPlausibleEmail(req.reporter_email)) {
    return done(Status::Invalid("reporter email \"" + req.reporter_email.substr(0, 254) +
                                "\" is not an email address"));
  }
  if (Status st = CheckText("reporter name", req.reporter_name, 256, true); !st.ok()) {
    return done(st);
  }

  const Instant now = clock_.Now();
  Report r;
  r.fields = f;
  r.created_at = r.updated_at = now;
  r.embargo.start = now;
  r.embargo.cap_days = config_.embargo_cap_days;
  r.embargo.end = now + config_.embargo_cap_days * kMicrosPerDay;
  Participant reporter;
  reporter.email = req.reporter_email;
  reporter.name = req.reporter_name;
  reporter.role = Role::kReporter;
  reporter.added_at = now;
  reporter.added_by = actor.AuditName();
  std::string token = NewToken(kCapabilityPrefix);
  reporter.token_hash = TokenHash(token);
  r.participants.push_back(reporter);

  WriteBatch b;
  b.id_prefix = config_.id_prefix;
  json::object payload = FieldsJson(f);
  payload["reporter_email"] = req.reporter_email;
  payload["reporter_name"] = req.reporter_name;
  payload["embargo_end"] = FormatUtc(r.embargo.end);
  b.events.push_back({"", now, actor.AuditName(), "report.submitted", Json(payload)});
  b.report = std::move(r);
  // Round-robin: the store hands out the turn inside the write, so concurrent submissions take
  // consecutive turns without a retry.
  const bool round_robin = config_.round_robin && !config_.maintainers.empty();
  if (round_robin) b.turn_counter = "round_robin";
  b.on_id_allocated = [this, now, round_robin, token, email = req.reporter_email,
                       extend = std::move(req.extend)](WriteBatch& batch) {
    if (round_robin) {
      CommandArgs args;
      args.coordinator =
          config_.maintainers[static_cast<size_t>(batch.turn) % config_.maintainers.size()];
      // Config checks every maintainer is an email address, and a new report has no
      // coordinator: assigning one cannot be refused.
      Result<Report> assigned = ApplyCommand(*batch.report, Command::kAssign, args, now);
      if (assigned.ok()) {
        batch.report = std::move(assigned).value();
        batch.events.push_back(
            {"", now, "system", "report.assigned",
             Json({{"coordinator", batch.report->coordinator}, {"auto", true}})});
      }
    }
    QueueReminders(nullptr, *batch.report, &batch);
    AddLinkToWelcome(email, token, &batch);
    if (extend) extend(batch);
  };
  store_.WriteThen(std::move(b), [done = std::move(done),
                                  token = std::move(token)](Result<WriteResult> w) mutable {
    if (!w.ok()) return done(w.status());
    done(Submitted{w->report_id, std::move(token)});
  });
}

Result<Report> ReportService::Show(const std::string& id) { return store_.GetReport(id); }

std::string EncodeReportCursor(const ReportCursor& c) {
  const std::string plain = std::to_string(c.created_at) + "/" + c.id;
  std::string out(sodium_base64_ENCODED_LEN(plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                    plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<ReportCursor> DecodeReportCursor(std::string_view text) {
  const Status invalid =
      Status::Invalid("the cursor is not valid: pass the next_cursor of the previous page as is");
  if (text.empty() || text.size() > 128) return invalid;
  std::string plain(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(plain.data()), plain.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return invalid;
  }
  plain.resize(len);
  const size_t slash = plain.find('/');
  if (slash == std::string::npos || slash == 0 || slash > 19) return invalid;
  ReportCursor c;
  for (size_t i = 0; i < slash; ++i) {
    if (plain[i] < '0' || plain[i] > '9') return invalid;
    c.created_at = c.created_at * 10 + (plain[i] - '0');
  }
  c.id = plain.substr(slash + 1);
  if (!IsWellFormedReportId(c.id)) return invalid;
  return c;
}

Result<ReportListPage> ReportService::ListPage(const Principal& viewer, const ReportQuery& query) {
  if (query.limit < 1 || query.limit > kMaxPageSize) {
    return Status::Invalid("limit must be 1 to " + std::to_string(kMaxPageSize));
  }
  if (query.text.size() > kMaxSearchBytes) {
    return Status::Invalid("the search is longer than " + std::to_string(kMaxSearchBytes) +
                           " bytes");
  }
  ReportFilter f;
  f.state = query.state;
  f.level = query.level;
  f.coordinator = query.coordinator;
  f.updated_since = query.updated_since;
  if (!query.cursor.empty()) {
    Result<ReportCursor> c = DecodeReportCursor(query.cursor);
    VIGIL_RETURN_IF_ERROR(c.status());
    f.after = *c;
  }
  // One more than the page: whether there is a next page, without counting.
  f.limit = query.limit + 1;
  f.best_first = false;
  if (viewer.kind == Principal::Kind::kCapability) {
    f.report_id = viewer.report_id;
  } else if (!SeesAllReports(viewer)) {
    f.participant_email = viewer.email;
  }
  const bool blank = std::all_of(query.text.begin(), query.text.end(),
                                 [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  Result<std::vector<ReportSummary>> found =
      blank ? store_.ListReports(f) : store_.SearchReports(query.text, f);
  VIGIL_RETURN_IF_ERROR(found.status());
  ReportListPage page;
  page.reports = std::move(found).value();
  if (page.reports.size() > static_cast<size_t>(query.limit)) {
    page.reports.resize(static_cast<size_t>(query.limit));
    page.next_cursor = EncodeReportCursor({page.reports.back().created_at, page.reports.back().id});
  }
  return page;
}

Result<std::vector<ReportSummary>> ReportService::List(const Principal& viewer,
                                                       std::optional<State> state, int limit) {
  ReportFilter f;
  f.state = state;
  f.limit = limit;
  if (viewer.kind == Principal::Kind::kCapability) {
    f.report_id = viewer.report_id;
  } else if (!SeesAllReports(viewer)) {
    f.participant_email = viewer.email;
  }
  return store_.ListReports(f);
}

Result<std::vector<ThreadMessage>> ReportService::Thread(const Principal& viewer,
                                                         const std::string& id) {
  Result<std::vector<ThreadMessage>> thread = store_.Thread(id);
  VIGIL_RETURN_IF_ERROR(thread.status());
  const bool held_visible = std::none_of(thread->begin(), thread->end(), IsHeld) ||
                            Authorize(viewer, Action::kTriage, id).ok();
  if (!held_visible) std::erase_if(*thread, IsHeld);
  return thread;
}

Result<std::vector<StoredEvent>> ReportService::AuditTrail(const std::string& id) {
  return store_.Events(id);
}

Result<Report> ReportService::RunCommand(const Principal& actor, const std::string& id,
                                         const std::string& kind, Command command,
                                         const CommandArgs& args,
                                         const std::function<std::string(const Report&)>& payload) {
  return Change(
      actor, id, kind,
      [&](const Report& r) { return ApplyCommand(r, command, args, clock_.Now()); }, payload);
}

Result<Report> ReportService::Change(
    const Principal& actor, const std::string& id, const std::string& kind, const Mutation& mutate,
    const std::function<std::string(const Report&)>& payload,
    const std::function<void(const Report&, WriteBatch&)>& extend) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<Report> before = store_.GetReport(id);
    VIGIL_RETURN_IF_ERROR(before.status());
    Result<Report> after = mutate(*before);
    VIGIL_RETURN_IF_ERROR(after.status());
    WriteBatch b;
    b.report = *after;
    b.expected_version = before->version;
    b.events.push_back({id, clock_.Now(), actor.AuditName(), kind, payload(*after)});
    QueueReminders(&*before, *after, &b);
    if (extend) extend(*after, b);
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

Result<Report> ReportService::Assign(const Principal& actor, const std::string& id,
                                     std::string coordinator) {
  std::optional<CounterUpdate> turn_update;
  coordinator = LowerAscii(Trim(coordinator));
  if (coordinator.empty()) {
    if (config_.maintainers.empty()) {
      return Status::Invalid("no coordinator given and no maintainers configured for rotation");
    }
    Result<int64_t> turn = store_.Counter("round_robin");
    VIGIL_RETURN_IF_ERROR(turn.status());
    coordinator = config_.maintainers[*turn % config_.maintainers.size()];
  }
  Result<std::optional<Account>> account = store_.FindAccount(coordinator);
  VIGIL_RETURN_IF_ERROR(account.status());
  if (!account->has_value() || !MayCoordinate((*account)->role, (*account)->disabled)) {
    return Status::Invalid(coordinator.substr(0, 254) +
                           " is not an active maintainer account and cannot coordinate");
  }
  CommandArgs args;
  args.coordinator = coordinator;
  return RunCommand(actor, id, "report.assigned", Command::kAssign, args, [&](const Report& r) {
    return Json({{"coordinator", r.coordinator}});
  });
}

Result<Report> ReportService::Confirm(const Principal& actor, const std::string& id) {
  return RunCommand(actor, id, "report.confirmed", Command::kConfirm, CommandArgs{},
                    [](const Report&) { return std::string("{}"); });
}

Result<Report> ReportService::Reject(const Principal& actor, const std::string& id,
                                     std::string reason) {
  return CloseWithReason(actor, id, "report.rejected", Command::kReject, reason);
}

Result<Report> ReportService::CloseWithReason(const Principal& actor, const std::string& id,
                                              const std::string& kind, Command command,
                                              std::string_view reason) {
  CommandArgs args;
  args.reason = std::string(Trim(reason));
  VIGIL_RETURN_IF_ERROR(CheckText("reason", args.reason, 4096, false));
  return DecideAndTell(actor, id, kind, command, args, [&](const Report& r) {
    return json::object{{"reason", r.reason}};
  });
}

Result<Report> ReportService::MarkDuplicate(const Principal& actor, const std::string& id,
                                            const std::string& original, std::string reason) {
  if (!original.empty() && original != id) {
    if (!IsWellFormedReportId(original) || !store_.GetReport(original).ok()) {
      return Status::Invalid("original report " + original.substr(0, 64) + " does not exist");
    }
  }
  reason = std::string(Trim(reason));
  VIGIL_RETURN_IF_ERROR(CheckText("reason", reason, 4096, false));
  CommandArgs args;
  args.duplicate_of = original;
  return DecideAndTell(actor, id, "report.duplicate", Command::kDuplicate, args,
                       [&](const Report& r) {
                         return json::object{{"duplicate_of", r.duplicate_of}, {"reason", reason}};
                       });
}

Result<Report> ReportService::Classify(const Principal& actor, const std::string& id, int level,
                                       std::string reason) {
  reason = std::string(Trim(reason));
  VIGIL_RETURN_IF_ERROR(CheckText("reason", reason, 4096, false));
  CommandArgs args;
  args.level = level;
  return DecideAndTell(actor, id, "report.classified", Command::kClassify, args,
                       [&](const Report& r) {
                         return json::object{{"level", r.level},
                                             {"route", RouteName(PolicyForLevel(r.level).route)},
                                             {"state", StateName(r.state)},
                                             {"reason", reason}};
                       });
}

Result<Report> ReportService::DecideAndTell(
    const Principal& actor, const std::string& id, const std::string& kind, Command command,
    const CommandArgs& args, const std::function<json::object(const Report&)>& payload) {
  return Change(
      actor, id, kind,
      [&](const Report& r) { return ApplyCommand(r, command, args, clock_.Now()); },
      [&](const Report& r) { return Json(payload(r)); },
      [&](const Report& r, WriteBatch& b) {
        StoredEvent e;
        e.chain = id;
        e.time = clock_.Now();
        e.kind = kind;
        e.payload = Json(payload(r));
        if (std::optional<Decision> d = DecisionOf(e)) QueueDecisionMail(actor, r, *d, &b);
      });
}

std::optional<Decision> DecisionOf(const StoredEvent& e) {
  static const char* const kKinds[] = {"report.rejected", "report.duplicate", "report.classified",
                                       "report.withdrawn"};
  if (std::find(std::begin(kKinds), std::end(kKinds), e.kind) == std::end(kKinds)) {
    return std::nullopt;
  }
  std::error_code ec;
  const json::value v = json::parse(e.payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  auto text = [&](const char* key) -> std::string {
    const json::value* f = o.if_contains(key);
    return f && f->is_string() ? std::string(f->as_string()) : "";
  };
  Decision d;
  d.time = e.time;
  d.kind = e.kind;
  d.reason = text("reason");
  if (e.kind == "report.rejected") {
    d.summary = "Rejected: not treated as a vulnerability.";
  } else if (e.kind == "report.withdrawn") {
    d.summary = "Withdrawn.";
  } else if (e.kind == "report.duplicate") {
    // Not which one: the other report may be under embargo, and its reporter's alone.
    d.summary = "Closed as a duplicate of another report, which covers the same problem.";
  } else {
    const json::value* level = o.if_contains("level");
    if (!level || !level->is_int64() || level->as_int64() < kMinLevel ||
        level->as_int64() > kMaxLevel) {
      return std::nullopt;
    }
    const LevelPolicy& p = PolicyForLevel(static_cast<int>(level->as_int64()));
    d.summary = "Classified at level " + std::to_string(p.level) + " (" + p.meaning + "): ";
    switch (p.route) {
      case Route::kEmbargoed:
        d.summary += "it is fixed privately, under embargo, then disclosed.";
        break;
      case Route::kPublic:
        d.summary += "it is handled in public, as a regular issue, once its text is reviewed.";
        break;
      case Route::kClosed:
        d.summary += "the report is closed.";
        break;
    }
  }
  return d;
}

Result<std::vector<Decision>> ReportService::Decisions(const std::string& id) {
  Result<std::vector<StoredEvent>> events = store_.Events(id);
  VIGIL_RETURN_IF_ERROR(events.status());
  std::vector<Decision> out;
  for (const StoredEvent& e : *events) {
    if (std::optional<Decision> d = DecisionOf(e)) out.push_back(std::move(*d));
  }
  return out;
}

void ReportService::QueueDecisionMail(const Principal& actor, const Report& r, const Decision& d,
                                      WriteBatch* b) const {
  for (const Participant& p : r.participants) {
    // Not to the reporter about what they did themselves (withdrawing).
    if (p.role != Role::kReporter || p.email.empty() || p.bouncing || p.email == actor.email) {
      continue;
    }
    std::string text = "The coordinator of " + r.id + " decided: " + d.summary + "\n";
    if (!d.reason.empty()) text += "\nTheir reason:\n\n" + d.reason + "\n";
    text += "\nYour tracking page shows every decision on your report.";
    b->outbox.push_back(Notice(r, p.email, "decision", "Decision on your report", text));
  }
}

Result<Report> ReportService::Withdraw(const Principal& actor, const std::string& id,
                                       std::string reason) {
  return CloseWithReason(actor, id, "report.withdrawn", Command::kWithdraw, reason);
}

Result<Report> ReportService::SetEmbargo(const Principal& actor, const std::string& id, Instant end,
                                         std::string reason) {
  reason = std::string(Trim(reason));
  VIGIL_RETURN_IF_ERROR(CheckText("reason", reason, 4096, false));
  return Change(
      actor, id, "embargo.set",
      [&](const Report& r) { return SetEmbargoEnd(r, end, reason, clock_.Now()); },
      [&](const Report& r) {
        return Json({{"end", FormatUtc(r.embargo.end)}, {"reason", r.embargo.reason}});
      });
}

Result<Report> ReportService::BreakEmbargo(const Principal& actor, const std::string& id,
                                           std::string reason) {
  reason = std::string(Trim(reason));
  VIGIL_RETURN_IF_ERROR(CheckText("reason", reason, 4096, false));
  return Change(
      actor, id, "embargo.broken",
      [&](const Report& r) { return vigil::BreakEmbargo(r, reason, clock_.Now()); },
      [&](const Report& r) {
        return Json({{"reason", r.embargo.reason}});
      });
}

Result<Invited> ReportService::Invite(const Principal& actor, const std::string& id,
                                      std::string email, std::string name, Role role) {
  VIGIL_RETURN_IF_ERROR(CheckText("name", name, 256, true));
  Invited out;
  out.token = NewToken(kCapabilityPrefix);
  Participant p;
  p.email = LowerAscii(Trim(email));
  p.name = std::string(Trim(name));
  p.role = role;
  p.added_by = actor.AuditName();
  p.token_hash = TokenHash(out.token);
  Result<Report> r = Change(
      actor, id, "participant.added",
      [&](const Report& before) {
        Participant added = p;
        added.added_at = clock_.Now();
        return AddParticipant(before, added);
      },
      [&](const Report&) {
        return Json({{"email", p.email}, {"name", p.name}, {"role", RoleName(p.role)}});
      },
      [&](const Report&, WriteBatch& b) { AddLinkToWelcome(p.email, out.token, &b); });
  VIGIL_RETURN_IF_ERROR(r.status());
  out.report = *r;
  return out;
}

Result<Report> ReportService::RemoveParticipant(const Principal& actor, const std::string& id,
                                                const std::string& email) {
  const std::string key = LowerAscii(Trim(email));
  return Change(
      actor, id, "participant.removed",
      [&](const Report& before) {
        return vigil::RemoveParticipant(before, key, actor.AuditName(), clock_.Now());
      },
      [&](const Report& after) {
        return Json({{"email", key}, {"role", RoleName(after.removed_participants.back().role)}});
      });
}

Result<Report> ReportService::ClearBouncing(const Principal& actor, const std::string& id,
                                            const std::string& email) {
  const std::string key = LowerAscii(Trim(email));
  return Change(
      actor, id, "participant.bouncing-cleared",
      [&](const Report& before) { return vigil::ClearBouncing(before, key, clock_.Now()); },
      [&](const Report&) {
        return Json({{"email", key}, {"by", "coordinator"}});
      });
}

Result<Report> ReportService::ReplaceLink(const Principal& actor, const std::string& id,
                                          const std::string& email) {
  const std::string key = LowerAscii(Trim(email));
  const std::string token = NewToken(kCapabilityPrefix);
  const std::string hash = TokenHash(token);
  return Change(
      actor, id, "participant.link_replaced",
      [&](const Report& before) { return ReplaceCapability(before, key, hash, clock_.Now()); },
      [&](const Report&) {
        return Json({{"email", key}, {"token_hash", hash}});
      },
      [&](const Report& after, WriteBatch& b) {
        // The new link goes only to its holder, like the first one; never into a log.
        b.outbox.push_back(
            Notice(after, key, "link-replaced", "Your private link was replaced",
                   "The coordinator of " + after.id +
                       " replaced your private link to the report. The "
                       "old link no longer works. Your new link (keep it private):\n\n" +
                       QueuedTrackingUrl(after.id, key, token) + "\n"));
      });
}

Result<ThreadMessage> ReportService::AppendMessage(
    const std::string& id, std::string body,
    const std::function<void(const Report&, ThreadMessage&, WriteBatch&)>& build,
    const std::function<void(WriteBatch&)>& extend) {
  if (Trim(body).empty()) return Status::Invalid("message body is required");
  VIGIL_RETURN_IF_ERROR(CheckText("message body", body, kMaxMessageBytes, false));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<Report> r = store_.GetReport(id);
    VIGIL_RETURN_IF_ERROR(r.status());
    if (!AcceptsMessages(r->state)) {
      return Status::Conflict("cannot post to " + id + ": it is " + StateName(r->state));
    }
    const Instant now = clock_.Now();
    ThreadMessage m;
    m.report_id = id;
    m.body = body;
    m.created_at = now;
    WriteBatch b;
    b.report = *r;
    b.report->updated_at = now;
    b.expected_version = r->version;
    build(*r, m, b);
    b.messages.push_back(m);
    if (extend) extend(b);
    Result<WriteResult> w = store_.Write(std::move(b));
    if (w.ok()) {
      for (const ThreadMessage& t : *store_.Thread(id)) {
        if (t.created_at == now && t.body == body && t.author_email == m.author_email) {
          m.seq = t.seq;
        }
      }
      return m;
    }
    if (w.status().code() != Code::kAborted) return w.status();
  }
  return Status::Unavailable("too much contention on " + id + "; try again");
}

Result<ThreadMessage> ReportService::PostMessage(const Principal& actor, const std::string& id,
                                                 std::string body,
                                                 const std::function<void(WriteBatch&)>& extend) {
  auto build = [&](const Report& r, ThreadMessage& m, WriteBatch& b) {
    m.author_email = actor.email;
    if (actor.kind == Principal::Kind::kLocal) {
      // The CLI acting as an account (--as, [project] operator) that is on the report: its name.
      const Participant* p = r.FindParticipant(actor.email);
      m.author_name = p ? p->name : "";
      m.author_role = "maintainer";
    } else {
      const Participant* p = r.FindParticipant(actor.email);
      m.author_name = p ? p->name : "";
      m.author_role = p ? RoleName(p->role) : AccountRoleName(actor.account_role);
    }
    b.events.push_back(
        {id, m.created_at, actor.AuditName(), "message.posted",
         Json({{"author", m.author_email}, {"role", m.author_role}, {"body", m.body}})});
    for (const Participant& p : r.participants) {
      if (p.email.empty() || p.email == m.author_email || p.bouncing) continue;
      b.outbox.push_back(
          Notice(r, p.email, "message", "New message",
                 (m.author_name.empty() ? m.author_role : m.author_name) + " wrote:\n\n" + m.body));
    }
  };
  return AppendMessage(id, std::move(body), build, extend);
}

Result<ThreadMessage> ReportService::HoldMessage(const std::string& from_email,
                                                 const std::string& from_name,
                                                 const std::string& id, std::string body,
                                                 const std::string& why,
                                                 const std::function<void(WriteBatch&)>& extend) {
  auto build = [&](const Report&, ThreadMessage& m, WriteBatch& b) {
    m.author_email = from_email;
    m.author_name = from_name;
    m.author_role = kHeldRole;
    // Relayed to nobody: no outbox rows.
    b.events.push_back({id, m.created_at, "unverified:" + from_email, "message.held",
                        Json({{"author", from_email}, {"why", why}, {"body", m.body}})});
  };
  return AppendMessage(id, std::move(body), build, extend);
}

Result<ThreadMessage> ReportService::ReleaseMessage(const Principal& actor, const std::string& id,
                                                    int64_t seq) {
  Result<std::vector<ThreadMessage>> thread = store_.Thread(id);
  VIGIL_RETURN_IF_ERROR(thread.status());
  const std::string name = "message " + std::to_string(seq) + " of " + id;
  auto held = std::find_if(thread->begin(), thread->end(),
                           [&](const ThreadMessage& m) { return m.seq == seq; });
  if (held == thread->end()) return Status::NotFound(name + " not found");
  if (!IsHeld(*held)) {
    return Status::Conflict(name + " is not held: only mail from an unverified sender is released");
  }
  Result<std::vector<StoredEvent>> events = store_.Events(id);
  VIGIL_RETURN_IF_ERROR(events.status());
  for (const StoredEvent& e : *events) {
    if (e.kind != "message.released") continue;
    boost::system::error_code ec;
    const json::value v = json::parse(e.payload, ec);
    if (v.is_object() && v.as_object().contains("seq") && v.at("seq").is_int64() &&
        v.at("seq").as_int64() == seq) {
      return Status::Conflict(name + " is already released");
    }
  }
  const std::string body = "Released by " + actor.email + " from an unverified sender, " +
                           held->author_email + ":\n\n" + held->body;
  return PostMessage(actor, id, std::string(Utf8Prefix(body, kMaxMessageBytes)),
                     [&](WriteBatch& b) {
                       b.events.push_back({id, clock_.Now(), actor.AuditName(), "message.released",
                                           Json({{"seq", seq}, {"author", held->author_email}})});
                     });
}

Status ReportService::AddAccount(const Principal& actor, std::string email, std::string name,
                                 AccountRole role, std::string_view password) {
  email = LowerAscii(Trim(email));
  if (!IsPlausibleEmail(email)) {
    return Status::Invalid("\"" + email.substr(0, 254) + "\" is not an email address");
  }
  VIGIL_RETURN_IF_ERROR(CheckText("name", name, 256, true));
  Result<std::optional<Account>> existing = store_.FindAccount(email);
  VIGIL_RETURN_IF_ERROR(existing.status());
  if (existing->has_value()) return Status::Conflict("account " + email + " already exists");
  Account a;
  a.email = email;
  a.name = std::string(Trim(name));
  a.role = role;
  a.created_at = clock_.Now();
  if (!password.empty()) {
    Result<std::string> hash = HashPassword(password);
    VIGIL_RETURN_IF_ERROR(hash.status());
    a.password_hash = *hash;
  }
  WriteBatch b;
  b.accounts.push_back(a);
  b.events.push_back(
      {kSystemChain, a.created_at, actor.AuditName(), "account.added",
       Json({{"email", a.email}, {"name", a.name}, {"role", AccountRoleName(a.role)}})});
  return store_.Write(std::move(b)).status();
}

Status ReportService::SetAccountDisabled(const Principal& actor, const std::string& email,
                                         bool disabled) {
  if (actor.kind == Principal::Kind::kAccount && LowerAscii(email) == actor.email) {
    return Status::Conflict("you cannot disable your own account");
  }
  Result<std::optional<Account>> existing = store_.FindAccount(LowerAscii(email));
  VIGIL_RETURN_IF_ERROR(existing.status());
  if (!existing->has_value()) return Status::NotFound("account " + email + " not found");
  Account a = **existing;
  a.disabled = disabled;
  WriteBatch b;
  b.accounts.push_back(a);
  b.events.push_back({kSystemChain, clock_.Now(), actor.AuditName(),
                      disabled ? "account.disabled" : "account.enabled",
                      Json({{"email", a.email}})});
  return store_.Write(std::move(b)).status();
}

Result<std::vector<Account>> ReportService::ListAccounts() { return store_.ListAccounts(); }

Result<std::vector<Account>> ReportService::Coordinators() {
  Result<std::vector<Account>> all = store_.ListAccounts();
  VIGIL_RETURN_IF_ERROR(all.status());
  std::vector<Account> out;
  for (const Account& a : *all) {
    if (MayCoordinate(a.role, a.disabled)) out.push_back(a);
  }
  return out;
}

Result<std::map<State, int64_t>> ReportService::CountByState() {
  return store_.CountReportsByState();
}

Result<int64_t> ReportService::PendingMailCount() { return store_.PendingOutbox(); }

Result<std::string> ReportService::CreateApiToken(const Principal& actor, const std::string& email,
                                                  std::string label, std::optional<int> ttl) {
  const int ttl_days = ttl.value_or(config_.api_token_days);
  Result<std::optional<Account>> existing = store_.FindAccount(LowerAscii(email));
  VIGIL_RETURN_IF_ERROR(existing.status());
  if (!existing->has_value()) return Status::NotFound("account " + email + " not found");
  if (ttl_days < 0 || ttl_days > 3650) return Status::Invalid("expiry must be 0 to 3650 days");
  VIGIL_RETURN_IF_ERROR(CheckText("label", label, 128, true));
  const std::string token = NewToken(kApiTokenPrefix);
  ApiToken t;
  t.hash = TokenHash(token);
  t.account_email = (*existing)->email;
  t.label = label;
  t.created_at = clock_.Now();
  t.expires_at = ttl_days ? t.created_at + ttl_days * kMicrosPerDay : 0;
  WriteBatch b;
  b.tokens.push_back(t);
  // The event names the token by a prefix of its hash, never by the token.
  b.events.push_back({kSystemChain, t.created_at, actor.AuditName(), "token.created",
                      Json({{"account", t.account_email},
                            {"label", t.label},
                            {"token_hash_prefix", TokenHashLabel(t.hash)},
                            {"expires_at", t.expires_at ? FormatUtc(t.expires_at) : ""}})});
  VIGIL_RETURN_IF_ERROR(store_.Write(std::move(b)).status());
  return token;
}

Status ReportService::RevokeApiToken(const Principal& actor, std::string_view token) {
  WriteBatch b;
  const std::string hash = TokenHash(token);
  b.revoke_token_hashes.push_back(hash);
  b.now = clock_.Now();
  b.events.push_back({kSystemChain, b.now, actor.AuditName(), "token.revoked",
                      Json({{"token_hash_prefix", TokenHashLabel(hash)}})});
  Result<WriteResult> w = store_.Write(std::move(b));
  if (w.status().code() == Code::kNotFound) return Status::NotFound("no such active token");
  return w.status();
}

Result<std::vector<ApiTokenInfo>> ReportService::ListApiTokens(const Principal& actor,
                                                               const std::string& email) {
  std::string owner = LowerAscii(email);
  if (!owner.empty()) {
    const Status none = Status::NotFound("account " + email.substr(0, 254) + " not found");
    if (!MayManageTokensOf(actor, owner)) return none;
    Result<std::optional<Account>> account = store_.FindAccount(owner);
    VIGIL_RETURN_IF_ERROR(account.status());
    if (!account->has_value()) return none;
  } else {
    owner = TokenScope(actor);
  }
  Result<std::vector<ApiToken>> tokens = store_.ListApiTokens(owner);
  VIGIL_RETURN_IF_ERROR(tokens.status());
  const Instant now = clock_.Now();
  std::vector<ApiTokenInfo> out;
  for (const ApiToken& t : *tokens) {
    if (!MayManageTokensOf(actor, t.account_email)) continue;
    ApiTokenInfo info;
    info.id = TokenHashLabel(t.hash);
    info.account = t.account_email;
    info.label = t.label;
    info.created_at = t.created_at;
    info.expires_at = t.expires_at;
    info.revoked_at = t.revoked_at;
    // The same rule as Authenticate: a token is dead at its expiry instant.
    info.state = t.revoked_at != 0                          ? "revoked"
                 : t.expires_at != 0 && t.expires_at <= now ? "expired"
                                                            : "live";
    out.push_back(std::move(info));
  }
  return out;
}

Status ReportService::RevokeApiTokenById(const Principal& actor, const std::string& id) {
  if (!IsTokenHashLabel(id)) return Status::Invalid("an API token id is 12 hex digits");
  const Status none = Status::NotFound("no API token with id " + id);
  Result<std::vector<ApiToken>> tokens = store_.ListApiTokens(TokenScope(actor));
  VIGIL_RETURN_IF_ERROR(tokens.status());
  const ApiToken* match = nullptr;
  for (const ApiToken& t : *tokens) {
    if (TokenHashLabel(t.hash) != id || !MayManageTokensOf(actor, t.account_email)) continue;
    if (match) {
      return Status::Conflict("API token id " + id +
                              " names more than one token; revoke it with the token itself");
    }
    match = &t;
  }
  if (!match) return none;
  const Status already = Status::Conflict("API token " + id + " is already revoked");
  if (match->revoked_at != 0) return already;
  WriteBatch b;
  b.revoke_token_hashes.push_back(match->hash);
  b.now = clock_.Now();
  b.events.push_back({kSystemChain, b.now, actor.AuditName(), "token.revoked",
                      Json({{"account", match->account_email}, {"token_hash_prefix", id}})});
  Result<WriteResult> w = store_.Write(std::move(b));
  if (w.status().code() == Code::kNotFound) return already;  // revoked meanwhile
  return w.status();
}

}  // namespace vigil
