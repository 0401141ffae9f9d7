// Advisory drafts: each report has one, proposed from the report (title, summary, the reporter and
// the approved patches' authors as credits) and edited by the coordinator; composed into an
// advisory::Advisory for the Markdown, OSV, CVE JSON 5 and CSAF exports.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "advisory/advisory.h"
#include "config/config.h"
#include "core/access.h"
#include "core/report.h"
#include "core/time.h"
#include "service/advisory_draft.h"
#include "service/patch_revision_source.h"
#include "store/store.h"

namespace vigil {

/// Limits on draft fields (untrusted input).
inline constexpr size_t kMaxAdvisoryTitleBytes = 256;
inline constexpr size_t kMaxAdvisorySummaryBytes = 4096;
inline constexpr size_t kMaxAdvisoryDetailsBytes = 16384;
inline constexpr size_t kMaxAdvisoryListItems = 64;

/// A partial edit: the fields present replace the draft's.
struct AdvisoryEdit {
  std::optional<std::string> title, summary, details;
  std::optional<std::vector<advisory::VersionRange>> ranges;
  std::optional<std::vector<advisory::Weakness>> weaknesses;
  std::optional<std::vector<std::string>> cvss_vectors;
  std::optional<std::vector<advisory::Reference>> references;
};

enum class ExportFormat { kMarkdown, kOsv, kCve, kCsaf };
/// "md", "osv", "cve" or "csaf". Error: `unknown format "x": use md, osv, cve or csaf`.
Result<ExportFormat> ParseExportFormat(std::string_view name);
/// File name suffix of a format: ".md", ".osv.json", ".cve.json", ".csaf.json".
const char* ExportSuffix(ExportFormat format);

/// "base 9.8 (Critical), temporal ..." for v3.x, "CVSS-B 9.3 (Critical)" for v4.0.
Result<std::string> DescribeScores(const std::string& vector);

/// The draft of report ID as the API and `vigil advisory --json` show it: DraftToJsonObject's
/// fields, "report" and "scores" (each CVSS vector with its DescribeScores text or error).
boost::json::object AdvisoryDraftJson(const std::string& id, const AdvisoryDraft& draft);

class AdvisoryService {
 public:
  /// Every reference must outlive the service. Thread-safe.
  AdvisoryService(Store& store, const Clock& clock, const Config& config,
                  ApprovedRevisionSource& approved);

  /// The draft of report ID: the stored one, or one proposed from the report; in both cases with
  /// the proposed credits (reporter, approved patches' authors) not yet on it added as pending.
  Result<AdvisoryDraft> Draft(const std::string& id);
  /// Draft(REPORT.id) for a report already read.
  Result<AdvisoryDraft> Draft(const Report& report) { return DraftFor(report); }
  Result<AdvisoryDraft> Edit(const Principal& actor, const std::string& id,
                             const AdvisoryEdit& edit);
  /// Adds CREDIT, or replaces the credit with the same email (or name when no email) and type.
  Result<AdvisoryDraft> SetCredit(const Principal& actor, const std::string& id,
                                  DraftCredit credit);
  /// The caller's own consent, on every credit with the caller's email.
  /// Error: kConflict "no credit for <email> on <ID>".
  Result<AdvisoryDraft> SetOwnConsent(const Principal& actor, const std::string& id,
                                      CreditConsent consent);
  /// A fix author's answer through their credit link (ACTOR is a kCreditLink principal):
  /// CONSENT on the fix-author credit with ACTOR's email; for kNamed, a non-empty NAME replaces
  /// the credit's name (the commit's, by default). Errors: kInvalidArgument "choose how to be
  /// credited: named, anonymous or not at all", "a named credit needs a name", the name's
  /// checks; kConflict "there is no fix-author credit for <email> on <ID> any more; write to the
  /// security team" and "the advisory of <ID> was published on <UTC>; write to the security
  /// team to change its credits".
  Result<AdvisoryDraft> AnswerCreditRequest(const Principal& actor, CreditConsent consent,
                                            std::string name);
  /// Records a CVE id (CVE-YYYY-NNNN+) or GHSA id (GHSA-xxxx-xxxx-xxxx); the advisory is then
  /// published under it. Error: `"x" is neither a CVE id (CVE-2026-12345) nor a GHSA id
  /// (GHSA-xxxx-xxxx-xxxx)`.
  Result<AdvisoryDraft> SetExternalId(const Principal& actor, const std::string& id,
                                      const std::string& external);

  /// The advisory as it would be published now. "Fixed in" comes from the draft's ranges and,
  /// when the disclosure repository has release tags containing the disclosed commits, from the
  /// lowest such tag per commit (ranges without a fixed version are replaced by those).
  Result<advisory::Advisory> Compose(const std::string& id);
  Result<std::string> Export(const std::string& id, ExportFormat format);
  advisory::Publisher Publisher() const;

  using DraftMutation = std::function<Status(const Report&, AdvisoryDraft&)>;
  using BatchExtra = std::function<Status(const Report&, const AdvisoryDraft&, WriteBatch&)>;
  /// Reads the draft of ID, applies MUTATE and writes it with an event KIND (payload: the fields
  /// the event names) in one batch, to which EXTRA may add rows; retries on concurrent changes.
  Result<AdvisoryDraft> Change(const Principal& actor, const std::string& id,
                               const std::string& kind, const DraftMutation& mutate,
                               const BatchExtra& extra = nullptr);

 private:
  Result<AdvisoryDraft> DraftFor(const Report& report);
  Result<advisory::Advisory> ComposeFrom(const Report& report, const AdvisoryDraft& draft,
                                         bool use_tags);

  Store& store_;
  const Clock& clock_;
  const Config& config_;
  ApprovedRevisionSource& approved_;
};

}  // namespace vigil
