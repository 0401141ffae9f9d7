// The store contract: the write core and the report queries.
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "core/report_id.h"
#include "store/store_contract.h"

namespace vigil::contract {
namespace {

TEST_P(StoreContract, NewReportsAreNumberedPerPrefixAndYear) {
  Result<WriteResult> a = store().Write(NewReport("a"));
  Result<WriteResult> b = store().Write(NewReport("b"));
  WriteBatch other = NewReport("c");
  other.id_prefix = "OTHER";
  Result<WriteResult> c = store().Write(std::move(other));
  WriteBatch next_year = NewReport("d");
  next_year.report->created_at += 120 * kMicrosPerDay;
  Result<WriteResult> d = store().Write(std::move(next_year));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(a->report_id, "SEC-2026-0001");
  EXPECT_EQ(b->report_id, "SEC-2026-0002");
  EXPECT_EQ(c->report_id, "OTHER-2026-0001");
  EXPECT_EQ(d->report_id, "SEC-2027-0001");
  EXPECT_EQ(a->version, 1);
  EXPECT_EQ(a->last_event_seq, 1);
}

TEST_P(StoreContract, AReportReadsBackAsWritten) {
  WriteBatch b = NewReport("overflow in parser", "tok-1");
  Report& r = *b.report;
  r.level = 5;
  r.fields.effects_cluster = "cluster";
  r.fields.effects_applications = "apps";
  r.fields.effects_infrastructure = "infra";
  r.fields.workflows = "wf";
  r.fields.attack_vectors = "network";
  r.fields.other_software = "libfoo \xc3\xa9";
  r.coordinator = "mia@example.org";
  r.embargo.cap_days = 45;
  r.embargo.reason = "why";
  Participant m;
  m.email = "mia@example.org";
  m.name = "Mia M";
  m.role = Role::kCoordinator;
  m.added_at = kT0 + 5;
  m.added_by = "admin@example.org";
  m.bouncing = true;
  r.participants.push_back(m);
  Result<WriteResult> w = store().Write(b);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Result<Report> got = store().GetReport(w->report_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, w->report_id);
  EXPECT_EQ(got->version, 1);
  EXPECT_EQ(got->state, State::kReceived);
  EXPECT_EQ(got->level, 5);
  EXPECT_EQ(got->fields.subject, "overflow in parser");
  EXPECT_EQ(got->fields.steps, "steps to reproduce overflow in parser");
  EXPECT_EQ(got->fields.effects_cluster, "cluster");
  EXPECT_EQ(got->fields.effects_applications, "apps");
  EXPECT_EQ(got->fields.effects_infrastructure, "infra");
  EXPECT_EQ(got->fields.workflows, "wf");
  EXPECT_EQ(got->fields.attack_vectors, "network");
  EXPECT_EQ(got->fields.other_software, "libfoo \xc3\xa9");
  EXPECT_EQ(got->coordinator, "mia@example.org");
  EXPECT_EQ(got->embargo.start, kT0);
  EXPECT_EQ(got->embargo.end, kT0 + 90 * kMicrosPerDay);
  EXPECT_EQ(got->embargo.cap_days, 45);
  EXPECT_EQ(got->embargo.state, EmbargoState::kActive);
  EXPECT_EQ(got->embargo.reason, "why");
  EXPECT_EQ(got->created_at, kT0);
  ASSERT_EQ(got->participants.size(), 2u);
  const Participant* p = got->FindParticipant("MIA@example.org");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "Mia M");
  EXPECT_EQ(p->role, Role::kCoordinator);
  EXPECT_EQ(p->added_at, kT0 + 5);
  EXPECT_EQ(p->added_by, "admin@example.org");
  EXPECT_TRUE(p->bouncing);
  EXPECT_EQ(got->FindParticipant(kReporter)->token_hash, HashOf("tok-1"));
}

TEST_P(StoreContract, AnUnknownReportIsNotFound) {
  Result<Report> r = store().GetReport("SEC-2026-0009");
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "report SEC-2026-0009 not found");
}

