// The store contract: the mail gateway's rows, the patch module's revisions and the disclose
// module's drafts, plans and execution logs.
#include "store/store_contract.h"

namespace vigil::contract {
namespace {

InboxMail Received(const std::string& id, Instant at) {
  InboxMail m;
  m.id = id;
  m.received_at = at;
  m.client = "127.0.0.1";
  m.mail_from = "rita@example.org";
  m.recipients = {"security@example.org", "cc@example.org"};
  // 8-bit mail that is not UTF-8 (a Latin-1 body), with a NUL: kept byte for byte.
  m.raw = "Subject: " + id + "\r\n\r\nbody \xe9t\xe9\r\n" + std::string(1, '\0') + "\xff\r\n";
  m.plaintext = std::string("\xfe\0\x80", 3);
  return m;
}

TEST_P(StoreContract, InboxMailIsPendingUntilProcessedOnce) {
  WriteBatch in;
  in.mail.inbox.push_back(Received("q1", kT0));
  in.mail.inbox.push_back(Received("q2", kT0 + 1));
  ASSERT_TRUE(store().Write(std::move(in)).ok());
  Result<std::vector<InboxMail>> pending = store().PendingInbox(10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, "q1");
  EXPECT_EQ((*pending)[0].raw,
            "Subject: q1\r\n\r\nbody \xe9t\xe9\r\n" + std::string(1, '\0') + "\xff\r\n");
  EXPECT_EQ((*pending)[0].plaintext, std::string("\xfe\0\x80", 3));
  EXPECT_EQ((*pending)[0].recipients,
            (std::vector<std::string>{"security@example.org", "cc@example.org"}));
  EXPECT_EQ((*pending)[0].state, "stored");

  WriteBatch process = NewReport("by mail");
  process.mail.processed.push_back({"q1", "new-report", ""});
  process.now = kT0 + 2;
  Result<WriteResult> w = store().Write(std::move(process));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(store().PendingInbox(10)->size(), 1u);
  Result<std::optional<InboxMail>> q1 = store().FindInboxMail("q1");
  ASSERT_TRUE(q1.ok() && q1->has_value());
  EXPECT_EQ((*q1)->state, "processed");
  EXPECT_EQ((*q1)->outcome, "new-report");
  EXPECT_EQ((*q1)->report_id, w->report_id);
  EXPECT_EQ((*q1)->mail_from, "rita@example.org");
  EXPECT_EQ((*q1)->client, "127.0.0.1");

  WriteBatch twice;
  twice.mail.processed.push_back({"q1", "reply", w->report_id});
  twice.events.push_back({kSystemChain, kT0, "mail", "mail.bounced", "{}"});
  Result<WriteResult> again = store().Write(std::move(twice));
  EXPECT_EQ(again.status().code(), Code::kConflict);
  EXPECT_EQ(again.status().message(), "inbox message q1 was already processed");
  EXPECT_EQ((*store().FindInboxMail("q1"))->outcome, "new-report");
  EXPECT_TRUE(store().Events(kSystemChain)->empty());

  Result<std::vector<InboxMail>> listed = store().ListInbox(10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "q2");  // newest first
  EXPECT_TRUE((*listed)[0].raw.empty());
  EXPECT_FALSE(store().FindInboxMail("q9")->has_value());

  WriteBatch same_id;
  same_id.mail.inbox.push_back(Received("q2", kT0 + 3));
  EXPECT_EQ(store().Write(std::move(same_id)).status().code(), Code::kConflict);
}

TEST_P(StoreContract, MessageIdsThreadRepliesAndTheFirstOwnerStays) {
  std::string a = Submit("a"), b = Submit("b");
  WriteBatch w = Change(a);
  w.mail.message_ids.push_back({"m1@example.org", "", "in", kT0});
  w.mail.message_ids.push_back({"m2@vigil", "", "out", kT0});
  w.events.push_back({a, kT0, "mail", "message.posted", "{}"});
  ASSERT_TRUE(store().Write(std::move(w)).ok());
  WriteBatch other = Change(b);
  other.mail.message_ids.push_back({"m1@example.org", "", "in", kT0 + 1});
  other.events.push_back({b, kT0, "mail", "message.posted", "{}"});
  ASSERT_TRUE(store().Write(std::move(other)).ok());
  EXPECT_EQ(**store().ReportOfMessageId("m1@example.org"), a);
  EXPECT_EQ(**store().ReportOfMessageId("m2@vigil"), a);
  EXPECT_FALSE(store().ReportOfMessageId("m3@example.org")->has_value());
  EXPECT_TRUE(*store().SeenIncoming("m1@example.org"));
  EXPECT_FALSE(*store().SeenIncoming("m2@vigil"));
  EXPECT_FALSE(*store().SeenIncoming("m3@example.org"));
}

TEST_P(StoreContract, PatchMailsAttachmentsAndKeysReadBackAsWritten) {
  WriteBatch b = NewReport("a");
  b.mail.inbox.push_back(Received("q1", kT0));
  b.mail.patches.push_back(
      {"", "q1", "p2@x", "[PATCH 2/2] b", "A <a@x>", "a@x", 1, 2, 2, std::string(40, 'b'), kT0});
  b.mail.patches.push_back({"", "q1", "p1@x", "[PATCH 1/2] a", "A <a@x>", "a@x", 1, 1, 2,
                            std::string(40, 'a'), kT0 + 1});
  std::string binary("PK\x03\x04\x00\xff", 6);
  b.mail.attachments.push_back({"q1", "poc.zip", "application/zip", 6, binary});
  b.mail.attachments.push_back({"q1", "big.iso", "application/octet-stream", 1 << 30, ""});
  b.mail.keys.push_back({"rita@example.org", "AAAA", "-----BEGIN 1", kT0});
  Result<WriteResult> w = store().Write(std::move(b));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  WriteBatch key;
  key.mail.keys.push_back({"rita@example.org", "BBBB", "-----BEGIN 2", kT0 + 1});
  ASSERT_TRUE(store().Write(std::move(key)).ok());

  Result<std::vector<MailPatch>> patches = store().MailPatches(w->report_id);
  ASSERT_TRUE(patches.ok());
  ASSERT_EQ(patches->size(), 2u);
  EXPECT_EQ((*patches)[0].message_id, "p1@x");  // by position in the series
  EXPECT_EQ((*patches)[1].report_id, w->report_id);
  EXPECT_EQ((*patches)[1].index, 2);
  EXPECT_EQ((*patches)[1].total, 2);
  EXPECT_EQ((*patches)[1].sender, "a@x");
  EXPECT_EQ((*patches)[1].author, "A <a@x>");
  EXPECT_EQ((*patches)[1].patch_id, std::string(40, 'b'));
  EXPECT_EQ((*patches)[1].subject, "[PATCH 2/2] b");

  Result<std::vector<MailAttachment>> att = store().MailAttachments("q1");
  ASSERT_TRUE(att.ok());
  ASSERT_EQ(att->size(), 2u);
  EXPECT_EQ((*att)[0].filename, "poc.zip");
  EXPECT_EQ((*att)[0].data, binary);
  EXPECT_EQ((*att)[1].size, 1 << 30);
  EXPECT_TRUE((*att)[1].data.empty());

  Result<std::optional<MailKey>> k = store().FindMailKey("rita@example.org");
  ASSERT_TRUE(k.ok() && k->has_value());
  EXPECT_EQ((*k)->fingerprint, "BBBB");
  EXPECT_EQ((*k)->armored, "-----BEGIN 2");
  EXPECT_FALSE(store().FindMailKey("nobody@example.org")->has_value());
}

TEST_P(StoreContract, OutboxDeliveryIsTrackedAndListedByStateAndDueTime) {
  std::string id = Submit("a");  // one receipt mail
  WriteBatch more = Change(id);
  more.outbox.push_back({0, "", "mia@example.org", "message", "s2", "b2", kT0});
  more.outbox.push_back({0, "", "bob@example.org", "message", "s3", "b3", kT0});
  more.events.push_back({id, kT0, "x", "message.posted", "{}"});
  ASSERT_TRUE(store().Write(std::move(more)).ok());
  std::vector<OutboxMail> rows = *store().Outbox(id);
  ASSERT_EQ(rows.size(), 3u);

  WriteBatch attempt;
  attempt.mail.outbox_updates.push_back(
      {rows[0].id, OutboxState::kPending, 1, kT0 + 60 * kMicrosPerSecond, "451 try later"});
  attempt.mail.outbox_updates.push_back({rows[1].id, OutboxState::kDead, 9, 0, "550 no such user"});
  ASSERT_TRUE(store().Write(std::move(attempt)).ok());

  OutboxQuery due;
  due.state = OutboxState::kPending;
  due.due_by = kT0 + kMicrosPerSecond;
  Result<std::vector<OutboxEntry>> now = store().ListOutbox(due);
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->size(), 1u);
  EXPECT_EQ((*now)[0].mail.id, rows[2].id);
  due.due_by = kT0 + 61 * kMicrosPerSecond;
  ASSERT_EQ(store().ListOutbox(due)->size(), 2u);

