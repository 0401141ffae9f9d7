#include "service/report_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include <mutex>

#include <map>

#include <stdlib.h>
#include <condition_variable>

#include <filesystem>

#include "service/credentials.h"
#include "store/audit_chain.h"
#include "store/sqlite_store.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

using testing::kT0;

class ServiceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    config_.maintainers = {"alice@example.org", "bob@example.org"};
    config_.supported_branches = {"release-1.0"};
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    ASSERT_TRUE(
        reports_->AddAccount(local_, "alice@example.org", "Alice", AccountRole::kMaintainer, "")
            .ok());
    ASSERT_TRUE(
        reports_->AddAccount(local_, "bob@example.org", "Bob", AccountRole::kAdmin, "").ok());
    ASSERT_TRUE(
        reports_->AddAccount(local_, "mia@example.org", "Mia", AccountRole::kMember, "").ok());
  }

  Submitted SubmitOne(const std::string& subject = "Token leak in agent") {
    SubmitRequest req;
    req.fields.subject = subject;
    req.fields.steps = "1. run the agent\n2. read the log";
    req.reporter_email = "Rita@Example.org";
    req.reporter_name = "Rita";
    Result<Submitted> s = reports_->Submit(Principal{}, req);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return *s;
  }
};

TEST_F(ServiceTest, SubmitStoresTheReportAndRemindsTheReporter) {
  Submitted s = SubmitOne();
  EXPECT_EQ(s.id, "SEC-2026-0001");
  EXPECT_TRUE(s.token.starts_with("vgc_"));
  EXPECT_EQ(s.token.size(), 4u + 16u + 43u);
  Result<Report> r = reports_->Show(s.id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kReceived);
  EXPECT_EQ(r->embargo.end, kT0 + 90 * kMicrosPerDay);
  ASSERT_EQ(r->participants.size(), 1u);
  EXPECT_EQ(r->participants[0].email, "rita@example.org");
  EXPECT_NE(r->participants[0].token_hash, s.token);  // stored hashed
  std::vector<OutboxMail> out = *store_->Outbox(s.id);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].recipient, "rita@example.org");
  EXPECT_EQ(out[0].subject, "[SEC-2026-0001] Report received");
  EXPECT_TRUE(out[0].body.starts_with("EMBARGO REMINDER: SEC-2026-0001 is a private"));
  EXPECT_NE(out[0].body.find("until 2026-12-20T14:13:20Z (UTC)"), std::string::npos);
}

TEST_F(ServiceTest, SubmitValidatesFields) {
  SubmitRequest req;
  EXPECT_EQ(reports_->Submit(Principal{}, req).status().message(), "subject is required");
  req.fields.subject = "x";
  EXPECT_EQ(reports_->Submit(Principal{}, req).status().message(), "steps is required");
  req.fields.steps = "s";
  req.fields.subject = std::string(301, 'a');
  EXPECT_EQ(reports_->Submit(Principal{}, req).status().message(),
            "subject is longer than 300 bytes");
  req.fields.subject = "two\nlines";
  EXPECT_EQ(reports_->Submit(Principal{}, req).status().message(),
            "subject must be UTF-8 text without control characters or line breaks");
  req.fields.subject = "ok";
  req.fields.steps = std::string("nul\0byte", 8);
  EXPECT_EQ(reports_->Submit(Principal{}, req).status().message(),
            "steps must be UTF-8 text without control characters");
  req.fields.steps = "\xC3\x28";
  EXPECT_EQ(reports_->Submit(Principal{}, req).status().code(), Code::kInvalidArgument);
  req.fields.steps = "caf\xC3\xA9 \xF0\x9F\x94\x92";
  req.reporter_email = "nobody";
  EXPECT_EQ(reports_->Submit(Principal{}, req).status().message(),
            "reporter email \"nobody\" is not an email address");
  req.reporter_email = "";
  EXPECT_TRUE(reports_->Submit(Principal{}, req).ok());
}