TEST_P(StoreContract, AStaleVersionIsAbortedAndNothingOfTheBatchIsWritten) {
  std::string id = Submit("a");
  WriteBatch b = Change(id);
  b.report->state = State::kTriage;
  b.expected_version = 7;
  b.events.push_back({id, kT0, "x", "report.assigned", "{}"});
  b.messages.push_back({id, 0, "mia@example.org", "Mia", "coordinator", "hello", kT0});
  b.outbox.push_back({0, id, "x@example.org", "message", "s", "b", kT0});
  Result<WriteResult> w = store().Write(std::move(b));
  EXPECT_EQ(w.status().code(), Code::kAborted);
  EXPECT_EQ(w.status().message(), "report " + id + " changed concurrently");
  EXPECT_EQ(store().Events(id)->size(), 1u);
  EXPECT_EQ(store().GetReport(id)->state, State::kReceived);
  EXPECT_TRUE(store().Thread(id)->empty());
  EXPECT_EQ(store().Outbox(id)->size(), 1u);
}

TEST_P(StoreContract, ChangesAdvanceTheVersionAndTheChainLinksEachEvent) {
  std::string id = Submit("a");
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Append(id, "message.posted").ok());
  WriteBatch b = Change(id);
  b.report->state = State::kTriage;
  b.events.push_back({id, kT0 + 99, "mia@example.org", "report.assigned", "{\"a\":1}"});
  b.events.push_back({id, kT0 + 100, "mia@example.org", "report.triaged", "{}"});
  Result<WriteResult> w = store().Write(std::move(b));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->version, 7);
  EXPECT_EQ(w->last_event_seq, 7);
  EXPECT_EQ(store().GetReport(id)->state, State::kTriage);
  EXPECT_EQ(store().GetReport(id)->version, 7);

  Result<std::vector<StoredEvent>> events = store().Events(id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 7u);
  EXPECT_EQ((*events)[0].prev_hash, std::string(64, '0'));
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ((*events)[i].chain, id);
    if (i > 0) {
      EXPECT_EQ((*events)[i].prev_hash, (*events)[i - 1].hash);
    }
  }
  EXPECT_EQ((*events)[5].kind, "report.assigned");
  EXPECT_EQ((*events)[5].payload, "{\"a\":1}");
  EXPECT_EQ((*events)[5].actor, "mia@example.org");
  EXPECT_EQ((*events)[5].time, kT0 + 99);

  Result<std::vector<StoredEvent>> latest = store().LatestEvents(id, 3);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 3u);
  EXPECT_EQ((*latest)[0].seq, 7);
  EXPECT_EQ((*latest)[2].seq, 5);
  EXPECT_EQ((*latest)[0].hash, (*events)[6].hash);

  Result<AuditVerdict> v = store().VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->first_broken;
  EXPECT_EQ(v->chains, 1);
  EXPECT_EQ(v->events, 7);
}

TEST_P(StoreContract, SystemEventsGoOnTheirOwnChain) {
  std::string id = Submit("a");
  WriteBatch b;
  b.events.push_back({kSystemChain, kT0, "admin", "account.created", "{\"email\":\"x\"}"});
  b.events.push_back({kSystemChain, kT0 + 1, "admin", "account.created", "{\"email\":\"y\"}"});
  Result<WriteResult> w = store().Write(std::move(b));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->last_event_seq, 2);
  EXPECT_EQ(store().Events(kSystemChain)->size(), 2u);
  EXPECT_EQ(store().Events(id)->size(), 1u);
  Result<AuditVerdict> v = store().VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->chains, 2);
  EXPECT_EQ(v->events, 3);
}

