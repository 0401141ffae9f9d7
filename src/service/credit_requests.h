// Credit requests: the policy credits the reporter and whoever wrote the fix. When a patch
// revision is approved, each of its authors is asked by mail, with a credit link
// (service/credit_link.h), how the advisory should credit them; the request goes out with the
// approval, in the same write.
#pragma once

#include <string>

#include "config/config.h"
#include "core/access.h"
#include "core/report.h"
#include "core/time.h"
#include "service/advisory_service.h"
#include "service/totp_secret_box.h"
#include "store/store.h"

namespace vigil {

class CreditRequests {
 public:
  /// Every reference must outlive the object. Thread-safe.
  CreditRequests(AdvisoryService& advisories, const Clock& clock, const Config& config,
                 const TotpSecretBox& box)
      : advisories_(advisories), clock_(clock), config_(config), box_(box) {}

  /// Adds to BATCH, the write that completes the approvals of REVISION of REPORT: the credit of
  /// each author of REVISION not yet on the advisory draft (a pending fix-author credit, by the
  /// commit's name), and for each such credit that is pending and was never asked, a request:
  /// the mail (kind "credit-request", to the author, holding their credit link sealed until it
  /// goes out; it names the project, the report's id and the name to be published, nothing of
  /// the report), the credit's asked time and the event "credit.requested" {email, revision}.
  /// An author without a plausible address is credited but cannot be asked.
  Status AddToApproval(const Principal& actor, const Report& report, const PatchRevision& revision,
                       WriteBatch& batch) const;

  /// The request mail to CREDIT (asked now, by LINK_URL, which holds the sealed token) about
  /// REPORT_ID; its link works until EXPIRES.
  OutboxMail RequestMail(const std::string& report_id, const DraftCredit& credit,
                         const std::string& link_url, Instant expires) const;

 private:
  AdvisoryService& advisories_;
  const Clock& clock_;
  const Config& config_;
  const TotpSecretBox& box_;
};

}  // namespace vigil
