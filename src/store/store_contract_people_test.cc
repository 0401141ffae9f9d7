// The store contract: accounts, credentials, sessions and TOTP; and full-text search.
#include <set>
#include <string>

#include "store/store_contract.h"

namespace vigil::contract {
namespace {

Account MakeAccount(const std::string& email, AccountRole role) {
  Account a;
  a.email = email;
  a.name = "Name of " + email;
  a.role = role;
  a.password_hash = "$argon2id$v=19$" + email;
  a.created_at = kT0;
  return a;
}

TEST_P(StoreContract, AccountsAreUpsertedByEmailAndListedByEmail) {
  WriteBatch b;
  b.accounts.push_back(MakeAccount("zoe@example.org", AccountRole::kMember));
  b.accounts.push_back(MakeAccount("amy@example.org", AccountRole::kAdmin));
  b.events.push_back({kSystemChain, kT0, "cli:init", "account.created", "{}"});
  ASSERT_TRUE(store().Write(std::move(b)).ok());
  WriteBatch change;
  Account zoe = MakeAccount("zoe@example.org", AccountRole::kMaintainer);
  zoe.disabled = true;
  zoe.password_hash = "";
  change.accounts.push_back(zoe);
  ASSERT_TRUE(store().Write(std::move(change)).ok());

  Result<std::vector<Account>> all = store().ListAccounts();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].email, "amy@example.org");
  EXPECT_EQ((*all)[0].role, AccountRole::kAdmin);
  EXPECT_EQ((*all)[0].password_hash, "$argon2id$v=19$amy@example.org");
  Result<std::optional<Account>> z = store().FindAccount("zoe@example.org");
  ASSERT_TRUE(z.ok() && z->has_value());
  EXPECT_EQ((*z)->name, "Name of zoe@example.org");
  EXPECT_EQ((*z)->role, AccountRole::kMaintainer);
  EXPECT_TRUE((*z)->disabled);
  EXPECT_EQ((*z)->password_hash, "");
  EXPECT_EQ((*z)->created_at, kT0);
  EXPECT_FALSE(store().FindAccount("nobody@example.org")->has_value());
}

TEST_P(StoreContract, ApiTokensAreFoundByHashAndRevokedOnce) {
  WriteBatch b;
  b.accounts.push_back(MakeAccount("amy@example.org", AccountRole::kAdmin));
  b.tokens.push_back({HashOf("t1"), "amy@example.org", "laptop", kT0, kT0 + kMicrosPerDay, 0});
  ASSERT_TRUE(store().Write(std::move(b)).ok());
  Result<std::optional<ApiToken>> t = store().FindApiToken(HashOf("t1"));
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->account_email, "amy@example.org");
  EXPECT_EQ((*t)->label, "laptop");
  EXPECT_EQ((*t)->created_at, kT0);
  EXPECT_EQ((*t)->expires_at, kT0 + kMicrosPerDay);
  EXPECT_EQ((*t)->revoked_at, 0);
  EXPECT_FALSE(store().FindApiToken(HashOf("t2"))->has_value());

  WriteBatch duplicate;
  duplicate.tokens.push_back({HashOf("t1"), "amy@example.org", "again", kT0, 0, 0});
  EXPECT_EQ(store().Write(std::move(duplicate)).status().code(), Code::kConflict);

  WriteBatch revoke;
  revoke.revoke_token_hashes.push_back(HashOf("t1"));
  revoke.now = kT0 + 7;
  ASSERT_TRUE(store().Write(std::move(revoke)).ok());
  EXPECT_EQ((*store().FindApiToken(HashOf("t1")))->revoked_at, kT0 + 7);
  WriteBatch again;
  again.revoke_token_hashes.push_back(HashOf("t1"));
  again.now = kT0 + 8;
  Result<WriteResult> w = store().Write(std::move(again));
  EXPECT_EQ(w.status().code(), Code::kNotFound);
  EXPECT_EQ(w.status().message(), "no such active token");
  EXPECT_EQ((*store().FindApiToken(HashOf("t1")))->revoked_at, kT0 + 7);
}

