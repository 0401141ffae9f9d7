#include "service/mail_admin_service.h"

#include "core/text.h"
#include "service/mail_sender.h"

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

}  // namespace vigil