TEST_F(ServiceTest, WorkflowWithRemindersForEveryAddedPerson) {
  Submitted s = SubmitOne();
  ASSERT_TRUE(reports_->Assign(local_, s.id, "alice@example.org").ok());
  ASSERT_TRUE(reports_->Confirm(local_, s.id).ok());
  ASSERT_TRUE(reports_->Classify(local_, s.id, 1).ok());
  Result<Invited> inv =
      reports_->Invite(local_, s.id, "Carl@Example.org", "Carl", Role::kCollaborator);
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->report.state, State::kFixing);

  std::vector<OutboxMail> out = *store_->Outbox(s.id);
  std::vector<std::string> reminded;
  for (const OutboxMail& m : out) {
    if (m.kind == "embargo-reminder") reminded.push_back(m.recipient);
  }
  EXPECT_EQ(reminded, (std::vector<std::string>{"rita@example.org", "alice@example.org",
                                                "carl@example.org"}));
  std::vector<StoredEvent> events = *reports_->AuditTrail(s.id);
  std::vector<std::string> kinds;
  for (const StoredEvent& e : events) kinds.push_back(e.kind);
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"report.submitted", "report.assigned", "report.confirmed",
                                      "report.classified", "participant.added"}));
  EXPECT_EQ(events[1].actor, "cli:root");

  // The invited collaborator's token opens this report and acts as a collaborator.
  Result<Principal> carl = reports_->Authenticate(inv->token);
  ASSERT_TRUE(carl.ok());
  EXPECT_TRUE(reports_->Authorize(*carl, Action::kRead, s.id).ok());
  EXPECT_TRUE(reports_->Authorize(*carl, Action::kPost, s.id).ok());
  EXPECT_EQ(reports_->Authorize(*carl, Action::kTriage, s.id).code(), Code::kPermissionDenied);
}

TEST_F(ServiceTest, ARemovedParticipantLosesTheirLinkAndTheirMail) {
  Submitted s = SubmitOne();
  ASSERT_TRUE(reports_->Assign(local_, s.id, "alice@example.org").ok());
  Result<Invited> inv = reports_->Invite(local_, s.id, "carl@example.org", "", Role::kObserver);
  ASSERT_TRUE(inv.ok());
  ASSERT_TRUE(reports_->Authenticate(inv->token).ok());

  Principal coordinator;
  coordinator.kind = Principal::Kind::kAccount;
  coordinator.email = "alice@example.org";
  coordinator.account_role = AccountRole::kMaintainer;
  ASSERT_TRUE(reports_->Authorize(coordinator, Action::kManageParticipants, s.id).ok());
  Result<Report> r = reports_->RemoveParticipant(coordinator, s.id, "Carl@example.org");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->FindParticipant("carl@example.org"), nullptr);
  ASSERT_EQ(r->removed_participants.size(), 1u);
  EXPECT_EQ(r->removed_participants[0].removed_by, "user:alice@example.org");

  EXPECT_EQ(reports_->Authenticate(inv->token).status().message(), "invalid credentials");
  std::vector<StoredEvent> events = *reports_->AuditTrail(s.id);
  EXPECT_EQ(events.back().kind, "participant.removed");
  EXPECT_EQ(events.back().payload, R"({"email":"carl@example.org","role":"observer"})");
  // No longer mailed about the report.
  ASSERT_TRUE(reports_->PostMessage(local_, s.id, "news").ok());
  for (const OutboxMail& m : *store_->Outbox(s.id)) {
    if (m.kind != "embargo-reminder") {
      EXPECT_NE(m.recipient, "carl@example.org") << m.kind;
    }
  }
  EXPECT_EQ(reports_->RemoveParticipant(local_, s.id, "rita@example.org").status().message(),
            "cannot remove rita@example.org from SEC-2026-0001: the reporter cannot be removed");
  EXPECT_EQ(reports_->RemoveParticipant(local_, s.id, "alice@example.org").status().message(),
            "cannot remove alice@example.org from SEC-2026-0001: the coordinator cannot be "
            "removed; assign another first");
  // Another maintainer, not the coordinator, may not.
  Principal bob = coordinator;
  bob.email = "mallory@example.org";
  EXPECT_EQ(reports_->Authorize(bob, Action::kManageParticipants, s.id).message(),
            "not allowed to manage the participants of SEC-2026-0001");
}