TEST_P(StoreContract, ApiTokensAreListedByAccountOldestFirst) {
  WriteBatch b;
  b.accounts.push_back(MakeAccount("amy@example.org", AccountRole::kAdmin));
  b.accounts.push_back(MakeAccount("bob@example.org", AccountRole::kMember));
  b.tokens.push_back({HashOf("b1"), "bob@example.org", "ci", kT0 + 2, 0, 0});
  b.tokens.push_back({HashOf("a2"), "amy@example.org", "laptop", kT0 + 3, kT0 + 9, 0});
  b.tokens.push_back({HashOf("a1"), "amy@example.org", "desk", kT0 + 1, 0, 0});
  ASSERT_TRUE(store().Write(std::move(b)).ok());
  WriteBatch revoke;
  revoke.revoke_token_hashes.push_back(HashOf("a2"));
  revoke.now = kT0 + 5;
  ASSERT_TRUE(store().Write(std::move(revoke)).ok());

  Result<std::vector<ApiToken>> amy = store().ListApiTokens("amy@example.org");
  ASSERT_TRUE(amy.ok()) << amy.status().ToString();
  ASSERT_EQ(amy->size(), 2u);
  EXPECT_EQ((*amy)[0].hash, HashOf("a1"));
  EXPECT_EQ((*amy)[0].label, "desk");
  EXPECT_EQ((*amy)[0].created_at, kT0 + 1);
  EXPECT_EQ((*amy)[0].expires_at, 0);
  EXPECT_EQ((*amy)[0].revoked_at, 0);
  EXPECT_EQ((*amy)[1].hash, HashOf("a2"));
  EXPECT_EQ((*amy)[1].account_email, "amy@example.org");
  EXPECT_EQ((*amy)[1].expires_at, kT0 + 9);
  EXPECT_EQ((*amy)[1].revoked_at, kT0 + 5);  // revoked tokens are listed too

  Result<std::vector<ApiToken>> all = store().ListApiTokens("");
  ASSERT_TRUE(all.ok());
  std::vector<std::string> order;
  for (const ApiToken& t : *all) order.push_back(t.label);
  EXPECT_EQ(order, (std::vector<std::string>{"desk", "ci", "laptop"}));
  EXPECT_TRUE(store().ListApiTokens("nobody@example.org")->empty());
}

TEST_P(StoreContract, ACapabilityTokenResolvesToItsReportAndParticipant) {
  Result<WriteResult> a = store().Write(NewReport("a", "cap-a"));
  WriteBatch nb = NewReport("b", "cap-b");
  Participant o;
  o.email = "obs@example.org";
  o.role = Role::kObserver;
  o.token_hash = HashOf("cap-obs");
  nb.report->participants.push_back(o);
  Result<WriteResult> b = store().Write(std::move(nb));
  ASSERT_TRUE(a.ok() && b.ok());
  Result<std::optional<CapabilityGrant>> g = store().FindCapability(HashOf("cap-b"));
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->report_id, b->report_id);
  EXPECT_EQ((*g)->email, kReporter);
  EXPECT_EQ((*g)->role, Role::kReporter);
  Result<std::optional<CapabilityGrant>> obs = store().FindCapability(HashOf("cap-obs"));
  ASSERT_TRUE(obs.ok() && obs->has_value());
  EXPECT_EQ((*obs)->role, Role::kObserver);
  EXPECT_EQ((*obs)->email, "obs@example.org");
  EXPECT_FALSE(store().FindCapability(HashOf("cap-c"))->has_value());
}