// Pages continue after a cursor in the (created_at, id) order, ties included; the filters
// (level, coordinator, updated since) are the store's, so a page counts only what matches; a
// search with a cursor pages newest first too.
TEST_P(StoreContract, ReportsPageAfterACursorWithinTheFilters) {
  std::vector<std::string> ids;  // oldest first
  for (int i = 0; i < 7; ++i) {
    WriteBatch b = NewReport(i % 2 ? "overflow in the parser " + std::to_string(i)
                                   : "crash " + std::to_string(i));
    // Reports 2 and 3 were created in the same microsecond: the id decides.
    b.report->created_at = kT0 + (i == 3 ? 2 : i) * kMicrosPerSecond;
    b.report->updated_at = b.report->created_at;
    b.report->level = i % 3;
    b.report->coordinator = i % 2 ? "mia@example.org" : "";
    Result<WriteResult> w = store().Write(std::move(b));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ids.push_back(w->report_id);
  }
  auto page = [&](ReportFilter f, bool search) {
    std::vector<std::string> all;
    for (int pages = 0; pages < 10; ++pages) {
      Result<std::vector<ReportSummary>> got =
          search ? store().SearchReports("overflow", f) : store().ListReports(f);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || got->empty()) break;
      for (const ReportSummary& r : *got) all.push_back(r.id);
      f.after = ReportCursor{got->back().created_at, got->back().id};
    }
    return all;
  };
  ReportFilter f;
  f.limit = 2;
  EXPECT_EQ(page(f, false),
            (std::vector<std::string>{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}));
  ReportFilter level;
  level.limit = 1;
  level.level = 1;
  EXPECT_EQ(page(level, false), (std::vector<std::string>{ids[4], ids[1]}));
  ReportFilter unassigned;
  unassigned.limit = 3;
  unassigned.coordinator = "";
  EXPECT_EQ(page(unassigned, false), (std::vector<std::string>{ids[6], ids[4], ids[2], ids[0]}));
  ReportFilter mia;
  mia.coordinator = "mia@example.org";
  mia.updated_since = kT0 + 3 * kMicrosPerSecond;
  EXPECT_EQ(page(mia, false), (std::vector<std::string>{ids[5]}));
  ReportFilter search;
  search.limit = 2;
  search.best_first = false;
  EXPECT_EQ(page(search, true), (std::vector<std::string>{ids[5], ids[3], ids[1]}));
  ReportFilter hidden;
  hidden.participant_email = "nobody@example.org";
  EXPECT_TRUE(page(hidden, false).empty());
  EXPECT_TRUE(page(hidden, true).empty());
}

TEST_P(StoreContract, ReportsAreListedNewestFirstWithinTheFilter) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    WriteBatch b = NewReport("r" + std::to_string(i));
    b.report->created_at = kT0 + i * kMicrosPerSecond;
    if (i == 2) b.report->participants[0].email = "other@example.org";
    Result<WriteResult> w = store().Write(std::move(b));
    ASSERT_TRUE(w.ok());
    ids.push_back(w->report_id);
  }
  WriteBatch triage = Change(ids[1]);
  triage.report->state = State::kTriage;
  triage.report->coordinator = "mia@example.org";
  triage.events.push_back({ids[1], kT0, "mia@example.org", "report.assigned", "{}"});
  ASSERT_TRUE(store().Write(std::move(triage)).ok());

  Result<std::vector<ReportSummary>> all = store().ListReports({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].id, ids[3]);
  EXPECT_EQ((*all)[3].id, ids[0]);
  EXPECT_EQ((*all)[2].title, "r1");
  EXPECT_EQ((*all)[2].state, State::kTriage);
  EXPECT_EQ((*all)[2].coordinator, "mia@example.org");
  EXPECT_EQ((*all)[2].embargo_end, kT0 + 90 * kMicrosPerDay);

  ReportFilter mine;
  mine.participant_email = kReporter;
  EXPECT_EQ(store().ListReports(mine)->size(), 3u);
  ReportFilter theirs;
  theirs.participant_email = "other@example.org";
  ASSERT_EQ(store().ListReports(theirs)->size(), 1u);
  EXPECT_EQ((*store().ListReports(theirs))[0].id, ids[2]);
  ReportFilter in_triage;
  in_triage.state = State::kTriage;
  ASSERT_EQ(store().ListReports(in_triage)->size(), 1u);
  ReportFilter one;
  one.report_id = ids[0];
  ASSERT_EQ(store().ListReports(one)->size(), 1u);
  ReportFilter two;
  two.limit = 2;
  ASSERT_EQ(store().ListReports(two)->size(), 2u);
  EXPECT_EQ((*store().ListReports(two))[0].id, ids[3]);

  Result<std::map<State, int64_t>> counts = store().CountReportsByState();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->size(), std::size(kAllStates));
  EXPECT_EQ(counts->at(State::kReceived), 3);
  EXPECT_EQ(counts->at(State::kTriage), 1);
  EXPECT_EQ(counts->at(State::kPublic), 0);
}