TEST_F(ServiceTest, AReplacedLinkIsMailedAndTheOldOneStopsAtOnce) {
  Submitted s = SubmitOne();
  Result<Report> before = reports_->Show(s.id);
  ASSERT_TRUE(before.ok());
  const std::string old_hash = before->participants[0].token_hash;
  Result<Report> r = reports_->ReplaceLink(local_, s.id, "rita@example.org");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(reports_->Authenticate(s.token).status().message(), "invalid credentials");
  const std::string new_hash = r->participants[0].token_hash;
  EXPECT_NE(new_hash, old_hash);

  std::vector<OutboxMail> out = *store_->Outbox(s.id);
  ASSERT_EQ(out.back().kind, "link-replaced");
  EXPECT_EQ(out.back().recipient, "rita@example.org");
  EXPECT_EQ(out.back().subject, "[SEC-2026-0001] Your private link was replaced");
  const std::string base = config_.public_url + "/track/";
  const size_t at = out.back().body.find(base);
  ASSERT_NE(at, std::string::npos) << out.back().body;
  const std::string token = out.back().body.substr(at + base.size(), 4 + 16 + 43);
  EXPECT_EQ(TokenHash(token), new_hash);
  Result<Principal> rita = reports_->Authenticate(token);
  ASSERT_TRUE(rita.ok());
  EXPECT_EQ(rita->report_id, s.id);

  // The event names the hash, never the token.
  StoredEvent e = reports_->AuditTrail(s.id)->back();
  EXPECT_EQ(e.kind, "participant.link_replaced");
  EXPECT_EQ(e.payload, R"({"email":"rita@example.org","token_hash":")" + new_hash + R"("})");
  EXPECT_EQ(e.payload.find(token), std::string::npos);
  EXPECT_EQ(reports_->ReplaceLink(local_, s.id, "x@example.org").status().message(),
            "cannot replace the link of x@example.org on SEC-2026-0001: they are not a "
            "participant");
}

TEST_F(ServiceTest, LinksExpireTheConfiguredDaysAfterTheReportCloses) {
  Submitted s = SubmitOne();
  clock_.Advance(kMicrosPerDay);
  Result<Principal> rita = reports_->Authenticate(s.token);
  ASSERT_TRUE(rita.ok());
  ASSERT_TRUE(reports_->Withdraw(*rita, s.id, "fixed upstream").ok());
  const Instant closed = kT0 + kMicrosPerDay;
  EXPECT_EQ(reports_->Show(s.id)->closed_at, closed);
  clock_.Set(closed + 30 * kMicrosPerDay - 1);
  EXPECT_TRUE(reports_->Authenticate(s.token).ok());
  clock_.Set(closed + 30 * kMicrosPerDay);
  Result<Principal> late = reports_->Authenticate(s.token);
  EXPECT_EQ(late.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(late.status().message(),
            "this link expired on 2026-10-22T14:13:20Z: report SEC-2026-0001 is closed");
  // 0 days: at once.
  Config at_once_config = config_;
  at_once_config.capability_days_after_close = 0;
  ReportService at_once(*store_, clock_, at_once_config);
  clock_.Set(closed);
  EXPECT_EQ(at_once.Authenticate(s.token).status().message(),
            "this link expired on 2026-09-22T14:13:20Z: report SEC-2026-0001 is closed");
}

TEST_F(ServiceTest, MessagesNotifyOtherParticipantsOnly) {
  Submitted s = SubmitOne();
  ASSERT_TRUE(reports_->Assign(local_, s.id, "alice@example.org").ok());
  Result<Principal> rita = reports_->Authenticate(s.token);
  ASSERT_TRUE(rita.ok());
  Result<ThreadMessage> m = reports_->PostMessage(*rita, s.id, "Any news?");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->seq, 1);
  EXPECT_EQ(m->author_role, "reporter");
  std::vector<OutboxMail> notes;
  for (const OutboxMail& o : *store_->Outbox(s.id)) {
    if (o.kind == "message") notes.push_back(o);
  }
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].recipient, "alice@example.org");
  EXPECT_NE(notes[0].body.find("Any news?"), std::string::npos);
  EXPECT_EQ(reports_->PostMessage(*rita, s.id, "  ").status().message(),
            "message body is required");
  EXPECT_EQ(reports_->Thread(Principal{Principal::Kind::kLocal, "root"}, s.id)->size(), 1u);
}