TEST_P(StoreContract, RemovedParticipantsKeepTheirRowsButNoCapabilityOrListing) {
  WriteBatch nb = NewReport("r", "cap-r");
  Participant o;
  o.email = "obs@example.org";
  o.role = Role::kObserver;
  o.added_at = kT0;
  o.token_hash = HashOf("cap-obs");
  nb.report->participants.push_back(o);
  Result<WriteResult> w = store().Write(std::move(nb));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  WriteBatch b = Change(w->report_id);
  Participant gone = b.report->participants.back();
  b.report->participants.pop_back();
  gone.token_hash.clear();
  gone.removed_at = kT0 + 7;
  gone.removed_by = "user:carol@example.org";
  b.report->removed_participants.push_back(gone);
  b.report->participants[0].token_hash = HashOf("cap-r2");  // the reporter's link replaced
  b.report->state = State::kWithdrawn;
  b.report->closed_at = kT0 + 9;
  b.events.push_back({w->report_id, kT0 + 9, "cli:root", "participant.removed", "{}"});
  ASSERT_TRUE(store().Write(std::move(b)).ok());

  Result<Report> r = store().GetReport(w->report_id);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->participants.size(), 1u);
  EXPECT_EQ(r->closed_at, kT0 + 9);
  ASSERT_EQ(r->removed_participants.size(), 1u);
  EXPECT_EQ(r->removed_participants[0].email, "obs@example.org");
  EXPECT_EQ(r->removed_participants[0].role, Role::kObserver);
  EXPECT_EQ(r->removed_participants[0].added_at, kT0);
  EXPECT_EQ(r->removed_participants[0].removed_at, kT0 + 7);
  EXPECT_EQ(r->removed_participants[0].removed_by, "user:carol@example.org");
  EXPECT_EQ(r->removed_participants[0].token_hash, "");
  EXPECT_EQ(r->FindParticipant("obs@example.org"), nullptr);

  EXPECT_FALSE(store().FindCapability(HashOf("cap-obs"))->has_value());
  EXPECT_FALSE(store().FindCapability(HashOf("cap-r"))->has_value());
  Result<std::optional<CapabilityGrant>> g = store().FindCapability(HashOf("cap-r2"));
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->state, State::kWithdrawn);
  EXPECT_EQ((*g)->closed_at, kT0 + 9);
  ReportFilter theirs;
  theirs.participant_email = "obs@example.org";
  EXPECT_TRUE(store().ListReports(theirs)->empty());
}

TEST_P(StoreContract, SessionsAreRevokedOneByOneOrAllOfAnAccount) {
  WriteBatch b;
  b.accounts.push_back(MakeAccount("amy@example.org", AccountRole::kMember));
  b.accounts.push_back(MakeAccount("zoe@example.org", AccountRole::kMember));
  b.web.sessions.push_back({HashOf("s1"), "amy@example.org", kT0, kT0 + kMicrosPerDay, 0});
  b.web.sessions.push_back({HashOf("s2"), "amy@example.org", kT0, kT0 + kMicrosPerDay, 0});
  b.web.sessions.push_back({HashOf("s3"), "zoe@example.org", kT0, kT0 + kMicrosPerDay, 0});
  Result<WriteResult> w = store().Write(std::move(b));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Result<std::optional<WebSession>> s = store().FindSession(HashOf("s1"));
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->account_email, "amy@example.org");
  EXPECT_EQ((*s)->created_at, kT0);
  EXPECT_EQ((*s)->expires_at, kT0 + kMicrosPerDay);
  EXPECT_EQ((*s)->revoked_at, 0);

  WriteBatch one;
  one.web.revoke_session_hashes.push_back(HashOf("s1"));
  one.now = kT0 + 1;
  ASSERT_TRUE(store().Write(std::move(one)).ok());
  WriteBatch all;
  all.web.revoke_sessions_of = "amy@example.org";
  all.now = kT0 + 2;
  ASSERT_TRUE(store().Write(std::move(all)).ok());
  EXPECT_EQ((*store().FindSession(HashOf("s1")))->revoked_at, kT0 + 1);
  EXPECT_EQ((*store().FindSession(HashOf("s2")))->revoked_at, kT0 + 2);
  EXPECT_EQ((*store().FindSession(HashOf("s3")))->revoked_at, 0);
  EXPECT_FALSE(store().FindSession(HashOf("s4"))->has_value());
}

