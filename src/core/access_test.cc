#include "core/access.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

Principal Account(AccountRole role, const std::string& email) {
  Principal p;
  p.kind = Principal::Kind::kAccount;
  p.account_role = role;
  p.email = email;
  return p;
}

TEST(AccessTest, AnonymousMaySubmitOnly) {
  Principal anon;
  EXPECT_TRUE(Authorize(anon, Action::kSubmit, "", {}).ok());
  for (Action a :
       {Action::kList, Action::kRead, Action::kTriage, Action::kMetrics, Action::kAdminister}) {
    EXPECT_EQ(Authorize(anon, a, "SEC-2026-0001", {true, std::nullopt}).code(),
              Code::kUnauthenticated);
  }
}

TEST(AccessTest, CapabilityOpensItsOwnReportOnly) {
  Principal cap;
  cap.kind = Principal::Kind::kCapability;
  cap.report_id = "SEC-2026-0001";
  EXPECT_TRUE(Authorize(cap, Action::kRead, "SEC-2026-0001", {true, Role::kReporter}).ok());
  EXPECT_TRUE(Authorize(cap, Action::kWithdraw, "SEC-2026-0001", {true, Role::kReporter}).ok());
  Status other = Authorize(cap, Action::kRead, "SEC-2026-0002", {true, Role::kReporter});
  EXPECT_EQ(other.code(), Code::kNotFound);
  EXPECT_EQ(other.message(), "report SEC-2026-0002 not found");
  Status triage = Authorize(cap, Action::kTriage, "SEC-2026-0001", {true, Role::kReporter});
  EXPECT_EQ(triage.code(), Code::kPermissionDenied);
  EXPECT_EQ(triage.message(), "not allowed to triage SEC-2026-0001");
}

TEST(AccessTest, ACreditLinkAnswersItsOwnCreditAndOpensNothingElse) {
  Principal link;
  link.kind = Principal::Kind::kCreditLink;
  link.report_id = "SEC-2026-0001";
  link.email = "fixer@example.org";
  EXPECT_EQ(link.AuditName(), "credit-link:SEC-2026-0001/fixer@example.org");
  // Even when its address is a participant's: the link carries no participant's rights.
  for (std::optional<Role> role : {std::optional<Role>(), std::optional<Role>(Role::kReporter)}) {
    EXPECT_TRUE(Authorize(link, Action::kConsent, "SEC-2026-0001", {true, role}).ok());
    for (Action a :
         {Action::kRead, Action::kPost, Action::kTriage, Action::kWithdraw, Action::kAudit,
          Action::kSubmitPatch, Action::kApprovePatch, Action::kManageParticipants}) {
      Status s = Authorize(link, a, "SEC-2026-0001", {true, role});
      EXPECT_EQ(s.code(), Code::kNotFound) << ActionName(a);
      EXPECT_EQ(s.message(), "report SEC-2026-0001 not found");
    }
  }
  for (Action a : {Action::kSubmit, Action::kList, Action::kMetrics, Action::kAdminister,
                   Action::kManageTokens}) {
    EXPECT_EQ(Authorize(link, a, "", {}).code(), Code::kPermissionDenied) << ActionName(a);
  }
  // Another report, or one that no longer exists: as for a report nobody may see.
  EXPECT_EQ(Authorize(link, Action::kConsent, "SEC-2026-0002", {true, std::nullopt}).message(),
            "report SEC-2026-0002 not found");
  EXPECT_EQ(Authorize(link, Action::kConsent, "SEC-2026-0001", {false, std::nullopt}).code(),
            Code::kNotFound);
}

TEST(AccessTest, OnlyACreditLinkAnswersACreditRequest) {
  const std::string id = "SEC-2026-0001";
  Principal anon;
  EXPECT_EQ(Authorize(anon, Action::kConsent, id, {true, std::nullopt}).code(),
            Code::kUnauthenticated);
  Principal cap;
  cap.kind = Principal::Kind::kCapability;
  cap.report_id = id;
  Principal cli;
  cli.kind = Principal::Kind::kLocal;
  for (const Principal& p : {Account(AccountRole::kMember, "m@example.org"),
                             Account(AccountRole::kMaintainer, "m@example.org"),
                             Account(AccountRole::kAdmin, "a@example.org"), cap, cli}) {
    Status s = Authorize(p, Action::kConsent, id, {true, Role::kReporter});
    EXPECT_EQ(s.code(), Code::kPermissionDenied) << p.AuditName();
    EXPECT_EQ(s.message(), "not allowed to answer the credit request of SEC-2026-0001");
  }
}

