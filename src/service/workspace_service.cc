#include "service/workspace_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "core/report_id.h"
#include "mail/openpgp.h"
#include "service/credentials.h"
#include "store/audit_chain.h"

namespace vigil {
namespace {

constexpr int kMaxAttempts = 8;
constexpr size_t kMaxPublicKeyBytes = 64 << 10;

std::string Json(const boost::json::object& o) { return boost::json::serialize(o); }

// The last path component of NAME, without control characters, at most 200 bytes.
std::string CleanFilename(std::string_view name) {
  const size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string out;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"') continue;
    out += c;
  }
  if (out.size() > 200) out.resize(200);
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
  if (out.empty() || out == "." || out == "..") out = "attachment";
  return out;
}

std::string CleanContentType(std::string_view type) {
  std::string out;
  for (char c : type) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '+' ||
        c == '-') {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (out.empty() || out.size() > 100 || out.find('/') == std::string::npos) {
    return "application/octet-stream";
  }
  return out;
}

Status CheckCredit(CreditChoice& credit) {
  const size_t b = credit.name.find_first_not_of(" \t");
  credit.name = b == std::string::npos ? "" : credit.name.substr(b);
  while (!credit.name.empty() && (credit.name.back() == ' ' || credit.name.back() == '\t')) {
    credit.name.pop_back();
  }
  if (credit.anonymous) {
    credit.name.clear();
    return Status::Ok();
  }
  if (credit.name.empty())
    return Status::Invalid("a name to credit is required, or choose anonymous");
  if (credit.name.size() > 200)
    return Status::TooLarge("the name to credit is longer than 200 bytes");
  for (char c : credit.name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::Invalid("the name to credit must not contain control characters");
    }
  }
  return Status::Ok();
}

}  // namespace

Instant AckDeadline(Instant received, int working_days) {
  Instant t = received;
  int weekday = UtcWeekday(t);
  // A report that arrives on a weekend is counted from the start of Monday.
  if (weekday == 6 || weekday == 0) {
    const Instant day_start = t - t % kMicrosPerDay;
    t = day_start + (weekday == 6 ? 2 : 1) * kMicrosPerDay;
    weekday = 1;
  }
  for (int left = working_days; left > 0;) {
    t += kMicrosPerDay;
    weekday = (weekday + 1) % 7;
    if (weekday != 0 && weekday != 6) --left;
  }
  return t;
}

std::string ViewChain(const std::string& report_id) { return report_id + "/views"; }

WorkspaceService::WorkspaceService(ReportService& reports, Store& store, const Clock& clock,
                                   const Config& config)
    : reports_(reports), store_(store), clock_(clock), config_(config) {}

Result<std::vector<Attachment>> WorkspaceService::ToAttachments(const Principal& actor,
                                                                std::vector<Upload> uploads,
                                                                int64_t message_seq) const {
  std::erase_if(uploads, [](const Upload& u) { return u.filename.empty() && u.data.empty(); });
  if (static_cast<int>(uploads.size()) > config_.max_attachments) {
    return Status::TooLarge("at most " + std::to_string(config_.max_attachments) +
                            " attachments are allowed");
  }
  std::vector<Attachment> out;
  for (Upload& u : uploads) {
    Attachment a;
    a.filename = CleanFilename(u.filename);
    if (static_cast<int64_t>(u.data.size()) > config_.max_attachment_bytes) {
      return Status::TooLarge("attachment " + a.filename + " is larger than " +
                              std::to_string(config_.max_attachment_bytes) + " bytes");
    }
    if (u.data.empty()) return Status::Invalid("attachment " + a.filename + " is empty");
    a.content_type = CleanContentType(u.content_type);
    a.size = static_cast<int64_t>(u.data.size());
    a.sha256 = Sha256Hex(u.data);
    a.data = std::move(u.data);
    a.message_seq = message_seq;
    a.uploaded_by = actor.AuditName();
    a.created_at = clock_.Now();
    out.push_back(std::move(a));
  }
  return out;
}