TEST_P(StoreContract, TotpEnrolmentsAreReplacedAndDeleted) {
  WriteBatch b;
  b.accounts.push_back(MakeAccount("amy@example.org", AccountRole::kMember));
  b.web.totp.push_back({"amy@example.org", "JBSWY3DPEHPK3PXP", false, 0});
  ASSERT_TRUE(store().Write(std::move(b)).ok());
  WriteBatch confirm;
  confirm.web.totp.push_back({"amy@example.org", "JBSWY3DPEHPK3PXP", true, 59660000});
  ASSERT_TRUE(store().Write(std::move(confirm)).ok());
  Result<std::optional<TotpEnrolment>> t = store().FindTotp("amy@example.org");
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->secret, "JBSWY3DPEHPK3PXP");
  EXPECT_TRUE((*t)->enabled);
  EXPECT_EQ((*t)->last_step, 59660000);
  WriteBatch del;
  del.web.delete_totp.push_back("amy@example.org");
  ASSERT_TRUE(store().Write(std::move(del)).ok());
  EXPECT_FALSE(store().FindTotp("amy@example.org")->has_value());
}

// A TOTP step is accepted once: the batch recording it again fails whole (its session too).
TEST_P(StoreContract, ATotpStepIsRecordedOnceAndAReplayFailsTheBatch) {
  WriteBatch b;
  b.accounts.push_back(MakeAccount("amy@example.org", AccountRole::kMember));
  b.web.totp.push_back({"amy@example.org", "v1:opaque", true, 100});
  ASSERT_TRUE(store().Write(std::move(b)).ok());
  auto login = [&](int64_t step, const std::string& session) {
    WriteBatch l;
    l.web.totp_steps.push_back({"amy@example.org", step});
    l.web.sessions.push_back({HashOf(session), "amy@example.org", 1, 2, 0});
    l.events.push_back({kSystemChain, 1, "user:amy@example.org", "session.started", "{}"});
    return store().Write(std::move(l)).status();
  };
  ASSERT_TRUE(login(101, "s1").ok());
  EXPECT_EQ((*store().FindTotp("amy@example.org"))->last_step, 101);
  for (int64_t replay : {101, 100}) {
    Status again = login(replay, "s2");
    EXPECT_EQ(again.code(), Code::kConflict);
    EXPECT_EQ(again.message(), "the TOTP step of amy@example.org was already used");
  }
  EXPECT_FALSE(store().FindSession(HashOf("s2"))->has_value());
  EXPECT_EQ((*store().FindTotp("amy@example.org"))->last_step, 101);
  ASSERT_TRUE(login(102, "s3").ok());
  EXPECT_EQ((*store().FindTotp("amy@example.org"))->secret, "v1:opaque");  // left as it was
  // Without an enabled enrolment there is nothing to record a step in.
  WriteBatch none;
  none.web.totp_steps.push_back({"nobody@example.org", 5});
  EXPECT_EQ(store().Write(std::move(none)).status().code(), Code::kConflict);
}

// Search sees the report's fields and its thread, only within the filter, and every write
// acknowledged before it.
TEST_P(StoreContract, SearchFindsFieldsAndThreadWithinTheFilter) {
  std::string a = Submit("heap overflow in the tokenizer");
  WriteBatch nb = NewReport("race in the scheduler");
  nb.report->participants[0].email = "other@example.org";
  Result<WriteResult> b = store().Write(std::move(nb));
  ASSERT_TRUE(b.ok());
  WriteBatch reply = Change(b->report_id);
  reply.messages.push_back(
      {"", 0, "mia@example.org", "Mia", "coordinator", "the tokenizer is fine", kT0});
  reply.events.push_back({b->report_id, kT0, "mia@example.org", "message.posted", "{}"});
  ASSERT_TRUE(store().Write(std::move(reply)).ok());

  Result<std::vector<ReportSummary>> hits = store().SearchReports("tokenizer", {});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 2u);
  ReportFilter mine;
  mine.participant_email = kReporter;
  Result<std::vector<ReportSummary>> own = store().SearchReports("tokenizer", mine);
  ASSERT_TRUE(own.ok());
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ((*own)[0].id, a);
  EXPECT_EQ((*own)[0].title, "heap overflow in the tokenizer");
  Result<std::vector<ReportSummary>> sched = store().SearchReports("schedul", {});
  ASSERT_TRUE(sched.ok());
  ASSERT_EQ(sched->size(), 1u);
  EXPECT_EQ((*sched)[0].id, b->report_id);
  EXPECT_TRUE(store().SearchReports("nothing", {})->empty());

  WriteBatch edit = Change(a);
  edit.report->fields.subject = "stack exhaustion";
  edit.report->fields.steps = "deep recursion";
  edit.events.push_back({a, kT0, "mia@example.org", "report.edited", "{}"});
  ASSERT_TRUE(store().Write(std::move(edit)).ok());
  Result<std::vector<ReportSummary>> after = store().SearchReports("exhaustion", {});
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].id, a);
  EXPECT_EQ(store().SearchReports("heap", {})->size(), 0u);
}