TEST_F(ServiceTest, AssignNeedsAMaintainerAccountAndRoundRobinRotates) {
  Submitted a = SubmitOne("a"), b = SubmitOne("b"), c = SubmitOne("c");
  EXPECT_EQ(reports_->Assign(local_, a.id, "mia@example.org").status().message(),
            "mia@example.org is not an active maintainer account and cannot coordinate");
  EXPECT_EQ(reports_->Assign(local_, a.id, "ghost@example.org").status().message(),
            "ghost@example.org is not an active maintainer account and cannot coordinate");

  Config rr = reports_->config();
  rr.round_robin = true;
  ReportService auto_assign(*store_, clock_, rr);
  SubmitRequest req;
  req.fields.subject = "auto";
  req.fields.steps = "s";
  std::vector<std::string> coordinators;
  for (int i = 0; i < 3; ++i) {
    Result<Submitted> s = auto_assign.Submit(Principal{}, req);
    ASSERT_TRUE(s.ok());
    Result<Report> r = auto_assign.Show(s->id);
    EXPECT_EQ(r->state, State::kTriage);
    coordinators.push_back(r->coordinator);
  }
  EXPECT_EQ(coordinators, (std::vector<std::string>{"alice@example.org", "bob@example.org",
                                                    "alice@example.org"}));
  (void)b;
  (void)c;
}

// Turns are handed out inside the write: submissions in flight together take consecutive turns,
// none is refused or retried, and each report's chain records its assignment.
TEST_F(ServiceTest, ConcurrentSubmissionsTakeConsecutiveRoundRobinTurns) {
  Config rr = reports_->config();
  rr.round_robin = true;
  ReportService auto_assign(*store_, clock_, rr);
  constexpr int kSubmissions = 40;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Result<Submitted>> results;
  for (int i = 0; i < kSubmissions; ++i) {
    SubmitRequest req;
    req.fields.subject = "auto " + std::to_string(i);
    req.fields.steps = "s";
    auto_assign.SubmitThen(Principal{}, std::move(req), [&](Result<Submitted> r) {
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(std::move(r));
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return results.size() == kSubmissions; });
  }
  std::map<std::string, int> per_coordinator;
  for (const Result<Submitted>& s : results) {
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    Result<Report> r = auto_assign.Show(s->id);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->state, State::kTriage);
    ++per_coordinator[r->coordinator];
    std::vector<StoredEvent> chain = *store_->Events(s->id);
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(chain[1].kind, "report.assigned");
  }
  EXPECT_EQ(per_coordinator, (std::map<std::string, int>{{"alice@example.org", kSubmissions / 2},
                                                         {"bob@example.org", kSubmissions / 2}}));
  EXPECT_EQ(*store_->Counter("round_robin"), kSubmissions);
}

// A refused submission is answered at once, without a write.
TEST_F(ServiceTest, SubmitThenAnswersARefusalAtOnce) {
  SubmitRequest req;
  req.fields.subject = "  ";
  std::optional<Result<Submitted>> answer;
  reports_->SubmitThen(Principal{}, req, [&](Result<Submitted> r) { answer = std::move(r); });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status().message(), "subject is required");
}

