#include "service/mail_sender.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/log_line.h"
#include "core/workflow.h"
#include "mail/maildir.h"
#include "mail/outgoing_mail.h"
#include "mail/smtp_client.h"
#include "service/advisory_draft.h"
#include "service/sealed_link.h"

namespace vigil {

std::string MailEmbargoReminder(const Config& config, const Report& r) {
  if (config.mail.reminder.empty()) return EmbargoReminder(r);
  return config.mail.reminder + " The embargo on " + r.id + " ends " + FormatUtc(r.embargo.end) +
         " (UTC).";
}

MailSender::Transport MailSender::Smarthost(const Config& config,
                                            const std::atomic<bool>* abandon) {
  if (config.mail.smarthost.starts_with("maildir:")) {
    return [dir = config.mail.smarthost.substr(8)](const std::string& from, const std::string& rcpt,
                                                   const std::string& data) {
      return mail::DeliverToMaildir(dir, from, rcpt, data);
    };
  }
  mail::SmtpTarget target;
  target.url = config.mail.smarthost;
  target.timeout_seconds = config.mail.smarthost_timeout_seconds;
  target.abandon = abandon;
  return [target](const std::string& from, const std::string& rcpt, const std::string& data) {
    return mail::SendSmtp(target, from, rcpt, data);
  };
}

MailSender::MailSender(Store& store, const Clock& clock, const Config& config,
                       const mail::ProjectKey* key, Transport transport)
    : store_(store),
      clock_(clock),
      config_(config),
      key_(key),
      transport_(std::move(transport)),
      tags_(MailTags::Load(MailTags::KeyPath(config.data_dir))) {
  if (!transport_) transport_ = Smarthost(config, &stopping_now_);
}

MailSender::~MailSender() { Stop(); }

std::string OutboxMessageId(const Config& config, const OutboxMail& row) {
  return "vigil-outbox-" + std::to_string(row.id) + "-" + std::to_string(row.created_at) + "@" +
         config.mail.domain;
}

std::string MailSender::MessageIdFor(const OutboxMail& row) const {
  return OutboxMessageId(config_, row);
}

Result<PreparedMail> PrepareOutboxMail(Store& store, const Config& config,
                                       const Result<MailTags>& tags, const OutboxMail& row,
                                       bool require_participant) {
  PreparedMail out;
  mail::SecurityAddress address;
  address.local = config.mail.local_part;
  address.domain = config.mail.domain;
  mail::OutgoingMail& m = out.mail;
  m.from_name = config.project_name + " security";
  m.from_address = address.Plain();
  m.to = row.recipient;
  m.subject = row.subject;
  m.message_id = OutboxMessageId(config, row);
  m.date = row.created_at;
  m.body = row.body;
  out.envelope_from = address.Plain();
  if (!row.report_id.empty()) {
    Result<Report> r = store.GetReport(row.report_id);
    VIGIL_RETURN_IF_ERROR(r.status());
    // Checked at send time, not only when queued: someone removed since, or a row written for
    // an address that is not on the report, never receives the report's mail.
    const Participant* p = r->FindParticipant(row.recipient);
    if (!p && require_participant) {
      // A fix author's credit request goes to whoever the advisory draft credits for the fix,
      // read into the report or not (its text holds nothing of the report).
      bool credited = false;
      if (row.kind == "credit-request") {
        Result<std::optional<AdvisoryDraftRow>> draft = store.FindAdvisoryDraft(r->id);
        VIGIL_RETURN_IF_ERROR(draft.status());
        if (draft->has_value()) {
          Result<AdvisoryDraft> d = DraftFromJson((*draft)->document);
          VIGIL_RETURN_IF_ERROR(d.status());
          for (const DraftCredit& c : d->credits) {
            credited = credited || (c.type == advisory::CreditType::kRemediationDeveloper &&
                                    c.email == row.recipient);
          }
        }
      }
      if (!credited) {
        return Status::Denied(row.recipient + " is not a participant of " + r->id + "; not sent");
      }
    }
    // The key the reporter gave with this report (web form or attached to their mail) is for
    // mail about this report; it does not change mail to that address about other reports.
    if (p && p->role == Role::kReporter) {
      Result<std::optional<ReporterPrefs>> prefs = store.GetReporterPrefs(r->id);
      VIGIL_RETURN_IF_ERROR(prefs.status());
      if (prefs->has_value()) out.recipient_key = (*prefs)->public_key;
    }
    // Their personal reply address, so a reply proves who wrote it, and a bounce address for
    // this one message, so only a bounce of it counts (service/mail_tags.h).
    if (p) {
      if (!tags.ok()) return Status::Unavailable("mail tags: " + tags.status().message());
      m.reply_to = tags->ReplyAddress(address, r->id, p->email);
      out.envelope_from = tags->BounceAddress(address, r->id, row.id, p->email);
    }
    if (m.subject.find("[" + r->id + "]") == std::string::npos) {
      m.subject = "[" + r->id + "] " + m.subject;
    }
    if (UnderEmbargo(*r)) {
      // The reminder reflects the embargo as it is now; a stale one written at queue time
      // (the end may have moved) is replaced.
      const std::string reminder = MailEmbargoReminder(config, *r);
      std::string rest = m.body;
      if (rest.starts_with("EMBARGO REMINDER:") || rest.starts_with(reminder)) {
        const size_t para = rest.find("\n\n");
        rest = para == std::string::npos ? "" : rest.substr(para + 2);
      }
      m.body = reminder + "\n\n" + rest;
    }
  }
  if (out.recipient_key.empty()) {
    Result<std::optional<MailKey>> key = store.FindMailKey(row.recipient);
    VIGIL_RETURN_IF_ERROR(key.status());
    if (key->has_value()) out.recipient_key = (*key)->armored;
  }
  return out;
}

Result<std::string> MailSender::Compose(const OutboxMail& row, std::string* envelope_from) {
  Result<PreparedMail> p = PrepareOutboxMail(store_, config_, tags_, row, true);
  VIGIL_RETURN_IF_ERROR(p.status());
  // A private link waits in the outbox sealed (service/sealed_link.h): opened only now, for
  // the one mail that carries it.
  if (CarriesPrivateLink(row.kind) && HasSealedLink(p->mail.body)) {
    Result<std::string> key = LoadOrCreateTotpKey(config_.TotpKeyPath());
    if (!key.ok()) return Status::Unavailable("private link key: " + key.status().message());
    const TotpSecretBox box(std::move(key).value());
    Result<std::string> body =
        OpenSealedLinks(box, row.report_id, row.recipient, std::move(p->mail.body));
    if (!body.ok() && row.kind == "credit-request") {
      return Status::Invalid(
          "the credit link in this mail cannot be opened (sealed with another key, or "
          "altered); ask " +
          row.recipient + " another way and record their answer with `vigil advisory credit`");
    }
    VIGIL_RETURN_IF_ERROR(body.status());
    p->mail.body = std::move(body).value();
  }
  *envelope_from = p->envelope_from;
  if (!p->recipient_key.empty()) {
    if (!key_) return Status::Unavailable("no project key to sign mail to " + row.recipient);
    Result<std::string> armored =
        key_->EncryptAndSign(mail::ComposeBodyEntity(p->mail.body), p->recipient_key);
    VIGIL_RETURN_IF_ERROR(armored.status());
    return mail::ComposeEncryptedMessage(p->mail, *armored);
  }
  return mail::ComposeMessage(p->mail);
}

int64_t MailSender::LeaseSeconds() const {
  return std::max<int64_t>(60, 10 * int64_t{config_.mail.smarthost_timeout_seconds});
}

Status MailSender::MarkSending(const OutboxEntry& row) {
  WriteBatch b;
  b.now = clock_.Now();
  OutboxUpdate claim{row.mail.id, OutboxState::kSending, row.mail.attempts,
                     b.now + LeaseSeconds() * kMicrosPerSecond, ""};
  claim.only_if = OutboxState::kPending;
  claim.claim = true;
  b.mail.outbox_updates.push_back(claim);
  VIGIL_RETURN_IF_ERROR(store_.Write(std::move(b)).status());
  return store_.WaitDurable();
}

Status MailSender::SettleInDoubt() {
  OutboxQuery q;
  q.state = OutboxState::kSending;
  q.limit = 1000;
  Result<std::vector<OutboxEntry>> rows = store_.ListOutbox(q);
  VIGIL_RETURN_IF_ERROR(rows.status());
  WriteBatch b;
  b.now = clock_.Now();
  // A row whose lease has not run out may be with a sender that is alive (another instance).
  std::erase_if(*rows, [&](const OutboxEntry& row) { return row.next_attempt_at > b.now; });
  if (rows->empty()) return Status::Ok();
  for (const OutboxEntry& row : *rows) {
    const std::string id = std::to_string(row.mail.id);
    // Only while it is still that attempt: a sender that finished meanwhile has the last word.
    OutboxUpdate dead{row.mail.id, OutboxState::kDead, row.mail.attempts + 1, b.now,
                      "in doubt: Vigil stopped while the smarthost had this mail, which may have "
                      "been delivered; `vigil mail retry " +
                          id + "` sends it again"};
    dead.only_if = OutboxState::kSending;
    b.mail.outbox_updates.push_back(dead);
    b.events.push_back({kSystemChain, b.now, "vigil", "mail.in-doubt",
                        boost::json::serialize(boost::json::object{{"outbox_id", row.mail.id}})});
    spdlog::warn("{}", LogLine("mail: delivery in doubt after a restart; not sent again",
                               {{"outbox", row.mail.id}}));
  }
  return store_.Write(std::move(b)).status();
}

Status MailSender::Attempt(const OutboxEntry& row) {
  const auto& mc = config_.mail;
  std::string from;
  Result<std::string> data = Compose(row.mail, &from);
  // Durably "sending" before the smarthost sees it: a crash before the result is stored leaves
  // the row in doubt (dead-lettered at the next start), never sent a second time unasked.
  // Of several senders on one database (instances), the one whose claim is stored first sends;
  // the others get kConflict and leave the row alone.
  if (data.ok()) VIGIL_RETURN_IF_ERROR(MarkSending(row));
  Status sent = data.ok() ? transport_(from, row.mail.recipient, *data) : data.status();
  OutboxUpdate u;
  // An attempt cut short because the sender stops is not the smarthost's failure: the row goes
  // back to pending as it was and is tried again on the next start.
  if (!sent.ok() && stopping_now_.load()) {
    WriteBatch b;
    b.now = clock_.Now();
    b.mail.outbox_updates.push_back({row.mail.id, OutboxState::kPending, row.mail.attempts,
                                     row.next_attempt_at, row.last_error});
    return store_.Write(std::move(b)).status();
  }
  u.id = row.mail.id;
  u.attempts = row.mail.attempts + 1;
  WriteBatch b;
  const Instant now = clock_.Now();
  b.now = now;
  if (sent.ok()) {
    u.state = OutboxState::kSent;
    u.next_attempt_at = now;
    if (!row.mail.report_id.empty()) {
      b.mail.message_ids.push_back({MessageIdFor(row.mail), row.mail.report_id, "out", now});
    }
  } else {
    u.last_error = sent.message().substr(0, 500);
    const bool permanent =
        sent.code() == Code::kInvalidArgument || sent.code() == Code::kPermissionDenied;
    if (permanent || u.attempts >= mc.max_attempts) {
      u.state = OutboxState::kDead;
      u.next_attempt_at = now;
    } else {
      u.state = OutboxState::kPending;
      int64_t delay = mc.retry_base_seconds;
      for (int i = 1; i < u.attempts && delay < mc.retry_max_seconds; ++i) delay *= 2;
      delay = std::min<int64_t>(delay, mc.retry_max_seconds);
      u.next_attempt_at = now + delay * kMicrosPerSecond;
    }
    spdlog::warn("{}", LogLine("mail: delivery failed", {{"outbox", row.mail.id},
                                                         {"attempt", u.attempts},
                                                         {"state", OutboxStateName(u.state)}}));
  }
  b.mail.outbox_updates.push_back(u);
  return store_.Write(std::move(b)).status();
}

Result<int> MailSender::SendDue() {
  OutboxQuery q;
  q.state = OutboxState::kPending;
  q.due_by = clock_.Now();
  q.limit = 200;
  Result<std::vector<OutboxEntry>> due = store_.ListOutbox(q);
  VIGIL_RETURN_IF_ERROR(due.status());
  // A mail must not go out for a change a crash could still take back.
  if (!due->empty()) VIGIL_RETURN_IF_ERROR(store_.WaitDurable());
  int n = 0;
  for (const OutboxEntry& row : *due) {
    if (stopping_now_.load()) break;  // the rest waits for the next start
    Status attempted = Attempt(row);
    if (attempted.code() == Code::kConflict) continue;  // another sender took it
    VIGIL_RETURN_IF_ERROR(attempted);
    ++n;
  }
  return n;
}

Status MailSender::Retry(const Principal& actor, int64_t id) {
  VIGIL_RETURN_IF_ERROR(RetryOutboxMail(store_, clock_, actor, id));
  Wake();
  return Status::Ok();
}

Status SetMailKey(Store& store, const Clock& clock, const Principal& actor, std::string email,
                  const std::string& armored) {
  email = LowerAscii(email);
  if (!IsPlausibleEmail(email)) {
    return Status::Invalid("\"" + email.substr(0, 254) + "\" is not an email address");
  }
  Result<std::string> fpr = mail::PublicKeyFingerprint(armored);
  VIGIL_RETURN_IF_ERROR(fpr.status());
  WriteBatch b;
  b.now = clock.Now();
  b.mail.keys.push_back({email, *fpr, armored, b.now});
  b.events.push_back(
      {kSystemChain, b.now, actor.AuditName(), "mail.key-set",
       boost::json::serialize(boost::json::object{{"email", email}, {"fingerprint", *fpr}})});
  return store.Write(std::move(b)).status();
}

Status RetryOutboxMail(Store& store, const Clock& clock, const Principal& actor, int64_t id) {
  OutboxQuery q;
  q.id = id;
  Result<std::vector<OutboxEntry>> rows = store.ListOutbox(q);
  VIGIL_RETURN_IF_ERROR(rows.status());
  if (rows->empty()) return Status::NotFound("outbox mail " + std::to_string(id) + " not found");
  if (rows->front().mail.state == OutboxState::kSent) {
    return Status::Conflict("outbox mail " + std::to_string(id) + " was already sent");
  }
  if (rows->front().mail.state == OutboxState::kSending) {
    return Status::Conflict("outbox mail " + std::to_string(id) + " is being sent");
  }
  WriteBatch b;
  b.now = clock.Now();
  b.mail.outbox_updates.push_back({id, OutboxState::kPending, 0, b.now, ""});
  b.events.push_back({kSystemChain, b.now, actor.AuditName(), "mail.retry",
                      boost::json::serialize(boost::json::object{{"outbox_id", id}})});
  return store.Write(std::move(b)).status();
}

void MailSender::Start() {
  thread_ = std::thread([this] {
    if (Status settled = SettleInDoubt(); !settled.ok()) {
      spdlog::warn(
          "{}", LogLine("mail: cannot settle deliveries in doubt", {{"error", settled.message()}}));
    }
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || woken_; });
        if (stopping_) return;
        woken_ = false;
      }
      // Rows another instance was sending when it died come free when their lease runs out.
      if (Status settled = SettleInDoubt(); !settled.ok()) {
        spdlog::warn("{}", LogLine("mail: cannot settle deliveries in doubt",
                                   {{"error", settled.message()}}));
      }
      Result<int> n = SendDue();
      if (!n.ok())
        spdlog::warn("{}", LogLine("mail: sender paused", {{"error", n.status().message()}}));
    }
  });
}

void MailSender::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  wake_.notify_one();
}

void MailSender::Stop() {
  stopping_now_.store(true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vigil