  OutboxQuery dead;
  dead.state = OutboxState::kDead;
  Result<std::vector<OutboxEntry>> gone = store().ListOutbox(dead);
  ASSERT_TRUE(gone.ok());
  ASSERT_EQ(gone->size(), 1u);
  EXPECT_EQ(gone->front().last_error, "550 no such user");
  EXPECT_EQ(gone->front().mail.attempts, 9);
  EXPECT_EQ(gone->front().mail.recipient, "mia@example.org");

  OutboxQuery one;
  one.id = rows[0].id;
  Result<std::vector<OutboxEntry>> first = store().ListOutbox(one);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(first->front().next_attempt_at, kT0 + 60 * kMicrosPerSecond);
  EXPECT_EQ(first->front().last_error, "451 try later");
  OutboxQuery limited;
  limited.limit = 2;
  EXPECT_EQ(store().ListOutbox(limited)->size(), 2u);

  WriteBatch unknown;
  unknown.mail.outbox_updates.push_back({rows[2].id + 100, OutboxState::kSent, 1, 0, ""});
  Result<WriteResult> w = store().Write(std::move(unknown));
  EXPECT_EQ(w.status().code(), Code::kNotFound);
  EXPECT_EQ(w.status().message(), "outbox mail " + std::to_string(rows[2].id + 100) + " not found");
}

TEST_P(StoreContract, OfTwoClaimsOnOneOutboxRowOneWinsAndTheLoserWritesNothing) {
  std::string id = Submit("a");  // one receipt mail, pending, 0 attempts
  const int64_t row = store().Outbox(id)->front().id;
  auto claim = [&](int attempts) {
    WriteBatch b;
    b.now = kT0;
    OutboxUpdate u{row, OutboxState::kSending, attempts, kT0 + 600 * kMicrosPerSecond, ""};
    u.only_if = OutboxState::kPending;
    u.claim = true;
    b.mail.outbox_updates.push_back(u);
    b.events.push_back({kSystemChain, kT0, "x", "claim", "{}"});  // goes with the claim or not
    return store().Write(std::move(b)).status();
  };
  const size_t events_before = store().Events(kSystemChain)->size();
  // A claim read with other attempts than the row has now is stale: refused.
  Status stale = claim(1);
  EXPECT_EQ(stale.code(), Code::kConflict);
  EXPECT_EQ(stale.message(), "outbox mail " + std::to_string(row) + " was taken by another sender");
  ASSERT_TRUE(claim(0).ok());
  // Both senders read the row pending with 0 attempts: the second one stored loses.
  Status second = claim(0);
  EXPECT_EQ(second.code(), Code::kConflict);
  EXPECT_EQ(store().Events(kSystemChain)->size(), events_before + 1);
  OutboxQuery q;
  q.id = row;
  EXPECT_EQ(store().ListOutbox(q)->front().mail.state, OutboxState::kSending);
  EXPECT_EQ(store().ListOutbox(q)->front().next_attempt_at, kT0 + 600 * kMicrosPerSecond);
}

PatchRevision Revision(int series, int version, const std::string& ids) {
  PatchRevision r;
  r.series = series;
  r.version = version;
  r.target_branch = "main";
  r.submitter = "dev@example.org";
  r.change_id = "20261205-fix-abc";
  r.message_ids = "p1@x p2@x";
  r.patch_ids = ids;
  r.created_at = kT0 + version;
  r.patches.push_back({1, "Dev", "dev@example.org", "Sat, 5 Dec 2026 10:00:00 +0000", "fix a",
                       "fix a\n\nSigned-off-by: Dev <dev@example.org>\n", "pid1", "diff --git a"});
  r.patches.push_back({2, "Dev", "dev@example.org", "Sat, 5 Dec 2026 10:00:01 +0000", "fix b",
                       "fix b\n", "pid2", "diff --git b"});
  r.trailers.push_back({1, "Reviewed-by", "Rev Iewer", "rev@example.org"});
  r.trailers.push_back({2, "Acked-by", "Ack Er", "ack@example.org"});
  return r;
}

TEST_P(StoreContract, PatchRevisionsReadBackWithTheirRowsAndApprovalsAreVoided) {
  std::string id = Submit("a");
  WriteBatch b = Change(id);
  b.patches.new_revisions.push_back(Revision(1, 2, "pid1 pid2"));
  b.patches.new_revisions.push_back(Revision(1, 1, "pid0 pid2"));
  b.patches.applicability.push_back(
      {"s1v2", {"main", std::string(40, 'c'), false, "[{\"result\":\"conflict\"}]", kT0}});
  b.events.push_back({id, kT0, "dev@example.org", "patch.submitted", "{}"});
  ASSERT_TRUE(store().Write(std::move(b)).ok());

  WriteBatch c = Change(id);
  c.patches.applicability.push_back(
      {"s1v2", {"main", std::string(40, 'd'), true, "[{\"result\":\"clean\"}]", kT0 + 1}});
  c.patches.applicability.push_back({"s1v2", {"stable-1", std::string(40, 'e'), true, "[]", kT0}});
  c.patches.approvals.push_back({"s1v2", {"mia@example.org", "pid1 pid2", kT0 + 2, 0, ""}});
  c.patches.approvals.push_back({"s1v2", {"bob@example.org", "pid1 pid2", kT0 + 3, 0, ""}});
  c.events.push_back({id, kT0, "mia@example.org", "patch.approved", "{}"});
  ASSERT_TRUE(store().Write(std::move(c)).ok());
  WriteBatch v = Change(id);
  v.patches.void_approvals.push_back({"s1v2", "bob@example.org"});
  v.patches.voided_at = kT0 + 4;
  v.patches.voided_reason = "branch moved";
  v.events.push_back({id, kT0, "vigil", "approval.voided", "{}"});
  ASSERT_TRUE(store().Write(std::move(v)).ok());

  Result<std::vector<PatchRevision>> revs = store().PatchRevisions(id);
  ASSERT_TRUE(revs.ok()) << revs.status().ToString();
  ASSERT_EQ(revs->size(), 2u);
  EXPECT_EQ((*revs)[0].Name(), "s1v1");
  const PatchRevision& r = (*revs)[1];
  EXPECT_EQ(r.Name(), "s1v2");
  EXPECT_EQ(r.report_id, id);
  EXPECT_EQ(r.target_branch, "main");
  EXPECT_EQ(r.submitter, "dev@example.org");
  EXPECT_EQ(r.change_id, "20261205-fix-abc");
  EXPECT_EQ(r.message_ids, "p1@x p2@x");
  EXPECT_EQ(r.patch_ids, "pid1 pid2");
  EXPECT_EQ(r.created_at, kT0 + 2);
  ASSERT_EQ(r.patches.size(), 2u);
  EXPECT_EQ(r.patches[0].message, "fix a\n\nSigned-off-by: Dev <dev@example.org>\n");
  EXPECT_EQ(r.patches[0].author_date, "Sat, 5 Dec 2026 10:00:00 +0000");
  EXPECT_EQ(r.patches[1].position, 2);
  EXPECT_EQ(r.patches[1].diff, "diff --git b");
  ASSERT_EQ(r.trailers.size(), 2u);
  EXPECT_EQ(r.trailers[1].name, "Acked-by");
  EXPECT_EQ(r.trailers[1].position, 2);
  EXPECT_EQ(r.trailers[1].email, "ack@example.org");
  ASSERT_EQ(r.applicability.size(), 2u);
  EXPECT_EQ(r.applicability[0].branch, "main");
  EXPECT_TRUE(r.applicability[0].applies);
  EXPECT_EQ(r.applicability[0].commit, std::string(40, 'd'));
  EXPECT_EQ(r.applicability[0].result, "[{\"result\":\"clean\"}]");
  EXPECT_EQ(r.applicability[1].branch, "stable-1");
  ASSERT_EQ(r.approvals.size(), 2u);
  const StoredApproval* bob = nullptr;
  for (const StoredApproval& a : r.approvals) {
    if (a.approver == "bob@example.org") bob = &a;
    if (a.approver == "mia@example.org") {
      EXPECT_EQ(a.voided_at, 0);
    }
  }
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->voided_at, kT0 + 4);
  EXPECT_EQ(bob->voided_reason, "branch moved");
  EXPECT_TRUE(store().PatchRevisions(Submit("b"))->empty());