TEST_F(ServiceTest, TokensAuthenticateUntilRevokedExpiredOrDisabled) {
  Result<std::string> token = reports_->CreateApiToken(local_, "mia@example.org", "ci", 1);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(token->starts_with("vgt_"));
  Result<Principal> p = reports_->Authenticate(*token);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, Principal::Kind::kAccount);
  EXPECT_EQ(p->account_role, AccountRole::kMember);

  // One wrong character.
  std::string wrong = *token;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(reports_->Authenticate(wrong).status().message(), "invalid credentials");
  EXPECT_EQ(reports_->Authenticate("Basic xyz").status().code(), Code::kUnauthenticated);

  clock_.Advance(kMicrosPerDay);
  EXPECT_EQ(reports_->Authenticate(*token).status().code(), Code::kUnauthenticated);

  Result<std::string> other = reports_->CreateApiToken(local_, "mia@example.org", "ci2", 0);
  EXPECT_TRUE(reports_->Authenticate(*other).ok());
  ASSERT_TRUE(reports_->SetAccountDisabled(local_, "mia@example.org", true).ok());
  EXPECT_EQ(reports_->Authenticate(*other).status().code(), Code::kUnauthenticated);
  ASSERT_TRUE(reports_->SetAccountDisabled(local_, "mia@example.org", false).ok());
  EXPECT_TRUE(reports_->Authenticate(*other).ok());
  ASSERT_TRUE(reports_->RevokeApiToken(local_, *other).ok());
  EXPECT_EQ(reports_->Authenticate(*other).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(reports_->RevokeApiToken(local_, *other).message(), "no such active token");

  // Account events are on the system chain, without the token.
  for (const StoredEvent& e : *store_->Events(kSystemChain)) {
    EXPECT_EQ(e.payload.find(*other), std::string::npos);
  }
}

TEST_F(ServiceTest, TokensExpireAfterTheConfiguredDaysUnlessToldOtherwise) {
  auto expiry = [&](ReportService& service, const std::string& token) -> Instant {
    Result<std::vector<ApiTokenInfo>> all = service.ListApiTokens(local_, "");
    EXPECT_TRUE(all.ok());
    for (const ApiTokenInfo& t : *all) {
      if (t.id == TokenHashLabel(TokenHash(token))) return t.expires_at;
    }
    ADD_FAILURE() << "token not listed";
    return -1;
  };
  Result<std::string> standard = reports_->CreateApiToken(local_, "mia@example.org", "", {});
  ASSERT_TRUE(standard.ok());
  EXPECT_EQ(expiry(*reports_, *standard), kT0 + 90 * kMicrosPerDay);  // web.api_token_days
  Result<std::string> never = reports_->CreateApiToken(local_, "mia@example.org", "", 0);
  EXPECT_EQ(expiry(*reports_, *never), 0);
  Result<std::string> long_lived = reports_->CreateApiToken(local_, "mia@example.org", "", 400);
  EXPECT_EQ(expiry(*reports_, *long_lived), kT0 + 400 * kMicrosPerDay);
  EXPECT_EQ(reports_->CreateApiToken(local_, "mia@example.org", "", 3651).status().message(),
            "expiry must be 0 to 3650 days");

  Config week = config_;
  week.api_token_days = 7;
  ReportService short_lived(*store_, clock_, week);
  Result<std::string> weekly = short_lived.CreateApiToken(local_, "mia@example.org", "", {});
  EXPECT_EQ(expiry(short_lived, *weekly), kT0 + 7 * kMicrosPerDay);

  clock_.Advance(7 * kMicrosPerDay - 1);
  EXPECT_TRUE(reports_->Authenticate(*weekly).ok());
  clock_.Advance(1);
  EXPECT_EQ(reports_->Authenticate(*weekly).status().message(), "invalid credentials");
  clock_.Advance(83 * kMicrosPerDay);
  EXPECT_EQ(reports_->Authenticate(*standard).status().message(), "invalid credentials");
  EXPECT_TRUE(reports_->Authenticate(*never).ok());
  EXPECT_TRUE(reports_->Authenticate(*long_lived).ok());
}

