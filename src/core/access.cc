#include "core/access.h"

namespace vigil {

const char* AccountRoleName(AccountRole r) {
  switch (r) {
    case AccountRole::kMember:
      return "member";
    case AccountRole::kMaintainer:
      return "maintainer";
    case AccountRole::kAdmin:
      return "admin";
  }
  return "member";
}

std::optional<AccountRole> ParseAccountRole(std::string_view name) {
  for (AccountRole r : {AccountRole::kMember, AccountRole::kMaintainer, AccountRole::kAdmin}) {
    if (name == AccountRoleName(r)) return r;
  }
  return std::nullopt;
}

const char* ActionName(Action a) {
  switch (a) {
    case Action::kSubmit:
      return "submit";
    case Action::kList:
      return "list";
    case Action::kRead:
      return "read";
    case Action::kPost:
      return "post";
    case Action::kTriage:
      return "triage";
    case Action::kWithdraw:
      return "withdraw";
    case Action::kAudit:
      return "audit";
    case Action::kMetrics:
      return "metrics";
    case Action::kAdminister:
      return "administer";
    case Action::kSubmitPatch:
      return "submit patches to";
    case Action::kApprovePatch:
      return "approve patches of";
    case Action::kManageTokens:
      return "manage API tokens";
    case Action::kManageParticipants:
      return "manage the participants of";
    case Action::kConsent:
      return "answer the credit request of";
  }
  return "read";
}

std::string Principal::AuditName() const {
  switch (kind) {
    case Kind::kAnonymous:
      return "anonymous";
    case Kind::kAccount:
      return "user:" + email;
    case Kind::kCapability:
      return "token:" + report_id + (email.empty() ? "" : "/" + email);
    case Kind::kLocal:
      return "cli:" + email;
    case Kind::kCreditLink:
      return "credit-link:" + report_id + "/" + email;
  }
  return "anonymous";
}

bool IsReportScoped(Action a) {
  return a == Action::kRead || a == Action::kPost || a == Action::kTriage ||
         a == Action::kWithdraw || a == Action::kAudit || a == Action::kSubmitPatch ||
         a == Action::kApprovePatch || a == Action::kManageParticipants || a == Action::kConsent;
}

bool SeesAllReports(const Principal& p) {
  return p.kind == Principal::Kind::kLocal ||
         (p.kind == Principal::Kind::kAccount && p.account_role != AccountRole::kMember);
}

bool MayManageTokensOf(const Principal& p, std::string_view owner) {
  if (p.kind == Principal::Kind::kLocal) return true;
  if (p.kind != Principal::Kind::kAccount) return false;
  return p.account_role == AccountRole::kAdmin || p.email == owner;
}

bool MayCoordinate(AccountRole role, bool disabled) {
  return !disabled && role != AccountRole::kMember;
}

Status Authorize(const Principal& p, Action action, const std::string& report_id,
                 const ReportRelation& relation) {
  const bool anonymous = p.kind == Principal::Kind::kAnonymous;
  const Status denied = Status::Denied(std::string("not allowed to ") + ActionName(action) +
                                       (IsReportScoped(action) ? " " + report_id : std::string()));
  // A credit link answers its own credit and opens nothing else, not even the report form; on
  // another report, the same refusal as for a report that does not exist.
  if (p.kind == Principal::Kind::kCreditLink) {
    if (!IsReportScoped(action)) return denied;
    if (action == Action::kConsent && relation.exists && p.report_id == report_id) {
      return Status::Ok();
    }
    return Status::NotFound("report " + report_id + " not found");
  }
  if (action == Action::kSubmit) return Status::Ok();
  if (anonymous) return Status::Unauthenticated("authentication required");
  const bool staff = SeesAllReports(p);
  switch (action) {
    case Action::kSubmit:
      return Status::Ok();
    case Action::kList:
      return Status::Ok();  // filtered by visibility
    case Action::kMetrics:
      return staff ? Status::Ok() : denied;
    case Action::kAdminister:
      return p.kind == Principal::Kind::kLocal ||
                     (p.kind == Principal::Kind::kAccount && p.account_role == AccountRole::kAdmin)
                 ? Status::Ok()
                 : denied;
    case Action::kManageTokens:
      // Every account has tokens of its own; a capability is no account.
      return p.kind == Principal::Kind::kLocal || p.kind == Principal::Kind::kAccount ? Status::Ok()
                                                                                      : denied;
    default:
      break;
  }
  // Report-scoped: a capability opens its own report only; others see it through staff rights
  // or participation. Whoever may not see the report learns nothing about its existence.
  const bool sees =
      relation.exists &&
      (staff || (relation.role.has_value() &&
                 (p.kind != Principal::Kind::kCapability || p.report_id == report_id)));
  if (!sees) return Status::NotFound("report " + report_id + " not found");
  switch (action) {
    case Action::kRead:
    case Action::kPost:
      return Status::Ok();
    case Action::kTriage:
    case Action::kAudit:
      return staff ? Status::Ok() : denied;
    case Action::kWithdraw:
      return relation.role == Role::kReporter ? Status::Ok() : denied;
    case Action::kSubmitPatch:
      // Whoever helps fix: not observers (e.g. downstream distributors), who only read.
      return staff || (relation.role && *relation.role != Role::kObserver) ? Status::Ok() : denied;
    case Action::kApprovePatch:
      return staff ? Status::Ok() : denied;
    case Action::kManageParticipants:
      // The coordinator runs the report; an admin (or the CLI operator) may step in.
      return p.kind == Principal::Kind::kLocal || (p.kind == Principal::Kind::kAccount &&
                                                   (p.account_role == AccountRole::kAdmin ||
                                                    (staff && relation.role == Role::kCoordinator)))
                 ? Status::Ok()
                 : denied;
    case Action::kConsent:
      // Through a credit link only: staff record a credit's consent by editing the credit.
      return denied;
    default:
      return denied;
  }
}

}  // namespace vigil