// What a person types is words, never query syntax: every word must be in the same place (the
// fields, or one message), as the beginning of a word; punctuation inside a word asks for those
// words in order; case does not matter; a word of punctuation only finds nothing.
TEST_P(StoreContract, SearchWordsAreWordsOnEveryEngine) {
  const std::string a = Submit("Use-after-free in parse_header() of libfoo 2.4.1");
  const std::string b = Submit("free list corrupted; use of stale pointer");
  auto ids = [&](const std::string& words) {
    Result<std::vector<ReportSummary>> hits = store().SearchReports(words, {});
    EXPECT_TRUE(hits.ok()) << words << ": " << hits.status().ToString();
    std::set<std::string> out;
    if (hits.ok()) {
      for (const ReportSummary& r : *hits) out.insert(r.id);
    }
    return out;
  };
  using Ids = std::set<std::string>;
  EXPECT_EQ(ids("use-after-free"), (Ids{a}));
  EXPECT_EQ(ids("USE after"), (Ids{a}));
  EXPECT_EQ(ids("free use"), (Ids{a, b}));
  EXPECT_EQ(ids("stale free"), (Ids{b}));
  EXPECT_EQ(ids("parse_header"), (Ids{a}));
  EXPECT_EQ(ids("2.4"), (Ids{a}));
  EXPECT_EQ(ids("lib"), (Ids{a}));
  EXPECT_EQ(ids("after-use"), Ids{});
  EXPECT_EQ(ids("free OR nothing"), Ids{});
  EXPECT_EQ(ids("\"free\" NEAR( * ' \\ :* & | !"), Ids{});
  EXPECT_EQ(ids("-- ;"), Ids{});
}

TEST_P(StoreContract, LimitHitsAreCountedWithinTheirWindowAndALimitRefusesTheWholeBatch) {
  constexpr Instant kMinute = 60 * kMicrosPerSecond;
  auto hit = [&](Instant at, int limit, bool with_event) {
    WriteBatch b;
    b.now = at;
    b.web.limit_hits.push_back({"submit:192.0.2.7", kMinute, limit});
    if (with_event) b.events.push_back({kSystemChain, at, "x", "limited", "{}"});
    return store().Write(std::move(b)).status();
  };
  ASSERT_TRUE(hit(kT0, 2, false).ok());
  ASSERT_TRUE(hit(kT0 + 10 * kMicrosPerSecond, 2, false).ok());
  const size_t events = store().Events(kSystemChain)->size();
  Status refused = hit(kT0 + 20 * kMicrosPerSecond, 2, true);
  EXPECT_EQ(refused.code(), Code::kRateLimited);
  EXPECT_EQ(refused.message(), "limit reached for submit:192.0.2.7");
  EXPECT_EQ(store().Events(kSystemChain)->size(), events);  // nothing of the batch was written
  Result<HitCount> n = store().CountHits("submit:192.0.2.7", kT0 + 20 * kMicrosPerSecond - kMinute);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->count, 2);
  EXPECT_EQ(n->oldest, kT0);
  EXPECT_EQ(store().CountHits("submit:192.0.2.8", 0)->count, 0);
  EXPECT_EQ(store().CountHits("submit:192.0.2.8", 0)->oldest, 0);
  // A minute after the first hit it no longer counts; a hit without a limit is always kept.
  ASSERT_TRUE(hit(kT0 + kMinute, 2, true).ok());
  ASSERT_TRUE(hit(kT0 + kMinute + 1, 0, false).ok());
  EXPECT_EQ(store().CountHits("submit:192.0.2.7", kT0 + 1)->count, 3);
  // Expired hits are dropped by the next write of hits.
  EXPECT_EQ(store().CountHits("submit:192.0.2.7", 0)->count, 3);
}

}  // namespace
}  // namespace vigil::contract