TEST_P(StoreContract, ThreadMessagesAreNumberedPerReportInOrder) {
  std::string a = Submit("a"), b = Submit("b");
  for (int i = 0; i < 3; ++i) {
    WriteBatch w = Change(i == 1 ? b : a);
    w.messages.push_back(
        {"", 0, "mia@example.org", "Mia", "coordinator", "body " + std::to_string(i), kT0 + i});
    w.events.push_back({w.report->id, kT0 + i, "mia@example.org", "message.posted", "{}"});
    ASSERT_TRUE(store().Write(std::move(w)).ok());
  }
  Result<std::vector<ThreadMessage>> thread = store().Thread(a);
  ASSERT_TRUE(thread.ok());
  ASSERT_EQ(thread->size(), 2u);
  EXPECT_EQ((*thread)[0].seq, 1);
  EXPECT_EQ((*thread)[0].body, "body 0");
  EXPECT_EQ((*thread)[1].seq, 2);
  EXPECT_EQ((*thread)[1].body, "body 2");
  EXPECT_EQ((*thread)[1].report_id, a);
  EXPECT_EQ((*thread)[1].author_email, "mia@example.org");
  EXPECT_EQ((*thread)[1].author_name, "Mia");
  EXPECT_EQ((*thread)[1].author_role, "coordinator");
  EXPECT_EQ((*thread)[1].created_at, kT0 + 2);
  ASSERT_EQ(store().Thread(b)->size(), 1u);
  EXPECT_EQ((*store().Thread(b))[0].seq, 1);
}

TEST_P(StoreContract, OutboxRowsAreKeptInOrderAndCountedUntilSent) {
  std::string a = Submit("a"), b = Submit("b");
  WriteBatch w = Change(a);
  w.outbox.push_back({0, "", "mia@example.org", "message", "subj", "body", kT0 + 1});
  w.events.push_back({a, kT0, "x", "message.posted", "{}"});
  ASSERT_TRUE(store().Write(std::move(w)).ok());
  Result<std::vector<OutboxMail>> rows = store().Outbox(a);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].kind, "receipt");
  EXPECT_EQ((*rows)[1].recipient, "mia@example.org");
  EXPECT_EQ((*rows)[1].subject, "subj");
  EXPECT_EQ((*rows)[1].body, "body");
  EXPECT_EQ((*rows)[1].report_id, a);
  EXPECT_EQ((*rows)[1].state, OutboxState::kPending);
  EXPECT_EQ((*rows)[1].attempts, 0);
  EXPECT_LT((*rows)[0].id, (*rows)[1].id);
  EXPECT_EQ(store().Outbox(b)->size(), 1u);
  EXPECT_EQ(store().Outbox("")->size(), 3u);
  EXPECT_EQ(*store().PendingOutbox(), 3);

  WriteBatch sent;
  sent.mail.outbox_updates.push_back({(*rows)[0].id, OutboxState::kSent, 1, 0, ""});
  ASSERT_TRUE(store().Write(std::move(sent)).ok());
  EXPECT_EQ(*store().PendingOutbox(), 2);
  EXPECT_EQ((*store().Outbox(a))[0].state, OutboxState::kSent);
  EXPECT_EQ((*store().Outbox(a))[0].attempts, 1);
}