  WriteBatch dup = Change(id);
  dup.patches.new_revisions.push_back(Revision(1, 2, "pid9"));
  dup.events.push_back({id, kT0, "dev@example.org", "patch.submitted", "{}"});
  EXPECT_EQ(store().Write(std::move(dup)).status().code(), Code::kConflict);
  EXPECT_EQ(store().PatchRevisions(id)->size(), 2u);
}

TEST_P(StoreContract, DisclosureDraftPlanAndLogAreKeptPerReport) {
  std::string id = Submit("a");
  EXPECT_FALSE(store().FindAdvisoryDraft(id)->has_value());
  EXPECT_FALSE(store().FindDisclosurePlan(id)->has_value());
  WriteBatch b = Change(id);
  b.disclosure.advisory = AdvisoryDraftRow{"", "{\"title\":\"v1\"}", kT0};
  b.disclosure.plan =
      DisclosurePlanRow{"", kT0 + kMicrosPerDay, 7, "mia@example.org", 0, "", false, kT0};
  b.disclosure.steps.push_back({"", "apply:main", "intent", "", kT0});
  b.disclosure.scheduled_outbox.push_back(
      {{0, "", "obs@example.org", "observer-notice", "soon", "b", kT0}, kT0 + 3 * kMicrosPerDay});
  b.events.push_back({id, kT0, "mia@example.org", "disclosure.scheduled", "{}"});
  ASSERT_TRUE(store().Write(std::move(b)).ok());
  WriteBatch c = Change(id);
  c.disclosure.advisory = AdvisoryDraftRow{"", "{\"title\":\"v2\"}", kT0 + 1};
  c.disclosure.plan = DisclosurePlanRow{"",      kT0 + kMicrosPerDay, 7,    "mia@example.org",
                                        kT0 + 5, "mia@example.org",   true, kT0 + 5};
  c.disclosure.steps.push_back({"", "apply:main", "done", std::string(40, 'f'), kT0 + 6});
  c.disclosure.steps.push_back({"", "issue", "intent", "", kT0 + 7});
  c.events.push_back({id, kT0, "vigil", "disclosure.step", "{}"});
  ASSERT_TRUE(store().Write(std::move(c)).ok());

  Result<std::optional<AdvisoryDraftRow>> draft = store().FindAdvisoryDraft(id);
  ASSERT_TRUE(draft.ok() && draft->has_value());
  EXPECT_EQ((*draft)->report_id, id);
  EXPECT_EQ((*draft)->document, "{\"title\":\"v2\"}");
  EXPECT_EQ((*draft)->updated_at, kT0 + 1);
  Result<std::optional<DisclosurePlanRow>> plan = store().FindDisclosurePlan(id);
  ASSERT_TRUE(plan.ok() && plan->has_value());
  EXPECT_EQ((*plan)->slot, kT0 + kMicrosPerDay);
  EXPECT_EQ((*plan)->notice_days, 7);
  EXPECT_EQ((*plan)->on_duty, "mia@example.org");
  EXPECT_EQ((*plan)->confirmed_at, kT0 + 5);
  EXPECT_EQ((*plan)->confirmed_by, "mia@example.org");
  EXPECT_TRUE((*plan)->public_view);
  Result<std::vector<DisclosureStepRow>> log = store().DisclosureLog(id);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].step, "apply:main");
  EXPECT_EQ((*log)[0].state, "intent");
  EXPECT_EQ((*log)[1].state, "done");
  EXPECT_EQ((*log)[1].detail, std::string(40, 'f'));
  EXPECT_EQ((*log)[2].step, "issue");
  EXPECT_EQ((*log)[2].report_id, id);

  OutboxQuery due;
  due.state = OutboxState::kPending;
  due.due_by = kT0 + kMicrosPerDay;
  for (const OutboxEntry& e : *store().ListOutbox(due)) EXPECT_NE(e.mail.kind, "observer-notice");
  due.due_by = kT0 + 3 * kMicrosPerDay;
  int notices = 0;
  for (const OutboxEntry& e : *store().ListOutbox(due)) notices += e.mail.kind == "observer-notice";
  EXPECT_EQ(notices, 1);
  EXPECT_TRUE(store().DisclosureLog(Submit("b"))->empty());
}

TEST_P(StoreContract, ARunLockHasOneHolderAtATimeAndIsFreeOnceReleased) {
  Result<std::unique_ptr<RunLock>> first = store().TryRunLock("disclose-SEC-2026-0001");
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_NE(*first, nullptr);
  // A second holder (another connection or file description, as another instance would be)
  // is refused without waiting; another name is free.
  Result<std::unique_ptr<RunLock>> again = store().TryRunLock("disclose-SEC-2026-0001");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*again, nullptr);
  Result<std::unique_ptr<RunLock>> other = store().TryRunLock("disclose-SEC-2026-0002");
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_NE(*other, nullptr);
  first->reset();
  Result<std::unique_ptr<RunLock>> after = store().TryRunLock("disclose-SEC-2026-0001");
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_NE(*after, nullptr);

  for (const char* bad : {"", "../etc/passwd", "a b", ".hidden"}) {
    Result<std::unique_ptr<RunLock>> refused = store().TryRunLock(bad);
    EXPECT_EQ(refused.status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(store().TryRunLock(std::string(129, 'a')).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store().TryRunLock(std::string(128, 'a')).status().code(), Code::kOk);
}

}  // namespace
}  // namespace vigil::contract
