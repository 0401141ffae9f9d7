// Who may do what: the one authorization decision, as a pure function of the caller, the action
// and the caller's relation to the report. The HTTP layer calls it once per request.
#pragma once

#include <optional>
#include <string>

#include "core/report.h"
#include "core/status.h"

namespace vigil {

/// A project-wide account role. Members see only reports they participate in.
enum class AccountRole { kMember, kMaintainer, kAdmin };
const char* AccountRoleName(AccountRole r);
std::optional<AccountRole> ParseAccountRole(std::string_view name);

/// The authenticated caller of one request.
struct Principal {
  enum class Kind {
    kAnonymous,   // no credential
    kAccount,     // an account, through an API token (or, later, a session)
    kCapability,  // a per-report capability token (reporter, invited participant)
    kLocal,       // the local operator through the CLI: full rights
    /// A fix author's credit link (service/credit_link.h): answers their own credit on the one
    /// report it names (Action::kConsent), and nothing else; not a participant's rights.
    kCreditLink,
  };
  Kind kind = Kind::kAnonymous;
  std::string email;  // account email, or the participant's (credited person's) email for a link
  AccountRole account_role = AccountRole::kMember;
  std::string report_id;  // kCapability, kCreditLink: the one report the token opens

  /// "anonymous", "user:alice@example.org", "token:SEC-2026-0001/reporter", "cli:root",
  /// "credit-link:SEC-2026-0001/bob@example.org".
  std::string AuditName() const;
};

enum class Action {
  kSubmit,        // submit a new report
  kList,          // list reports (the result is filtered by visibility)
  kRead,          // show a report and its thread
  kPost,          // post a message to its thread
  kTriage,        // assign, confirm, reject, duplicate, classify, embargo, invite, publish
  kWithdraw,      // withdraw the report
  kAudit,         // read the report's audit trail
  kMetrics,       // read /metrics
  kAdminister,    // manage accounts and tokens
  kSubmitPatch,   // submit a patch series, re-check applicability (reporter, collaborator, staff)
  kApprovePatch,  // approve a patch revision (staff: maintainers and admins)
  /// List and revoke API tokens: accounts and the CLI. Which tokens is MayManageTokensOf's
  /// decision, per token (an account its own, an admin every account's).
  kManageTokens,
  /// Remove a participant from a report or replace their capability link: the report's
  /// coordinator, an admin account or the CLI.
  kManageParticipants,
  /// Answer one's own credit request (named, anonymous, declined): a credit link only.
  kConsent,
};
const char* ActionName(Action a);

/// What the caller is to the report in question (for report-scoped actions).
struct ReportRelation {
  bool exists = false;
  std::optional<Role> role;  // the caller's role on the report, if a participant
};

/// Decides whether PRINCIPAL may perform ACTION. For report-scoped actions REPORT_ID names the
/// report and RELATION describes the caller's link to it. Returns:
/// - kUnauthenticated ("authentication required") when an anonymous caller needs a credential;
/// - kNotFound ("report <ID> not found") when the report does not exist or the caller may not
///   learn that it exists (the two are indistinguishable by design);
/// - kPermissionDenied with the action named when the caller can see it but not do this.
Status Authorize(const Principal& principal, Action action, const std::string& report_id,
                 const ReportRelation& relation);

/// True when ACTION concerns one report (the caller must name it).
bool IsReportScoped(Action action);

/// True when PRINCIPAL sees every report of the project (maintainers, admins, the CLI).
bool SeesAllReports(const Principal& principal);

/// True when PRINCIPAL may list and revoke the API tokens of account OWNER (a lower-case email):
/// the account itself, an admin account, or the CLI. Capabilities and anonymous callers never.
bool MayManageTokensOf(const Principal& principal, std::string_view owner);

/// True when an account with ROLE, DISABLED or not, may coordinate a report, approve a patch or
/// be on duty at a disclosure: an active maintainer or admin account.
bool MayCoordinate(AccountRole role, bool disabled);

}  // namespace vigil