TEST_P(StoreContract, ACounterIsComparedAndSetWithItsBatch) {
  EXPECT_EQ(*store().Counter("round-robin"), 0);
  WriteBatch first;
  first.counter = CounterUpdate{"round-robin", 0, 1};
  ASSERT_TRUE(store().Write(std::move(first)).ok());
  EXPECT_EQ(*store().Counter("round-robin"), 1);
  WriteBatch stale;
  stale.counter = CounterUpdate{"round-robin", 0, 5};
  stale.events.push_back({kSystemChain, kT0, "x", "account.created", "{}"});
  Result<WriteResult> w = store().Write(std::move(stale));
  EXPECT_EQ(w.status().code(), Code::kAborted);
  EXPECT_EQ(w.status().message(), "counter changed concurrently");
  EXPECT_EQ(*store().Counter("round-robin"), 1);
  EXPECT_TRUE(store().Events(kSystemChain)->empty());
}

TEST_P(StoreContract, NewReportsTakeTurnsFromATurnCounter) {
  std::vector<int64_t> turns;
  for (int i = 0; i < 3; ++i) {
    WriteBatch b = NewReport("t");
    b.turn_counter = "turns";
    std::promise<int64_t> seen;
    b.on_id_allocated = [&seen](WriteBatch& batch) {
      seen.set_value(batch.turn);
      batch.outbox.push_back(
          {0, "", "mia@example.org", "new-report", "new " + batch.report->id, "b", kT0});
    };
    Result<WriteResult> w = store().Write(std::move(b));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    turns.push_back(seen.get_future().get());
    Result<std::vector<OutboxMail>> out = store().Outbox(w->report_id);
    ASSERT_EQ(out->size(), 2u);
    EXPECT_EQ((*out)[1].subject, "new " + w->report_id);
  }
  EXPECT_EQ(turns, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(*store().Counter("turns"), 3);
}

TEST_P(StoreContract, ConcurrentWritersAllLandAndEveryChainVerifies) {
  constexpr int kThreads = 8, kPerThread = 10;
  std::string shared = Submit("shared");
  std::atomic<int> written{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        written += store().Write(NewReport("c")).ok();
        // Appends to one chain race: each retries on kAborted until it lands.
        for (;;) {
          Result<WriteResult> w = Append(shared, "message.posted");
          if (w.ok()) break;
          ASSERT_EQ(w.status().code(), Code::kAborted) << w.status().ToString();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(written.load(), kThreads * kPerThread);
  ReportFilter all;
  all.limit = 0;
  EXPECT_EQ(store().ListReports(all)->size(), size_t{kThreads * kPerThread + 1});
  EXPECT_EQ(store().GetReport(shared)->version, kThreads * kPerThread + 1);
  Result<AuditVerdict> v = store().VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->first_broken;
  EXPECT_EQ(v->events, 2 * kThreads * kPerThread + 1);
}

TEST_P(StoreContract, AsyncWritesAnswerLikeWriteAndAreThereAfterReopen) {
  std::future<Result<WriteResult>> f = store().WriteAsync(NewReport("async"));
  std::mutex mu;
  std::vector<std::string> answered;  // guarded by mu
  for (int i = 0; i < 5; ++i) {
    store().WriteThen(NewReport("then"), [&](Result<WriteResult> w) {
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      std::lock_guard<std::mutex> lock(mu);
      answered.push_back(w->report_id);
    });
  }
  Result<WriteResult> first = f.get();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->report_id, "SEC-2026-0001");
  EXPECT_EQ(first->version, 1);
  ASSERT_TRUE(store().WaitDurable().ok());
  Reopen();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(answered.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(answered[i], FormatReportId("SEC", 2026, i + 2));
  EXPECT_EQ(store().ListReports({})->size(), 6u);
  EXPECT_EQ(store().GetReport("SEC-2026-0006")->fields.subject, "then");
}

TEST_P(StoreContract, AttachmentsAreNumberedPerReportAndReadWithOrWithoutData) {
  WriteBatch b = NewReport("a");
  b.web.attachments.push_back(
      {"", 0, 0, "poc.py", "text/x-python", 5, HashOf("print"), "print", "anonymous", kT0});
  Result<WriteResult> w = store().Write(std::move(b));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::string id = w->report_id;
  WriteBatch reply = Change(id);
  reply.messages.push_back({"", 0, kReporter, "", "reporter", "see log", kT0 + 1});
  reply.events.push_back({id, kT0 + 1, kReporter, "message.posted", "{}"});
  std::string binary("\x00\x01\xff", 3);
  reply.web.attachments.push_back(
      {"", 0, -1, "log.bin", "application/octet-stream", 3, HashOf(binary), binary, kReporter, 0});
  ASSERT_TRUE(store().Write(std::move(reply)).ok());

  Result<std::vector<Attachment>> list = store().Attachments(id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].number, 1);
  EXPECT_EQ((*list)[0].message_seq, 0);
  EXPECT_EQ((*list)[0].filename, "poc.py");
  EXPECT_EQ((*list)[0].size, 5);
  EXPECT_TRUE((*list)[0].data.empty());
  EXPECT_EQ((*list)[1].number, 2);
  EXPECT_EQ((*list)[1].message_seq, 1);
  EXPECT_EQ((*list)[1].uploaded_by, kReporter);
  Result<std::optional<Attachment>> one = store().GetAttachment(id, 2);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->data, binary);
  EXPECT_EQ((*one)->sha256, HashOf(binary));
  EXPECT_EQ((*one)->content_type, "application/octet-stream");
  EXPECT_FALSE(store().GetAttachment(id, 3)->has_value());
}

TEST_P(StoreContract, ReporterPreferencesAreReplacedAsAWhole) {
  std::string id = Submit("a");
  EXPECT_FALSE(store().GetReporterPrefs(id)->has_value());
  WriteBatch b = Change(id);
  b.web.reporter_prefs = ReporterPrefs{"", false, "Rita R", "-----BEGIN PGP", kT0};
  ASSERT_TRUE(store().Write(std::move(b)).ok());
  WriteBatch c = Change(id);
  c.web.reporter_prefs = ReporterPrefs{"", true, "", "", kT0 + 1};
  ASSERT_TRUE(store().Write(std::move(c)).ok());
  Result<std::optional<ReporterPrefs>> p = store().GetReporterPrefs(id);
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->report_id, id);
  EXPECT_TRUE((*p)->anonymous);
  EXPECT_EQ((*p)->credit_name, "");
  EXPECT_EQ((*p)->public_key, "");
  EXPECT_EQ((*p)->updated_at, kT0 + 1);
}

