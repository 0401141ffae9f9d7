// What is PostgreSQL's own in PgStore: the schema it migrates to is SQLite's (every table and
// column, the same kinds of values), a row digest is the same on both engines (a chain written
// on one verifies on the other), and search words become a tsquery that never parses input.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/audit_chain.h"
#include "store/pg_store.h"
#include "store/sqlite_query.h"
#include "store/sqlite_store.h"
#include "store/store_copy.h"
#include "support/postgres.h"
#include "support/temp_dir.h"

namespace vigil {
namespace {

TEST(PgTsQuery, EveryWordIsAPrefixAndPunctuationJoinsItsParts) {
  EXPECT_EQ(PgTsQuery("  heap   Overflow "), "('heap':*) & ('Overflow':*)");
  EXPECT_EQ(PgTsQuery("use-after-free"), "('use' <-> 'after' <-> 'free':*)");
  EXPECT_EQ(PgTsQuery("a'b OR NEAR( :* & | ! \\"), "('a' <-> 'b':*) & ('OR':*) & ('NEAR':*)");
  EXPECT_EQ(PgTsQuery("caf\xc3\xa9"), "('caf\xc3\xa9':*)");
  EXPECT_EQ(PgTsQuery(" \t-- ;"), "");
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = testing::TestPgTarget();
    ASSERT_FALSE(target_.url.empty())
        << "run through scripts/with-postgres.sh (VIGIL_TEST_PG_URL is not set)";
    Result<std::unique_ptr<PgConnection>> admin = PgConnection::Open(target_);
    ASSERT_TRUE(admin.ok()) << admin.status().message();
    const std::string name =
        std::string("s_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE((*admin)->Exec(("DROP DATABASE IF EXISTS " + lower).c_str()).ok());
    ASSERT_TRUE((*admin)->Exec(("CREATE DATABASE " + lower).c_str()).ok());
    db_ = testing::WithDatabase(target_, lower);
  }
  PgTarget target_, db_;
};

// Table -> column -> kind ("integer", "text", "bytes"), search tables left out (each engine has
// its own index).
using Schema = std::map<std::string, std::map<std::string, std::string>>;
bool IsSearchTable(const std::string& table) {
  return table.rfind("report_search", 0) == 0 || table.rfind("search_", 0) == 0;
}

TEST_F(PgStoreTest, TheSchemaIsSqlitesTableForTableAndColumnForColumn) {
  Result<std::unique_ptr<PgStore>> pg = PgStore::Open(db_);
  ASSERT_TRUE(pg.ok()) << pg.status().message();
  pg->reset();
  vigil::testing::TempDir dir;
  const std::string path = dir.path() + "/vigil.db";
  ASSERT_TRUE(SqliteStore::Open(path).ok());

  Schema sqlite_schema;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    SqliteConnection c(db);
    Result<std::vector<std::string>> tables =
        Rows(c, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
             [](const Query& q) { return q.Text(0); });
    ASSERT_TRUE(tables.ok());
    for (const std::string& t : *tables) {
      if (IsSearchTable(t)) continue;
      ASSERT_TRUE(EachRow(
                      c, "SELECT name, type FROM pragma_table_info(?)",
                      [&](const Query& q) {
                        const std::string type = q.Text(1);
                        sqlite_schema[t][q.Text(0)] =
                            type == "BLOB" ? "bytes" : (type == "TEXT" ? "text" : "integer");
                      },
                      t)
                      .ok());
    }
  }
  Schema pg_schema;
  {
    Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(db_);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(EachRow(**c,
                        "SELECT table_name, column_name, data_type FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND column_name <> 'pos'",
                        [&](const Query& q) {
                          if (IsSearchTable(q.Text(0))) return;
                          const std::string type = q.Text(2);
                          pg_schema[q.Text(0)][q.Text(1)] =
                              type == "bytea" ? "bytes" : (type == "text" ? "text" : type);
                        })
                    .ok());
    // Every text column compares byte by byte.
    Result<int64_t> collated = IntOrDefault(
        **c,
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C'",
        -1);
    ASSERT_TRUE(collated.ok());
    EXPECT_EQ(*collated, 0);
  }
  for (auto& [table, columns] : pg_schema) {
    for (auto& [column, kind] : columns) {
      if (kind == "bigint") kind = "integer";
    }
  }
  // Raw mail is bytes: a TEXT column holds any bytes in SQLite, bytea on PostgreSQL (mail-3).
  EXPECT_EQ(pg_schema["mail_inbox"]["raw"], "bytes");
  EXPECT_EQ(pg_schema["mail_inbox"]["plaintext"], "bytes");
  pg_schema["mail_inbox"]["raw"] = pg_schema["mail_inbox"]["plaintext"] = "text";
  EXPECT_EQ(pg_schema, sqlite_schema);
  EXPECT_GT(pg_schema.size(), 20u);
}

// The same values give the same digest in C++, in SQLite's vigil_row_digest and in PostgreSQL's
// SQL, including text outside ASCII, negative and large integers and bytes of every value.
TEST_F(PgStoreTest, ARowDigestIsTheSameOnBothEngines) {
  Result<std::unique_ptr<PgConnection>> pg = PgConnection::Open(db_);
  ASSERT_TRUE(pg.ok());
  ASSERT_TRUE((*pg)
                  ->Exec("CREATE TABLE sample (name TEXT NOT NULL, n BIGINT NOT NULL, "
                         "data BYTEA NOT NULL, tail TEXT NOT NULL)")
                  .ok());
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
  const std::string name =
      "Ren\xc3\xa9"
      "e \xe2\x9c\x93 'quoted' \\ tab\t";
  const int64_t n = -9'007'199'254'740'993;
  Query ins(**pg, "INSERT INTO sample (name, n, data, tail) VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(ins.Bind(1, name).Bind(2, n).BindBlob(3, bytes).Bind(4, "").Run().ok());

  const AuditedTable sample{
      "sample", {"name"}, "", {{"name", 't'}, {"n", 'i'}, {"data", 'b'}, {"tail", 't'}}};
  Result<std::optional<std::string>> from_pg =
      FirstRow(**pg, "SELECT " + PgRowDigestSql(sample, "") + " FROM sample",
               [](const Query& q) { return q.Text(0); });
  ASSERT_TRUE(from_pg.ok()) << from_pg.status().message();
  ASSERT_TRUE(from_pg->has_value());

  RowDigestBuilder expected;
  expected.Add('t', "sample");
  expected.Add('t', name);
  expected.Add('i', std::to_string(n));
  expected.Add('b', bytes);
  expected.Add('t', "");
  EXPECT_EQ(**from_pg, expected.Hex());

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  SqliteConnection lite(db);
  ASSERT_TRUE(RegisterRowDigest(db).ok());
  ASSERT_TRUE(
      lite.Exec("CREATE TABLE sample (name TEXT NOT NULL, n BIGINT NOT NULL, data BLOB NOT NULL, "
                "tail TEXT NOT NULL)")
          .ok());
  Query lite_ins(lite, "INSERT INTO sample (name, n, data, tail) VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(lite_ins.Bind(1, name).Bind(2, n).BindBlob(3, bytes).Bind(4, "").Run().ok());
  Result<std::optional<std::string>> from_sqlite =
      FirstRow(lite, "SELECT " + SqliteRowDigestSql(sample, "") + " FROM sample",
               [](const Query& q) { return q.Text(0); });
  ASSERT_TRUE(from_sqlite.ok() && from_sqlite->has_value());
  EXPECT_EQ(**from_sqlite, expected.Hex());
}

// Instances that start together migrate once; a second open of a migrated database changes
// nothing and its chains still verify.
TEST_F(PgStoreTest, OpeningAgainAndTogetherMigratesOnce) {
  std::vector<std::thread> threads;
  std::vector<Status> opened(3);
  for (size_t i = 0; i < opened.size(); ++i) {
    threads.emplace_back([&, i] { opened[i] = PgStore::Open(db_).status(); });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : opened) EXPECT_TRUE(s.ok()) << s.message();
  Result<std::unique_ptr<PgStore>> again = PgStore::Open(db_);
  ASSERT_TRUE(again.ok());
  Result<AuditVerdict> v = (*again)->VerifyAudit();
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_TRUE(v->ok) << v->first_broken;
  Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(db_);
  ASSERT_TRUE(c.ok());
  Result<int64_t> baselines =
      IntOrDefault(**c, "SELECT COUNT(*) FROM schema_migrations WHERE name = 'audit-baseline'", -1);
  ASSERT_TRUE(baselines.ok());
  EXPECT_EQ(*baselines, 1);
}

// A new report by rita@example.org at T, on no chain yet.
WriteBatch NewReportAt(Instant t, const std::string& subject) {
  Report r;
  r.fields.subject = subject;
  r.created_at = r.updated_at = r.embargo.start = t;
  r.embargo.end = t + 90 * kMicrosPerDay;
  Participant p;
  p.email = "rita@example.org";
  p.role = Role::kReporter;
  p.added_at = t;
  p.added_by = "anonymous";
  r.participants.push_back(p);
  WriteBatch b;
  b.report = r;
  b.id_prefix = "SEC";
  b.events.push_back({"", t, "anonymous", "report.submitted", "{}"});
  return b;
}

// Two instances on one database, each with its own writer: new reports get distinct numbers,
// appends to the same chains (each instance re-reading and retrying when the other moved the
// report, as the services do) all land in one linked chain, and the system chain takes both.
TEST_F(PgStoreTest, TwoInstancesWriteTheSameChainsAndEveryWriteLandsOnce) {
  Result<std::unique_ptr<PgStore>> first = PgStore::Open(db_);
  Result<std::unique_ptr<PgStore>> second = PgStore::Open(db_);
  ASSERT_TRUE(first.ok() && second.ok());
  std::vector<PgStore*> stores = {first->get(), second->get()};
  const Instant t0 = 1'790'000'000LL * kMicrosPerSecond;
  Result<WriteResult> shared = stores[0]->Write(NewReportAt(t0, "shared"));
  ASSERT_TRUE(shared.ok()) << shared.status().message();
  constexpr int kPerThread = 25;
  std::atomic<int> failed{0}, retries{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 4; ++thread) {
    threads.emplace_back([&, thread] {
      PgStore& store = *stores[thread % 2];
      for (int i = 0; i < kPerThread; ++i) {
        if (!store.Write(NewReportAt(t0 + i, "new " + std::to_string(thread))).ok()) ++failed;
        for (;;) {  // one event on the shared report's chain, and one on the system chain
          Result<Report> r = store.GetReport(shared->report_id);
          if (!r.ok()) {
            ++failed;
            break;
          }
          WriteBatch b;
          b.report = *r;
          b.expected_version = r->version;
          b.events.push_back({r->id, t0 + i, "cli:t" + std::to_string(thread), "note", "{}"});
          b.events.push_back(
              {kSystemChain, t0 + i, "cli:t" + std::to_string(thread), "tick", "{}"});
          Result<WriteResult> w = store.Write(std::move(b));
          if (w.ok()) break;
          if (w.status().code() != Code::kAborted) {
            ADD_FAILURE() << w.status().ToString();
            ++failed;
            break;
          }
          ++retries;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  std::printf("two instances: %d retries of a stale read\n", retries.load());
  Result<std::vector<ReportSummary>> all = stores[1]->ListReports({.limit = 0});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u + 4 * kPerThread);
  std::set<std::string> ids;
  for (const ReportSummary& r : *all) ids.insert(r.id);
  EXPECT_EQ(ids.size(), all->size()) << "a report number was given twice";
  Result<std::vector<StoredEvent>> chain = stores[0]->Events(shared->report_id);
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->size(), 1u + 4 * kPerThread);
  Result<std::vector<StoredEvent>> system = stores[0]->Events(kSystemChain);
  ASSERT_TRUE(system.ok());
  EXPECT_GE(system->size(), 4u * kPerThread);
  Result<AuditVerdict> v = stores[1]->VerifyAudit();
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_TRUE(v->ok) << v->first_broken;
}

TEST_F(PgStoreTest, BackupsArePostgresqlsOwn) {
  Result<std::unique_ptr<PgStore>> pg = PgStore::Open(db_);
  ASSERT_TRUE(pg.ok());
  Status s = (*pg)->Backup("/tmp/never-written.db");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "a PostgreSQL store is backed up with PostgreSQL's own tools (pg_dump, or a replica); "
            "vigil backup copies an SQLite store");
  EXPECT_FALSE(std::filesystem::exists("/tmp/never-written.db"));
}

// `vigil migrate-data`: every row arrives as it was (mail as bytes), ids go on after the copied
// ones, the chains verify on arrival; a copy that cannot finish leaves the database empty.
// Newest first, a word in more reports than kFewMatches (2,000) is found by walking the
// reports, a rare one through its matches: both give what the filter and the order say, pages
// after a cursor included, and within a participant's reports.
TEST_F(PgStoreTest, ASearchForACommonWordAndForARareOneGivesTheNewestMatchesInOrder) {
  Result<std::unique_ptr<PgStore>> store = PgStore::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  const Instant t0 = 1'790'000'000LL * kMicrosPerSecond;
  constexpr int kReports = 2'400;
  struct Made {
    Instant at;
    std::string id;
    bool common, rare, other;
  };
  std::vector<Made> made(kReports);
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 8; ++thread) {
    threads.emplace_back([&, thread] {
      for (int i = thread; i < kReports; i += 8) {
        Made m{t0 + i * kMicrosPerSecond, "", i % 8 != 3, i % 500 == 7, i % 10 == 1};
        WriteBatch b =
            NewReportAt(m.at, std::string(m.common ? "heap overflow" : "crash") + " in part " +
                                  std::to_string(i) + (m.rare ? " via kubeletrace" : ""));
        if (m.other) b.report->participants[0].email = "other@example.org";
        Result<WriteResult> w = (*store)->Write(std::move(b));
        if (!w.ok()) {
          ++failed;
          continue;
        }
        m.id = w->report_id;
        made[static_cast<size_t>(i)] = m;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(failed.load(), 0);
  auto expected = [&](auto keep, size_t skip, size_t n) {
    std::vector<std::string> out;
    for (auto it = made.rbegin(); it != made.rend() && out.size() < skip + n; ++it) {
      if (keep(*it)) out.push_back(it->id);
    }
    return std::vector<std::string>(out.begin() + static_cast<long>(std::min(skip, out.size())),
                                    out.end());
  };
  auto ids = [](const Result<std::vector<ReportSummary>>& got) {
    std::vector<std::string> out;
    EXPECT_TRUE(got.ok()) << got.status().message();
    if (got.ok()) {
      for (const ReportSummary& r : *got) out.push_back(r.id);
    }
    return out;
  };
  ReportFilter newest;
  newest.best_first = false;
  newest.limit = 50;
  // 2,100 reports say "overflow": walked.
  Result<std::vector<ReportSummary>> first = (*store)->SearchReports("overflow", newest);
  EXPECT_EQ(ids(first), expected([](const Made& m) { return m.common; }, 0, 50));
  ASSERT_TRUE(first.ok() && first->size() == 50u);
  ReportFilter next = newest;
  next.after = ReportCursor{first->back().created_at, first->back().id};
  EXPECT_EQ(ids((*store)->SearchReports("overflow", next)),
            expected([](const Made& m) { return m.common; }, 50, 50));
  ReportFilter others = newest;
  others.participant_email = "other@example.org";
  EXPECT_EQ(ids((*store)->SearchReports("overflow", others)),
            expected([](const Made& m) { return m.common && m.other; }, 0, 50));
  // Five say "kubeletrace": through the index.
  EXPECT_EQ(ids((*store)->SearchReports("kubeletrace", newest)),
            expected([](const Made& m) { return m.rare; }, 0, 50));
  EXPECT_EQ(ids((*store)->SearchReports("kubeletrace overflow", newest)),
            expected([](const Made& m) { return m.rare && m.common; }, 0, 50));
  // Ranked (the default): every match counted.
  EXPECT_EQ((*store)->SearchReports("overflow", ReportFilter{})->size(), 500u);
}

TEST_F(PgStoreTest, ACopyFromSqliteKeepsEveryRowAndAFailedOneLeavesNothing) {
  testing::TempDir dir;
  Result<std::unique_ptr<SqliteStore>> lite = SqliteStore::Open(dir.path() + "/vigil.db");
  ASSERT_TRUE(lite.ok()) << lite.status().message();
  // COPY's text format escapes these: a tab, a backslash, CR LF, and "\N" (its NULL) as text.
  const std::string subject = "Heap\toverflow \\ in\r\nthe \\N parser";
  WriteBatch first = NewReportAt(1'790'000'000LL * kMicrosPerSecond, subject);
  first.outbox.push_back({0, "", "rita@example.org", "receipt", "Received", "body", 0});
  Result<WriteResult> w = (*lite)->Write(std::move(first));
  ASSERT_TRUE(w.ok()) << w.status().message();
  InboxMail in;
  in.id = "q1";
  in.received_at = 1;
  in.client = "127.0.0.1";
  in.mail_from = "rita@example.org";
  in.recipients = {"security@example.org"};
  in.raw = "Subject: x\r\n\r\n\xe9t\xe9 " + std::string(1, '\0') + "\xff\r\n";  // Latin-1, a NUL
  in.plaintext = std::string("\xfe\0\x80", 3);
  WriteBatch mail;
  mail.now = 2;
  mail.mail.inbox.push_back(in);
  ASSERT_TRUE((*lite)->Write(std::move(mail)).ok());
  const int64_t copied_outbox = (*(*lite)->Outbox(w->report_id)).front().id;

  Result<StoreCopy> copy = CopyIntoPostgres(**lite, db_);
  ASSERT_TRUE(copy.ok()) << copy.status().message();
  EXPECT_TRUE(copy->verdict.ok) << copy->verdict.first_broken;
  EXPECT_EQ(copy->verdict.events, 1);
  Result<std::unique_ptr<PgStore>> pg = PgStore::Open(db_);
  ASSERT_TRUE(pg.ok());
  Result<std::optional<InboxMail>> arrived = (*pg)->FindInboxMail("q1");
  ASSERT_TRUE(arrived.ok() && arrived->has_value()) << arrived.status().message();
  EXPECT_EQ((*arrived)->raw, in.raw);
  EXPECT_EQ((*arrived)->plaintext, in.plaintext);
  Result<Report> report = (*pg)->GetReport(w->report_id);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->fields.subject, subject);
  ReportFilter all;
  EXPECT_EQ((*pg)->SearchReports("heap", all)->size(), 1u);  // indexed on arrival
  // New rows get ids after the copied ones, and the report numbering goes on.
  WriteBatch second = NewReportAt(1'790'000'100LL * kMicrosPerSecond, "Second");
  second.outbox.push_back({0, "", "rita@example.org", "receipt", "Received", "body", 0});
  Result<WriteResult> w2 = (*pg)->Write(std::move(second));
  ASSERT_TRUE(w2.ok()) << w2.status().message();
  EXPECT_NE(w2->report_id, w->report_id);
  EXPECT_GT((*(*pg)->Outbox(w2->report_id)).front().id, copied_outbox);
  // The audit triggers, off during the copy, are on again: the new write is in the chain.
  Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(db_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*IntOrDefault(**c,
                          "SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'vigil_audit' AND "
                          "tgenabled <> 'O'",
                          -1),
            0);
  EXPECT_GT(*IntOrDefault(**c, "SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'vigil_audit'", -1),
            5);
  Result<AuditVerdict> after = (*pg)->VerifyAudit();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->ok) << after->first_broken;
  EXPECT_EQ(after->events, 2);
  // Into a database that holds a project: refused.
  Result<StoreCopy> again = CopyIntoPostgres(**lite, db_);
  EXPECT_EQ(again.status().code(), Code::kConflict);
  EXPECT_EQ(again.status().message(), RedactedPgUrl(db_.url) +
                                          " already holds a project (2 events); migrate-data "
                                          "copies into an empty database");
}

TEST_F(PgStoreTest, ACopyThatCannotFinishLeavesTheDatabaseEmpty) {
  testing::TempDir dir;
  Result<std::unique_ptr<SqliteStore>> lite = SqliteStore::Open(dir.path() + "/vigil.db");
  ASSERT_TRUE(lite.ok());
  ASSERT_TRUE((*lite)->Write(NewReportAt(1'790'000'000LL * kMicrosPerSecond, "fine")).ok());
  // PostgreSQL text takes no NUL byte: this subject cannot be stored there.
  ASSERT_TRUE(
      (*lite)->Write(NewReportAt(1'790'000'001LL * kMicrosPerSecond, std::string("a\0b", 3))).ok());
  Result<StoreCopy> copy = CopyIntoPostgres(**lite, db_);
  ASSERT_FALSE(copy.ok());
  EXPECT_EQ(copy.status().message(),
            "cannot copy the rows of reports: storage: invalid byte sequence for encoding "
            "\"UTF8\": 0x00 (COPY reports, line 2)");
  Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(db_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*IntOrDefault(**c, "SELECT COUNT(*) FROM events", -1), 0);
  EXPECT_EQ(*IntOrDefault(**c, "SELECT COUNT(*) FROM reports", -1), 0);
}

}  // namespace
}  // namespace vigil