TEST_F(ServiceTest, TokensAreListedAndRevokedByIdByTheirOwnerOrAnAdmin) {
  const Principal mia{Principal::Kind::kAccount, "mia@example.org", AccountRole::kMember};
  const Principal alice{Principal::Kind::kAccount, "alice@example.org", AccountRole::kMaintainer};
  const Principal bob{Principal::Kind::kAccount, "bob@example.org", AccountRole::kAdmin};
  const std::string ci = *reports_->CreateApiToken(local_, "mia@example.org", "ci", 30);
  clock_.Advance(1);
  const std::string laptop = *reports_->CreateApiToken(local_, "mia@example.org", "laptop", 1);
  clock_.Advance(1);
  const std::string desk = *reports_->CreateApiToken(local_, "alice@example.org", "desk", 30);
  auto id = [](const std::string& token) { return TokenHashLabel(TokenHash(token)); };
  auto ids = [&](const Principal& who, const std::string& email) {
    std::vector<std::string> out;
    Result<std::vector<ApiTokenInfo>> list = reports_->ListApiTokens(who, email);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (list.ok()) {
      for (const ApiTokenInfo& t : *list) out.push_back(t.id + " " + t.state);
    }
    return out;
  };

  // The owner sees their own tokens only, whatever they ask for; an admin sees anyone's.
  Result<std::vector<ApiTokenInfo>> own = reports_->ListApiTokens(mia, "");
  ASSERT_TRUE(own.ok());
  ASSERT_EQ(own->size(), 2u);
  EXPECT_EQ((*own)[0].id, id(ci));
  EXPECT_EQ((*own)[0].id.size(), 12u);
  EXPECT_EQ((*own)[0].account, "mia@example.org");
  EXPECT_EQ((*own)[0].label, "ci");
  EXPECT_EQ((*own)[0].created_at, kT0);
  EXPECT_EQ((*own)[0].expires_at, kT0 + 30 * kMicrosPerDay);
  EXPECT_EQ((*own)[0].revoked_at, 0);
  EXPECT_EQ((*own)[0].state, "live");
  EXPECT_EQ(ids(mia, "MIA@example.org"), ids(mia, ""));
  EXPECT_EQ(ids(bob, "mia@example.org"), ids(mia, ""));
  EXPECT_EQ(ids(bob, ""),
            (std::vector<std::string>{id(ci) + " live", id(laptop) + " live", id(desk) + " live"}));
  EXPECT_EQ(ids(local_, ""), ids(bob, ""));
  EXPECT_EQ(ids(alice, ""), (std::vector<std::string>{id(desk) + " live"}));
  // Another account's tokens look like a missing account's, even to a maintainer.
  Result<std::vector<ApiTokenInfo>> others = reports_->ListApiTokens(alice, "mia@example.org");
  EXPECT_EQ(others.status().code(), Code::kNotFound);
  EXPECT_EQ(others.status().message(), "account mia@example.org not found");
  EXPECT_EQ(reports_->ListApiTokens(alice, "nobody@example.org").status().message(),
            "account nobody@example.org not found");
  EXPECT_EQ(reports_->ListApiTokens(bob, "nobody@example.org").status().message(),
            "account nobody@example.org not found");

  // Revocation by someone else is refused exactly as for an id that does not exist.
  Status foreign = reports_->RevokeApiTokenById(alice, id(ci));
  EXPECT_EQ(foreign.code(), Code::kNotFound);
  EXPECT_EQ(foreign.message(), "no API token with id " + id(ci));
  Status unknown = reports_->RevokeApiTokenById(alice, "0123456789ab");
  EXPECT_EQ(unknown.code(), Code::kNotFound);
  EXPECT_EQ(unknown.message(), "no API token with id 0123456789ab");
  Principal capability{Principal::Kind::kCapability, "mia@example.org"};
  capability.report_id = "SEC-2026-0001";
  EXPECT_EQ(reports_->RevokeApiTokenById(capability, id(ci)).message(),
            "no API token with id " + id(ci));
  EXPECT_EQ(reports_->RevokeApiTokenById(mia, "ABC").message(), "an API token id is 12 hex digits");
  EXPECT_EQ(reports_->RevokeApiTokenById(mia, id(ci) + "\n").message(),
            "an API token id is 12 hex digits");
  EXPECT_TRUE(reports_->Authenticate(ci).ok());

  // An expired token is listed as such, and may still be revoked.
  clock_.Advance(kMicrosPerDay);
  EXPECT_EQ(ids(mia, ""), (std::vector<std::string>{id(ci) + " live", id(laptop) + " expired"}));
  EXPECT_TRUE(reports_->RevokeApiTokenById(mia, id(laptop)).ok());

  // The owner revokes; the token stops working at once; a second revocation is a conflict.
  ASSERT_TRUE(reports_->RevokeApiTokenById(mia, id(ci)).ok());
  EXPECT_EQ(reports_->Authenticate(ci).status().message(), "invalid credentials");
  Status again = reports_->RevokeApiTokenById(mia, id(ci));
  EXPECT_EQ(again.code(), Code::kConflict);
  EXPECT_EQ(again.message(), "API token " + id(ci) + " is already revoked");
  EXPECT_EQ(ids(mia, ""), (std::vector<std::string>{id(ci) + " revoked", id(laptop) + " revoked"}));
  EXPECT_EQ(reports_->ListApiTokens(mia, "")->front().revoked_at, kT0 + 2 + kMicrosPerDay);

  // An admin revokes anyone's.
  ASSERT_TRUE(reports_->RevokeApiTokenById(bob, id(desk)).ok());
  EXPECT_EQ(reports_->Authenticate(desk).status().message(), "invalid credentials");

  // Each revocation is an event on the system chain, naming the token by its id only.
  std::vector<std::string> revocations;
  for (const StoredEvent& e : *store_->Events(kSystemChain)) {
    for (const std::string& token : {ci, laptop, desk}) {
      EXPECT_EQ(e.payload.find(TokenHash(token).substr(16 + 12)), std::string::npos);
      EXPECT_EQ(e.payload.find(token), std::string::npos);
    }
    if (e.kind == "token.revoked") revocations.push_back(e.actor + " " + e.payload);
  }
  EXPECT_EQ(revocations,
            (std::vector<std::string>{
                "user:mia@example.org {\"account\":\"mia@example.org\",\"token_hash_prefix\":\"" +
                    id(laptop) + "\"}",
                "user:mia@example.org {\"account\":\"mia@example.org\",\"token_hash_prefix\":\"" +
                    id(ci) + "\"}",
                "user:bob@example.org {\"account\":\"alice@example.org\",\"token_hash_prefix\":\"" +
                    id(desk) + "\"}"}));
}

