#include "service/credit_requests.h"

#include <boost/json.hpp>

#include "core/text.h"
#include "service/credit_link.h"
#include "service/sealed_link.h"

namespace vigil {

OutboxMail CreditRequests::RequestMail(const std::string& report_id, const DraftCredit& credit,
                                       const std::string& link_url, Instant expires) const {
  const std::string& project = config_.project_name;
  OutboxMail m;
  // The author may not be read into the report: the mail carries nothing of it but its id,
  // only what the advisory will publish about them. (The sender lets it go to the credit's
  // address while the draft has that credit, participant or not.)
  m.report_id = report_id;
  m.recipient = credit.email;
  m.kind = "credit-request";
  m.subject = "How should " + project + " credit your fix?";
  m.created_at = clock_.Now();
  m.body = "Hello" + (credit.name.empty() ? std::string() : " " + credit.name) +
           ",\n\n"
           "a patch you wrote was approved as the fix for " +
           project + "'s security report " + report_id +
           ". When the report is disclosed, the fix is published and the advisory credits the "
           "people who found and fixed the issue. How would you like to be credited?\n\n    " +
           link_url +
           "\n\n"
           "There you can be named (" +
           (credit.name.empty() ? std::string("by a name you give")
                                : "as \"" + credit.name + "\", or by another name you give") +
           "), be credited anonymously, or not be credited at all. If you do not answer, the "
           "advisory names you as your commit does: the commit is public from the day of the "
           "disclosure.\n\n"
           "The link is for you alone and works until " +
           FormatUtc(expires) +
           ". It answers this one question and shows nothing else.\n\n"
           "-- \n" +
           project + " security\n";
  return m;
}

Status CreditRequests::AddToApproval(const Principal& actor, const Report& report,
                                     const PatchRevision& revision, WriteBatch& batch) const {
  Result<AdvisoryDraft> draft = advisories_.Draft(report);
  VIGIL_RETURN_IF_ERROR(draft.status());
  AdvisoryDraft d = std::move(draft).value();
  const Instant now = clock_.Now();
  std::vector<OutboxMail> mails;
  boost::json::array asked;
  for (const StoredPatch& p : revision.patches) {
    const std::string email = LowerAscii(p.author_email);
    DraftCredit* credit = nullptr;
    for (DraftCredit& c : d.credits) {
      if (c.type == advisory::CreditType::kRemediationDeveloper &&
          (email.empty() ? c.email.empty() && c.name == p.author_name : c.email == email)) {
        credit = &c;
      }
    }
    if (!credit) {
      if (d.credits.size() >= kMaxAdvisoryListItems) break;
      d.credits.push_back(PatchAuthorCredit(p.author_name, email));
      credit = &d.credits.back();
    }
    if (credit->consent != CreditConsent::kPending || credit->asked_at != 0 ||
        !IsPlausibleEmail(credit->email)) {
      continue;
    }
    credit->asked_at = now;
    const Instant expires = now + kCreditLinkDays * kMicrosPerDay;
    const std::string token = MakeCreditLinkToken(box_, {report.id, credit->email, expires});
    // Sealed in the outbox like every private link (service/sealed_link.h).
    const std::string url =
        config_.public_url + "/credit/" + SealLink(box_, report.id, credit->email, token);
    mails.push_back(RequestMail(report.id, *credit, url, expires));
    asked.push_back(boost::json::value(credit->email));
  }
  if (asked.empty()) return Status::Ok();
  batch.disclosure.advisory = AdvisoryDraftRow{report.id, DraftToJson(d), now};
  for (OutboxMail& m : mails) batch.outbox.push_back(std::move(m));
  batch.events.push_back({report.id, now, actor.AuditName(), "credit.requested",
                          boost::json::serialize(boost::json::object{
                              {"revision", revision.Name()}, {"emails", std::move(asked)}})});
  return Status::Ok();
}

}  // namespace vigil