Result<Submitted> WorkspaceService::Submit(const Principal& actor, SubmitRequest request,
                                           std::vector<Upload> uploads, CreditChoice credit,
                                           std::string public_key) {
  VIGIL_RETURN_IF_ERROR(CheckCredit(credit));
  if (public_key.find_first_not_of(" \t\r\n") == std::string::npos) public_key.clear();
  if (public_key.size() > kMaxPublicKeyBytes) {
    return Status::TooLarge("the public key is longer than 65536 bytes");
  }
  if (!public_key.empty() &&
      public_key.find("-----BEGIN PGP PUBLIC KEY BLOCK-----") == std::string::npos) {
    return Status::Invalid("the public key must be an ASCII-armoured OpenPGP public key block");
  }
  // Mail to the reporter is encrypted to it: a key that cannot encrypt is refused now, not
  // found out by the sender.
  if (!public_key.empty()) VIGIL_RETURN_IF_ERROR(mail::PublicKeyFingerprint(public_key).status());
  Result<std::vector<Attachment>> files = ToAttachments(actor, std::move(uploads), 0);
  VIGIL_RETURN_IF_ERROR(files.status());
  const Instant now = clock_.Now();
  request.extend = [&](WriteBatch& b) {
    ReporterPrefs prefs;
    prefs.anonymous = credit.anonymous;
    prefs.credit_name = credit.name;
    prefs.public_key = public_key;
    prefs.updated_at = now;
    b.web.reporter_prefs = prefs;
    b.events.push_back({"", now, actor.AuditName(), "reporter.preferences",
                        Json({{"anonymous", credit.anonymous},
                              {"credit_name", credit.name},
                              {"public_key_bytes", public_key.size()}})});
    for (const Attachment& a : *files) {
      b.web.attachments.push_back(a);
      b.events.push_back(
          {"", now, actor.AuditName(), "attachment.added",
           Json({{"filename", a.filename}, {"size", a.size}, {"sha256", a.sha256}})});
    }
  };
  return reports_.Submit(actor, std::move(request));
}

Result<ThreadMessage> WorkspaceService::Reply(const Principal& actor, const std::string& id,
                                              std::string body, std::vector<Upload> uploads) {
  Result<std::vector<Attachment>> files = ToAttachments(actor, std::move(uploads), -1);
  VIGIL_RETURN_IF_ERROR(files.status());
  return reports_.PostMessage(actor, id, std::move(body), [&](WriteBatch& b) {
    for (const Attachment& a : *files) {
      Attachment row = a;
      row.report_id = id;
      b.web.attachments.push_back(std::move(row));
      b.events.push_back(
          {id, a.created_at, actor.AuditName(), "attachment.added",
           Json({{"filename", a.filename}, {"size", a.size}, {"sha256", a.sha256}})});
    }
  });
}

Status WorkspaceService::SetCredit(const Principal& actor, const std::string& id,
                                   CreditChoice credit) {
  VIGIL_RETURN_IF_ERROR(CheckCredit(credit));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<Report> r = store_.GetReport(id);
    VIGIL_RETURN_IF_ERROR(r.status());
    const Participant* p = r->FindParticipant(actor.email);
    const bool reporter = actor.kind == Principal::Kind::kCapability && p != nullptr &&
                          p->role == Role::kReporter && actor.report_id == id;
    if (!reporter && !SeesAllReports(actor)) {
      return Status::Denied("only the reporter chooses how they are credited");
    }
    Result<std::optional<ReporterPrefs>> old = store_.GetReporterPrefs(id);
    VIGIL_RETURN_IF_ERROR(old.status());
    const Instant now = clock_.Now();
    ReporterPrefs prefs = old->value_or(ReporterPrefs{});
    prefs.report_id = id;
    prefs.anonymous = credit.anonymous;
    prefs.credit_name = credit.name;
    prefs.updated_at = now;
    WriteBatch b;
    b.report = *r;
    b.report->updated_at = now;
    b.expected_version = r->version;
    b.web.reporter_prefs = prefs;
    b.events.push_back({id, now, actor.AuditName(), "reporter.credit",
                        Json({{"anonymous", credit.anonymous}, {"credit_name", credit.name}})});
    Result<WriteResult> w = store_.Write(std::move(b));
    if (w.ok()) return Status::Ok();
    if (w.status().code() != Code::kAborted) return w.status();
  }
  return Status::Unavailable("too much contention on " + id + "; try again");
}