// Ids are 48 bits of a hash: two visible tokens sharing one are refused rather than guessed at.
TEST_F(ServiceTest, AnAmbiguousTokenIdRevokesNothing) {
  const std::string digest = "abcdef012345" + std::string(52, '0');
  WriteBatch b;
  b.tokens.push_back({"0000000000000001" + digest, "mia@example.org", "a", kT0, 0, 0});
  b.tokens.push_back({"0000000000000002" + digest, "mia@example.org", "b", kT0, 0, 0});
  ASSERT_TRUE(store_->Write(std::move(b)).ok());
  Status s = reports_->RevokeApiTokenById(local_, "abcdef012345");
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.message(),
            "API token id abcdef012345 names more than one token; revoke it with the token itself");
  for (const ApiTokenInfo& t : *reports_->ListApiTokens(local_, "")) EXPECT_EQ(t.state, "live");
}

TEST_F(ServiceTest, StoredTokensAreOrderedBySelectorAndOldTokensStillAuthenticate) {
  // The stored form is the token's selector, then the SHA-256 of the whole token: tokens made
  // one after another sort in that order, so the indexes over them are appended to.
  // (Two tokens of the same microsecond share a selector: only selectors are compared.)
  std::vector<std::string> selectors;
  for (int i = 0; i < 50; ++i) {
    const std::string token = NewToken(kCapabilityPrefix);
    ASSERT_EQ(token.size(), 63u);
    const std::string h = TokenHash(token);
    ASSERT_EQ(h, token.substr(4, 16) + Sha256Hex(token));
    EXPECT_EQ(TokenHashLabel(h), Sha256Hex(token).substr(0, 12));
    selectors.push_back(h.substr(0, 16));
  }
  EXPECT_TRUE(std::is_sorted(selectors.begin(), selectors.end()));
  // A token without a selector (as issued before selectors) is stored by its hash alone...
  const std::string legacy = "vgt_" + std::string(43, 'Q');
  EXPECT_EQ(TokenHash(legacy), Sha256Hex(legacy));
  EXPECT_EQ(TokenHashLabel(TokenHash(legacy)), Sha256Hex(legacy).substr(0, 12));
  // ... and a row stored that way still authenticates and can be revoked.
  WriteBatch b;
  b.tokens.push_back({TokenHash(legacy), "mia@example.org", "old", kT0, 0, 0});
  ASSERT_TRUE(store_->Write(std::move(b)).ok());
  Result<Principal> p = reports_->Authenticate(legacy);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->email, "mia@example.org");
  ASSERT_TRUE(reports_->RevokeApiToken(local_, legacy).ok());
  EXPECT_EQ(reports_->Authenticate(legacy).status().message(), "invalid credentials");
  // A selector that is not lower-case hex makes no stored form of the second kind.
  const std::string odd = "vgc_" + std::string(16, 'G') + std::string(43, 'Q');
  EXPECT_EQ(TokenHash(odd), Sha256Hex(odd));
}

