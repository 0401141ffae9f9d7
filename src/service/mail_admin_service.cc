#include "service/mail_admin_service.h"

#include <cctype>

#include "core/text.h"
#include "mail/outgoing_mail.h"
#include "service/credentials.h"
#include "service/mail_sender.h"
#include "service/mail_tags.h"
#include "service/sealed_link.h"

namespace vigil {

MailAdminService::MailAdminService(Store& store, const Clock& clock)
    : store_(store), clock_(clock) {}

Result<std::vector<OutboxEntry>> MailAdminService::Outbox(std::optional<OutboxState> state,
                                                          int limit) {
  OutboxQuery q;
  q.limit = limit;
  q.state = state;
  return store_.ListOutbox(q);
}

Status MailAdminService::Retry(const Principal& actor, int64_t id) {
  return RetryOutboxMail(store_, clock_, actor, id);
}

std::string HideAddressTag(std::string address) {
  const size_t at = address.rfind('@');
  const size_t plus = address.find('+');
  if (at == std::string::npos || plus == std::string::npos || plus > at) return address;
  const size_t dot = address.rfind('.', at);
  if (dot == std::string::npos || dot < plus) return address;
  address.replace(dot + 1, at - dot - 1, "<personal tag>");
  return address;
}

std::string HideCapabilities(std::string text) {
  const std::string prefix = kCapabilityPrefix;
  for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
    size_t end = at + prefix.size();
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '_' || text[end] == '-')) {
      ++end;
    }
    if (end == at + prefix.size()) continue;
    text.replace(at, end - at, "<private link of the recipient, not shown>");
  }
  return text;
}

Result<ShownMail> MailAdminService::Show(const Config& config, int64_t id,
                                         const std::string& report_id) {
  OutboxQuery q;
  q.id = id;
  q.limit = 1;
  Result<std::vector<OutboxEntry>> rows = store_.ListOutbox(q);
  VIGIL_RETURN_IF_ERROR(rows.status());
  const std::string none = "no outbox mail " + std::to_string(id);
  if (rows->empty()) return Status::NotFound(none);
  // Through a report, only that report's mail: another report's is "not found", not "denied".
  if (!report_id.empty() && rows->front().mail.report_id != report_id) {
    return Status::NotFound(none + " about " + report_id);
  }
  ShownMail shown;
  shown.entry = std::move(rows->front());
  Result<PreparedMail> p =
      PrepareOutboxMail(store_, config, MailTags::Load(MailTags::KeyPath(config.data_dir)),
                        shown.entry.mail, /*require_participant=*/false);
  VIGIL_RETURN_IF_ERROR(p.status());
  mail::OutgoingMail m = p->mail;
  // What is secret to the recipient stays theirs: the tag of their reply and bounce addresses
  // (which prove who writes) and a private link in the body (which opens the report as them).
  m.reply_to = HideAddressTag(m.reply_to);
  shown.envelope_from = HideAddressTag(p->envelope_from);
  shown.encrypted = !p->recipient_key.empty();
  std::string& t = shown.text;
  t = "From: " + m.from_name + " <" + m.from_address + ">\n";
  t += "To: " + m.to + "\n";
  if (!m.reply_to.empty()) t += "Reply-To: " + m.reply_to + "\n";
  t += "Subject: " + m.subject + "\n";
  t += "Date: " + mail::FormatRfc5322Date(m.date) + "\n";
  t += "Message-ID: <" + m.message_id + ">\n\n";
  for (size_t i = 0; i < m.body.size(); ++i) {
    if (m.body[i] == '\r' && i + 1 < m.body.size() && m.body[i + 1] == '\n') continue;
    t += m.body[i];
  }
  if (!t.ends_with('\n')) t += '\n';
  t = HideCapabilities(t);
  if (CarriesPrivateLink(shown.entry.mail.kind)) {
    t = HideSealedLinks(std::move(t), "<private link of the recipient, not shown>");
  }
  return shown;
}

Result<std::vector<InboxMail>> MailAdminService::Inbox(int limit) {
  return store_.ListInbox(limit);
}

Result<std::vector<MailPatch>> MailAdminService::PatchMails(const std::string& report_id) {
  return store_.MailPatches(report_id);
}

Status MailAdminService::SetKey(const Principal& actor, const std::string& email,
                                const std::string& armored) {
  return SetMailKey(store_, clock_, actor, email, armored);
}

Status MailAdminService::SetParticipantKey(const Principal& actor, const std::string& report_id,
                                           const std::string& email_given,
                                           const std::string& armored) {
  const std::string email = LowerAscii(email_given);
  Result<Report> r = store_.GetReport(report_id);
  VIGIL_RETURN_IF_ERROR(r.status());
  if (!r->FindParticipant(email) || email.empty()) {
    return Status::Invalid(email.substr(0, 254) + " is not a participant of " + r->id);
  }
  return SetMailKey(store_, clock_, actor, email, armored);
}

namespace {

mail::SecurityAddress Ours(const Config& config) {
  mail::SecurityAddress a;
  a.local = config.mail.local_part;
  a.domain = config.mail.domain;
  return a;
}

}  // namespace

Result<std::string> MailAdminService::ReplyAddress(const Config& config,
                                                   const std::string& report_id,
                                                   const std::string& email_given) {
  const std::string email = LowerAscii(email_given);
  Result<Report> r = store_.GetReport(report_id);
  VIGIL_RETURN_IF_ERROR(r.status());
  if (email.empty() || !r->FindParticipant(email)) {
    return Status::Invalid(email.substr(0, 254) + " is not a participant of " + r->id);
  }
  Result<MailTags> tags = MailTags::Load(MailTags::KeyPath(config.data_dir));
  VIGIL_RETURN_IF_ERROR(tags.status());
  return tags->ReplyAddress(Ours(config), r->id, email);
}

Result<std::string> MailAdminService::BounceAddress(const Config& config, int64_t id) {
  OutboxQuery q;
  q.id = id;
  q.limit = 1;
  Result<std::vector<OutboxEntry>> rows = store_.ListOutbox(q);
  VIGIL_RETURN_IF_ERROR(rows.status());
  if (rows->empty()) return Status::NotFound("no outbox mail " + std::to_string(id));
  const OutboxMail& m = rows->front().mail;
  if (m.report_id.empty()) {
    return Status::Invalid("outbox mail " + std::to_string(id) + " is not about a report");
  }
  Result<MailTags> tags = MailTags::Load(MailTags::KeyPath(config.data_dir));
  VIGIL_RETURN_IF_ERROR(tags.status());
  return tags->BounceAddress(Ours(config), m.report_id, m.id, m.recipient);
}

Status MailAdminService::RotateTagKey(const Principal& actor, const std::string& key_path) {
  VIGIL_RETURN_IF_ERROR(MailTags::Rotate(key_path));
  WriteBatch b;
  b.now = clock_.Now();
  b.events.push_back({kSystemChain, b.now, actor.AuditName(), "mail.tag-key-rotated", "{}"});
  return store_.Write(std::move(b)).status();
}

}  // namespace vigil