Result<std::optional<ReporterPrefs>> WorkspaceService::Prefs(const std::string& id) {
  return store_.GetReporterPrefs(id);
}

Status ViewRecord::Wait() {
  if (!write_) return Status::Ok();
  Result<WriteResult> w = write_->get();
  write_.reset();
  VIGIL_RETURN_IF_ERROR(w.status());
  seq_ = w->last_event_seq;
  return Status::Ok();
}

ViewRecord WorkspaceService::StartView(const Principal& viewer, const Report& report) {
  ViewRecord view;
  if (!UnderEmbargo(report)) return view;
  view.actor_ = viewer.AuditName();
  view.at_ = clock_.Now();
  WriteBatch b;
  b.events.push_back({ViewChain(report.id), view.at_, view.actor_, "report.viewed", "{}"});
  b.web.summarize_events = true;  // the read-in list reads the sums
  view.write_ = store_.WriteAsync(std::move(b));
  return view;
}

Status WorkspaceService::RecordView(const Principal& viewer, const Report& report) {
  return StartView(viewer, report).Wait();
}

namespace {

// Counts one view by ACTOR at AT in LIST (a viewer who is not a participant is added).
void AddView(ReadInList* list, const std::string& actor, Instant at) {
  auto it = list->index_of_actor.find(actor);
  if (it == list->index_of_actor.end()) {
    ReadIn r;
    r.who = actor.starts_with("user:") ? actor.substr(5) : actor;
    r.role = "viewer";
    it = list->index_of_actor.emplace(actor, list->people.size()).first;
    list->people.push_back(std::move(r));
  }
  ReadIn& p = list->people[it->second];
  if (p.views == 0 || at < p.first_view) p.first_view = at;
  if (p.views == 0 || at > p.last_view) p.last_view = at;
  ++p.views;
  ++list->views;
}

}  // namespace

Result<ReadInList> WorkspaceService::ListReadIn(const Report& report) {
  ReadInList out;
  for (const Participant& p : report.participants) {
    ReadIn r;
    r.who = p.email.empty() ? "(anonymous reporter)" : p.email;
    r.role = RoleName(p.role);
    r.added_at = p.added_at;
    r.added_by = p.added_by;
    r.participant = true;
    // The names a participant's views are recorded under: their account, or their link.
    out.index_of_actor["user:" + p.email] = out.people.size();
    out.index_of_actor["token:" + report.id + (p.email.empty() ? "" : "/" + p.email)] =
        out.people.size();
    out.people.push_back(std::move(r));
  }
  // Removed people stay on the list (their views were real), marked removed.
  for (const Participant& p : report.removed_participants) {
    ReadIn r;
    r.who = p.email;
    r.role = RoleName(p.role);
    r.added_at = p.added_at;
    r.added_by = p.added_by;
    r.removed_at = p.removed_at;
    r.removed_by = p.removed_by;
    out.index_of_actor.emplace("user:" + p.email, out.people.size());
    out.index_of_actor.emplace("token:" + report.id + "/" + p.email, out.people.size());
    out.people.push_back(std::move(r));
  }
  Result<ChainActivity> views = store_.SummarizeChain(ViewChain(report.id));
  VIGIL_RETURN_IF_ERROR(views.status());
  out.view_chain_length = views->length;
  for (const ActorActivity& a : views->actors) {
    AddView(&out, a.actor, a.first);
    ReadIn& p = out.people[out.index_of_actor[a.actor]];
    p.views += a.count - 1;
    p.last_view = std::max(p.last_view, a.last);
    out.views += a.count - 1;
  }
  return out;
}

void WorkspaceService::CountView(const ViewRecord& view, ReadInList* list) const {
  // The read saw the view when the chain it read already reached the view's place.
  if (view.seq_ == 0 || view.seq_ <= list->view_chain_length) return;
  AddView(list, view.actor_, view.at_);
  list->view_chain_length = view.seq_;
}