TEST(AccessTest, NonParticipantCannotTellExistence) {
  Principal member = Account(AccountRole::kMember, "m@example.org");
  EXPECT_EQ(Authorize(member, Action::kRead, "SEC-2026-0001", {true, std::nullopt}).message(),
            Authorize(member, Action::kRead, "SEC-2026-0001", {false, std::nullopt}).message());
}

TEST(AccessTest, StaffSeeEverythingAdminsAdminister) {
  Principal m = Account(AccountRole::kMaintainer, "m@example.org");
  Principal a = Account(AccountRole::kAdmin, "a@example.org");
  for (Action act : {Action::kRead, Action::kTriage, Action::kAudit, Action::kPost}) {
    EXPECT_TRUE(Authorize(m, act, "SEC-2026-0001", {true, std::nullopt}).ok());
  }
  EXPECT_EQ(Authorize(m, Action::kWithdraw, "SEC-2026-0001", {true, std::nullopt}).code(),
            Code::kPermissionDenied);
  EXPECT_EQ(Authorize(m, Action::kAdminister, "", {}).code(), Code::kPermissionDenied);
  EXPECT_TRUE(Authorize(a, Action::kAdminister, "", {}).ok());
  EXPECT_EQ(Authorize(m, Action::kRead, "SEC-2026-0009", {false, std::nullopt}).code(),
            Code::kNotFound);
}

TEST(AccessTest, CoordinatorsAndAdminsManageParticipants) {
  const std::string id = "SEC-2026-0001";
  Principal m = Account(AccountRole::kMaintainer, "m@example.org");
  Principal a = Account(AccountRole::kAdmin, "a@example.org");
  EXPECT_TRUE(Authorize(m, Action::kManageParticipants, id, {true, Role::kCoordinator}).ok());
  EXPECT_TRUE(Authorize(a, Action::kManageParticipants, id, {true, std::nullopt}).ok());
  Status other = Authorize(m, Action::kManageParticipants, id, {true, Role::kMaintainer});
  EXPECT_EQ(other.code(), Code::kPermissionDenied);
  EXPECT_EQ(other.message(), "not allowed to manage the participants of SEC-2026-0001");
  Principal cap;
  cap.kind = Principal::Kind::kCapability;
  cap.report_id = id;
  EXPECT_EQ(Authorize(cap, Action::kManageParticipants, id, {true, Role::kReporter}).message(),
            "not allowed to manage the participants of SEC-2026-0001");
  Principal cli;
  cli.kind = Principal::Kind::kLocal;
  EXPECT_TRUE(Authorize(cli, Action::kManageParticipants, id, {true, std::nullopt}).ok());
}

TEST(AccessTest, AccountsManageTheirOwnTokensAdminsEveryones) {
  Principal member = Account(AccountRole::kMember, "m@example.org");
  Principal maintainer = Account(AccountRole::kMaintainer, "n@example.org");
  Principal admin = Account(AccountRole::kAdmin, "a@example.org");
  Principal cli;
  cli.kind = Principal::Kind::kLocal;
  Principal cap;
  cap.kind = Principal::Kind::kCapability;
  cap.report_id = "SEC-2026-0001";
  cap.email = "m@example.org";  // a participant whose email is also an account's
  for (const Principal* p : {&member, &maintainer, &admin, &cli}) {
    EXPECT_TRUE(Authorize(*p, Action::kManageTokens, "", {}).ok()) << p->AuditName();
  }
  Status refused = Authorize(cap, Action::kManageTokens, "", {});
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
  EXPECT_EQ(refused.message(), "not allowed to manage API tokens");
  EXPECT_EQ(Authorize(Principal{}, Action::kManageTokens, "", {}).code(), Code::kUnauthenticated);

  EXPECT_TRUE(MayManageTokensOf(member, "m@example.org"));
  EXPECT_FALSE(MayManageTokensOf(member, "a@example.org"));
  EXPECT_FALSE(MayManageTokensOf(maintainer, "m@example.org"));  // staff, but not admin
  EXPECT_TRUE(MayManageTokensOf(admin, "m@example.org"));
  EXPECT_TRUE(MayManageTokensOf(cli, "m@example.org"));
  EXPECT_FALSE(MayManageTokensOf(cap, "m@example.org"));
  EXPECT_FALSE(MayManageTokensOf(Principal{}, ""));
}

TEST(AccessTest, OnlyActiveMaintainersAndAdminsMayCoordinate) {
  EXPECT_TRUE(MayCoordinate(AccountRole::kMaintainer, false));
  EXPECT_TRUE(MayCoordinate(AccountRole::kAdmin, false));
  EXPECT_FALSE(MayCoordinate(AccountRole::kMember, false));
  EXPECT_FALSE(MayCoordinate(AccountRole::kMaintainer, true));
  EXPECT_FALSE(MayCoordinate(AccountRole::kAdmin, true));
}

}  // namespace
}  // namespace vigil