TEST_F(ServiceTest, MembersSeeOnlyWhatTheyParticipateIn) {
  Submitted a = SubmitOne("a");
  SubmitOne("b");
  ASSERT_TRUE(reports_->Invite(local_, a.id, "mia@example.org", "", Role::kObserver).ok());
  Principal mia;
  mia.kind = Principal::Kind::kAccount;
  mia.email = "mia@example.org";
  Result<std::vector<ReportSummary>> list = reports_->List(mia, std::nullopt);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, a.id);
  Principal alice;
  alice.kind = Principal::Kind::kAccount;
  alice.email = "alice@example.org";
  alice.account_role = AccountRole::kMaintainer;
  EXPECT_EQ(reports_->List(alice, std::nullopt)->size(), 2u);
  Result<Principal> rita = reports_->Authenticate(a.token);
  EXPECT_EQ(reports_->List(*rita, std::nullopt)->size(), 1u);
}

TEST_F(ServiceTest, CoordinatorsAreActiveStaffAndNobodyDisablesTheirOwnAccount) {
  Principal bob;
  bob.kind = Principal::Kind::kAccount;
  bob.email = "bob@example.org";
  bob.account_role = AccountRole::kAdmin;
  Status own = reports_->SetAccountDisabled(bob, "Bob@Example.org", true);
  EXPECT_EQ(own.code(), Code::kConflict);
  EXPECT_EQ(own.message(), "you cannot disable your own account");
  ASSERT_TRUE(reports_->SetAccountDisabled(bob, "alice@example.org", true).ok());
  Result<std::vector<Account>> coordinators = reports_->Coordinators();
  ASSERT_TRUE(coordinators.ok());
  ASSERT_EQ(coordinators->size(), 1u);
  EXPECT_EQ(coordinators->front().email, "bob@example.org");
  EXPECT_EQ(reports_->ListAccounts()->size(), 3u);
}

TEST_F(ServiceTest, DuplicateNeedsAnExistingOriginal) {
  Submitted a = SubmitOne("a");
  EXPECT_EQ(reports_->MarkDuplicate(local_, a.id, "SEC-2026-0099").status().message(),
            "original report SEC-2026-0099 does not exist");
  Submitted b = SubmitOne("b");
  Result<Report> r = reports_->MarkDuplicate(local_, b.id, a.id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->duplicate_of, a.id);
  EXPECT_EQ(reports_->Confirm(local_, b.id).status().message(),
            "cannot confirm SEC-2026-0002: it is duplicate; confirm needs triage");
}

TEST_F(ServiceTest, ConcurrentCommandsOnOneReportAreSerialized) {
  Submitted s = SubmitOne();
  ASSERT_TRUE(reports_->Assign(local_, s.id, "alice@example.org").ok());
  std::atomic<int> confirmed{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      Result<Report> r = reports_->Confirm(local_, s.id);
      (r.ok() ? confirmed : refused)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(confirmed.load(), 1);
  EXPECT_EQ(refused.load(), 7);
  EXPECT_EQ(reports_->AuditTrail(s.id)->size(), 3u);
}

}  // namespace
}  // namespace vigil