Result<std::vector<StoredEvent>> WorkspaceService::AuditTrail(const std::string& id) {
  Result<std::vector<StoredEvent>> own = store_.Events(id);
  VIGIL_RETURN_IF_ERROR(own.status());
  Result<std::vector<StoredEvent>> views = store_.Events(ViewChain(id));
  VIGIL_RETURN_IF_ERROR(views.status());
  std::vector<StoredEvent> all = std::move(*own);
  all.insert(all.end(), views->begin(), views->end());
  std::stable_sort(all.begin(), all.end(),
                   [](const StoredEvent& a, const StoredEvent& b) { return a.time < b.time; });
  return all;
}

Result<std::vector<StoredEvent>> WorkspaceService::LatestChanges(const std::string& id,
                                                                 int64_t limit) {
  return store_.LatestEvents(id, limit);
}

namespace {

QueueEntry Entry(ReportSummary s, Instant now, int ack_working_days) {
  QueueEntry e;
  e.ack_deadline = AckDeadline(s.created_at, ack_working_days);
  if (s.state != State::kReceived) {
    e.ack = AckStatus::kAcknowledged;
  } else if (now >= e.ack_deadline) {
    e.ack = AckStatus::kOverdue;
  } else if (e.ack_deadline - now <= kMicrosPerDay) {
    e.ack = AckStatus::kDueSoon;
  } else {
    e.ack = AckStatus::kOnTime;
  }
  e.report = std::move(s);
  return e;
}

// The visibility part of a store filter: exactly what ReportService::List applies.
ReportFilter Visible(const Principal& viewer) {
  ReportFilter f;
  if (viewer.kind == Principal::Kind::kCapability) {
    f.report_id = viewer.report_id;
  } else if (!SeesAllReports(viewer)) {
    f.participant_email = viewer.email;
  }
  return f;
}

}  // namespace

Result<QueuePage> WorkspaceService::Queue(const Principal& viewer, const QueueFilter& filter) {
  ReportQuery q;
  q.state = filter.state;
  if (filter.level >= 0) q.level = filter.level;
  if (filter.coordinator == "-") {
    q.coordinator = "";
  } else if (!filter.coordinator.empty()) {
    q.coordinator = filter.coordinator;
  }
  q.text = filter.text;
  q.cursor = filter.cursor;
  q.limit = filter.limit;
  Result<ReportListPage> page = reports_.ListPage(viewer, q);
  VIGIL_RETURN_IF_ERROR(page.status());
  const Instant now = clock_.Now();
  QueuePage out;
  for (ReportSummary& s : page->reports) {
    out.entries.push_back(Entry(std::move(s), now, config_.ack_working_days));
  }
  out.next_cursor = std::move(page->next_cursor);
  return out;
}

Result<QueueCounts> WorkspaceService::Counts(const Principal& viewer) {
  QueueCounts out;
  ReportFilter f = Visible(viewer);
  Result<std::map<State, int64_t>> counts = store_.CountReports(f);
  VIGIL_RETURN_IF_ERROR(counts.status());
  out.by_state = std::move(counts).value();
  // Only received reports have a deadline to meet: they are few, whatever the total.
  f.state = State::kReceived;
  f.limit = 0;
  Result<std::vector<ReportSummary>> received = store_.ListReports(f);
  VIGIL_RETURN_IF_ERROR(received.status());
  const Instant now = clock_.Now();
  for (ReportSummary& s : *received) {
    const QueueEntry e = Entry(std::move(s), now, config_.ack_working_days);
    out.overdue += e.ack == AckStatus::kOverdue;
    out.due_soon += e.ack == AckStatus::kDueSoon;
  }
  return out;
}

Result<std::vector<Attachment>> WorkspaceService::Attachments(const std::string& id) {
  return store_.Attachments(id);
}

Result<std::optional<Attachment>> WorkspaceService::GetAttachment(const std::string& id,
                                                                  int64_t number) {
  return store_.GetAttachment(id, number);
}

}  // namespace vigil