TEST_P(StoreContract, AChainIsSummedUpByActorFromTheBatchesThatAskedForIt) {
  std::string id = Submit("a");
  for (int i = 0; i < 3; ++i) {
    WriteBatch b = Change(id);
    b.web.summarize_events = true;
    std::string actor = i == 1 ? "bob@example.org" : "mia@example.org";
    b.events.push_back({id, kT0 + (i + 1) * kMicrosPerSecond, actor, "report.viewed", "{}"});
    ASSERT_TRUE(store().Write(std::move(b)).ok());
  }
  ASSERT_TRUE(Append(id, "message.posted").ok());  // not summed up
  Result<ChainActivity> a = store().SummarizeChain(id);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->actors.size(), 2u);
  EXPECT_EQ(a->actors[0].actor, "mia@example.org");
  EXPECT_EQ(a->actors[0].count, 2);
  EXPECT_EQ(a->actors[0].first, kT0 + kMicrosPerSecond);
  EXPECT_EQ(a->actors[0].last, kT0 + 3 * kMicrosPerSecond);
  EXPECT_EQ(a->actors[1].actor, "bob@example.org");
  EXPECT_EQ(a->actors[1].count, 1);
}

TEST_P(StoreContract, EverythingAcknowledgedSurvivesReopen) {
  std::string id = Submit("durable");
  ASSERT_TRUE(Append(id, "message.posted").ok());
  Reopen();
  Result<Report> r = store().GetReport(id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(r->fields.subject, "durable");
  EXPECT_EQ(store().Events(id)->size(), 2u);
  EXPECT_EQ(store().Write(NewReport("next"))->report_id, "SEC-2026-0002");
  EXPECT_TRUE(store().VerifyAudit()->ok);
}

}  // namespace
}  // namespace vigil::contract
