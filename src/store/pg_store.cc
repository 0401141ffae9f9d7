// PgStore: see pg_store.h.
#include "store/pg_store.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <thread>

#include "store/audit_chain.h"

namespace vigil {

// Migration web-2 on PostgreSQL: one tsvector per report (message_seq 0: its fields) and per
// message, kept by triggers in the write's own transaction. Words are split at ASCII punctuation
// and spaces before the parser sees them, as SQLite's tokenizer splits them (an address or a
// version number is several words, not one token); a message held from an unverified sender
// is not indexed.
extern const char kPgSearchMigration[] = R"sql(
CREATE TABLE report_search (
  report_id TEXT COLLATE "C" NOT NULL,
  message_seq BIGINT NOT NULL,
  words tsvector NOT NULL,
  PRIMARY KEY (report_id, message_seq)
);
CREATE INDEX report_search_words ON report_search USING GIN (words);
CREATE FUNCTION vigil_search_words(body TEXT) RETURNS tsvector LANGUAGE sql IMMUTABLE
  PARALLEL SAFE AS $$
  SELECT to_tsvector('simple', regexp_replace(body, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+',
                                              ' ', 'g'))
$$;
CREATE FUNCTION vigil_search_report() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_search (report_id, message_seq, words) VALUES (NEW.id, 0,
    vigil_search_words(NEW.id || ' ' || NEW.subject || ' ' || NEW.steps || ' ' ||
      NEW.effects_cluster || ' ' || NEW.effects_applications || ' ' ||
      NEW.effects_infrastructure || ' ' || NEW.workflows || ' ' || NEW.attack_vectors || ' ' ||
      NEW.other_software))
  ON CONFLICT (report_id, message_seq) DO UPDATE SET words = excluded.words;
  RETURN NULL;
END
$$;
CREATE TRIGGER search_report_insert AFTER INSERT ON reports FOR EACH ROW
  EXECUTE FUNCTION vigil_search_report();
CREATE TRIGGER search_report_update AFTER UPDATE ON reports FOR EACH ROW
  WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.steps IS DISTINCT FROM NEW.steps OR
        OLD.effects_cluster IS DISTINCT FROM NEW.effects_cluster OR
        OLD.effects_applications IS DISTINCT FROM NEW.effects_applications OR
        OLD.effects_infrastructure IS DISTINCT FROM NEW.effects_infrastructure OR
        OLD.workflows IS DISTINCT FROM NEW.workflows OR
        OLD.attack_vectors IS DISTINCT FROM NEW.attack_vectors OR
        OLD.other_software IS DISTINCT FROM NEW.other_software)
  EXECUTE FUNCTION vigil_search_report();
CREATE FUNCTION vigil_search_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_search (report_id, message_seq, words)
    VALUES (NEW.report_id, NEW.seq, vigil_search_words(NEW.body))
  ON CONFLICT (report_id, message_seq) DO UPDATE SET words = excluded.words;
  RETURN NULL;
END
$$;
CREATE TRIGGER search_message AFTER INSERT ON messages FOR EACH ROW
  WHEN (NEW.author_role <> 'unverified') EXECUTE FUNCTION vigil_search_message();
INSERT INTO report_search (report_id, message_seq, words)
  SELECT id, 0, vigil_search_words(id || ' ' || subject || ' ' || steps || ' ' ||
    effects_cluster || ' ' || effects_applications || ' ' || effects_infrastructure || ' ' ||
    workflows || ' ' || attack_vectors || ' ' || other_software) FROM reports;
INSERT INTO report_search (report_id, message_seq, words)
  SELECT report_id, seq, vigil_search_words(body) FROM messages
  WHERE author_role <> 'unverified';
)sql";

namespace {

// Any session of this database takes it while it migrates: "vigi" in ASCII.
constexpr int64_t kMigrationLock = 0x76696769;

bool IsWordByte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string Qualified(const std::string& prefix, const char* column) {
  return prefix.empty() ? std::string(column) : prefix + "." + column;
}

// The PL/pgSQL function and trigger that record each row of T a statement touches in the
// writer session's vigil_touched, as SQLite's TEMP triggers do (see sql_store_audit.cc).
std::string AuditTriggerSql(const AuditedTable& t) {
  const std::string name = t.name;
  auto row = [&](const std::string& prefix, bool present) {
    return "INSERT INTO vigil_touched (tbl, key, owner, digest) VALUES ('" + name + "', " +
           AuditKeySql(t, prefix) + ", " + AuditOwnerSql(t, prefix) + ", " +
           (present ? PgRowDigestSql(t, prefix) : std::string("''")) + ");";
  };
  return "CREATE OR REPLACE FUNCTION vigil_audit_" + name +
         "() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
         "IF TG_OP <> 'INSERT' THEN " +
         row("OLD", false) +
         " END IF; "
         "IF TG_OP <> 'DELETE' THEN " +
         row("NEW", true) +
         " END IF; RETURN NULL; END $f$; "
         "CREATE OR REPLACE TRIGGER vigil_audit AFTER INSERT OR UPDATE OR DELETE ON " +
         name + " FOR EACH ROW EXECUTE FUNCTION vigil_audit_" + name + "();";
}

}  // namespace

std::string PgTsQuery(std::string_view words) {
  std::string out;
  size_t i = 0;
  while (i < words.size()) {
    while (i < words.size() && std::isspace(static_cast<unsigned char>(words[i]))) ++i;
    size_t end = i;
    while (end < words.size() && !std::isspace(static_cast<unsigned char>(words[end]))) ++end;
    // The word's runs of letters and digits, in order; only the last is a prefix (as in an
    // FTS5 phrase with '*').
    std::vector<std::string> runs;
    for (size_t j = i; j < end;) {
      while (j < end && !IsWordByte(static_cast<unsigned char>(words[j]))) ++j;
      size_t k = j;
      while (k < end && IsWordByte(static_cast<unsigned char>(words[k]))) ++k;
      if (k > j) runs.emplace_back(words.substr(j, k - j));
      j = k;
    }
    if (!runs.empty()) {
      if (!out.empty()) out += " & ";
      out += '(';
      for (size_t r = 0; r < runs.size(); ++r) {
        if (r > 0) out += " <-> ";
        out += "'" + runs[r] + "'";
      }
      out += ":*)";
    }
    i = end;
  }
  return out;
}

std::string PgRowDigestSql(const AuditedTable& t, const std::string& prefix) {
  // "vigil-row-v1", then TYPE LENGTH ':' BYTES for the table name and each column: text runs
  // are converted to UTF-8 bytes, bytea columns are appended as they are.
  const std::string table = t.name;
  std::string bytes;  // the bytea expression so far
  std::string text = "'vigil-row-v1t" + std::to_string(table.size()) + ":" + table + "'";
  auto flush = [&] {
    if (text.empty()) return;
    if (!bytes.empty()) bytes += " || ";
    bytes += "convert_to(" + text + ", 'UTF8')";
    text.clear();
  };
  for (const auto& [column, type] : t.columns) {
    const std::string c = Qualified(prefix, column);
    if (!text.empty()) text += " || ";
    if (type == 'i') {
      text += "'i' || length(" + c + "::text) || ':' || " + c + "::text";
    } else if (type == 'b') {
      text += "'b' || octet_length(" + c + ") || ':'";
      flush();
      bytes += " || " + c;
    } else {
      text += "'t' || octet_length(" + c + ") || ':' || " + c;
    }
  }
  flush();
  return "encode(sha256(" + bytes + "), 'hex')";
}

Result<std::unique_ptr<PgStore>> PgStore::Open(const PgTarget& target) {
  std::unique_ptr<PgStore> store(new PgStore(target));
  Result<std::unique_ptr<PgConnection>> writer = PgConnection::Open(target);
  if (!writer.ok()) return writer.status();
  store->writer_ = std::move(writer).value();
  store->writer_conn_ = store->writer_.get();
  // Two queries per core of this machine at once (at least 4): more at once only lengthen the
  // slowest (sql_store.h); the database's own machine has seldom fewer cores.
  store->LimitConcurrentReads(
      std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency())));
  PgConnection& w = *store->writer_;
  // A commit returns once durable, whatever the server's default.
  VIGIL_RETURN_IF_ERROR(w.Exec("SET synchronous_commit TO on"));
  Status migrated = w.Exec("BEGIN");
  if (migrated.ok()) {
    Query lock(w, "SELECT pg_advisory_xact_lock(?)");
    migrated = lock.Bind(1, kMigrationLock).Run();
  }
  if (migrated.ok()) migrated = ApplyMigrations(w, SqlDialect::kPostgres);
  if (migrated.ok()) {
    // The touched-rows table exists in every session that writes, before any trigger fires.
    migrated = store->PrepareWriterSession();
  }
  for (const AuditedTable& t : AuditedTables()) {
    if (migrated.ok()) migrated = w.Exec(AuditTriggerSql(t).c_str());
  }
  if (migrated.ok()) {
    migrated = WriteAuditBaseline(w, PgRowDigestSql,
                                  static_cast<Instant>(time(nullptr)) * kMicrosPerSecond);
  }
  if (migrated.ok()) migrated = w.Exec("COMMIT");
  if (!migrated.ok()) {
    (void)w.Exec("ROLLBACK");
    return Status::Unavailable("cannot migrate " + RedactedPgUrl(target.url) + ": " +
                               migrated.message());
  }
  store->StartWriter();
  return store;
}

PgStore::~PgStore() { StopWriter(); }

extern const char kPgTouchedTableSql[] =
    "CREATE TEMP TABLE IF NOT EXISTS vigil_touched (id BIGINT GENERATED ALWAYS AS IDENTITY, "
    "tbl TEXT NOT NULL, key TEXT NOT NULL, owner TEXT NOT NULL, digest TEXT NOT NULL) "
    "ON COMMIT DELETE ROWS";

Status PgStore::PrepareWriterSession() { return writer_->Exec(kPgTouchedTableSql); }

Status PgStore::Lock(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (!group_locks_.insert(name).second) continue;  // the group holds it already
    Query lock(*writer_, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))");
    Status s = lock.Bind(1, name).Run();
    if (!s.ok()) {
      group_locks_.erase(name);
      return s;
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<SqlConnection>> PgStore::OpenReader() {
  Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(target_);
  if (!c.ok()) return c.status();
  return std::unique_ptr<SqlConnection>(std::move(c).value());
}

Status PgStore::CollectTouchedRows() {
  PgConnection& w = *writer_;
  {
    Query q(w, "SELECT tbl, key, owner, digest FROM vigil_touched ORDER BY id");
    while (q.Step()) touched_rows_.push_back({q.Text(0), q.Text(1), q.Text(2), q.Text(3)});
    VIGIL_RETURN_IF_ERROR(q.status());
  }
  return w.Run("DELETE FROM vigil_touched");
}

void PgStore::CommitGroup(Group& group) {
  PgConnection& w = *writer_;
  Status tx = Status::Ok();
  if (!w.Healthy()) {
    tx = w.Reconnect();
    if (tx.ok()) tx = w.Exec("SET synchronous_commit TO on");
    if (tx.ok()) tx = PrepareWriterSession();
  }
  group_locks_.clear();
  if (tx.ok()) tx = w.Run("BEGIN");
  if (tx.ok()) {
    // Every lock of the group, first and in one sorted order (see group_locks_).
    std::set<std::string> all;
    for (const auto& pending : group) {
      for (std::string& name : BatchLocks(pending->batch)) all.insert(std::move(name));
    }
    tx = Lock(std::vector<std::string>(all.begin(), all.end()));
    if (!tx.ok()) (void)w.Run("ROLLBACK");
  }
  // A batch that fails after writing without a savepoint (OnlyAddsAReport), or whose failed
  // statement aborted the transaction before its savepoint, takes the group's transaction with
  // it.
  std::optional<size_t> group_failure;
  if (tx.ok()) {
    for (size_t i = 0; i < group.size() && !group_failure; ++i) {
      BatchScope scope = BatchScope::kNoWrites;
      Result<WriteResult> r = ApplyBatch(group[i]->batch, scope);
      if (!r.ok() &&
          (scope == BatchScope::kUnguarded ||
           (scope == BatchScope::kNoWrites && w.InFailedTransaction()) || !w.Healthy())) {
        group_failure = i;
      } else if (scope == BatchScope::kSavepoint) {
        if (!r.ok()) (void)w.Run("ROLLBACK TO batch");
        (void)w.Run("RELEASE batch");
      }
      group[i]->result = std::move(r);
    }
    if (group_failure) {
      (void)w.Run("ROLLBACK");
      tx = Status::Unavailable(
          "the database could not store this write: another write of the same commit failed "
          "(nothing was stored); try again");
      if (!w.Healthy()) {
        tx = Status::Unavailable(
            "storage: the connection to PostgreSQL was lost (nothing was "
            "stored); try again");
        group_failure.reset();
      }
    } else {
      tx = w.Run("COMMIT");  // returns once the commit is durable (synchronous_commit)
      if (!tx.ok() && !w.Healthy()) {
        // Lost while committing: PostgreSQL may or may not have committed. Nothing is
        // acknowledged; a retry of a new report may store it twice (see the note in
        // docs/SCALING.md).
        tx = Status::Unavailable(
            "storage: the connection to PostgreSQL was lost while "
            "committing; the write may or may not be stored");
      }
    }
  }
  group_locks_.clear();  // the transaction has ended
  for (size_t i = 0; i < group.size(); ++i) {
    // The batch that failed keeps its own error; the others get the group's.
    const bool own = tx.ok() || (group_failure && *group_failure == i);
    group[i]->Finish(own && group[i]->result ? std::move(*group[i]->result)
                                             : Result<WriteResult>(tx));
  }
}

Status PgStore::WaitDurable() { return Status::Ok(); }  // a commit returns once durable

namespace {

constexpr const char* kSummaryColumns =
    "r.id, r.subject, r.state, r.level, r.coordinator, r.created_at, r.updated_at, r.embargo_end";
// Index rows (a report's fields, each message) matching a search, at most, for the search to
// take its matches from the index and sort them; with more, it walks the reports newest first.
constexpr int kFewMatches = 2000;

// The position after the last parameter AT numbers (the first free one).
int NextParameter(const ReportFilterSql& at, int first) {
  int next = first;
  for (int n : {at.email_at, at.id_at, at.state_at, at.level_at, at.coordinator_at, at.updated_at,
                at.limit_at}) {
    next = std::max(next, n + 1);
  }
  if (at.after_at) next = std::max(next, at.after_at + 2);
  return next;
}

}  // namespace

Result<std::vector<ReportSummary>> PgStore::SearchReports(const std::string& words,
                                                          const ReportFilter& f) {
  const std::string tsquery = PgTsQuery(words);
  if (tsquery.empty()) return std::vector<ReportSummary>();
  // The visibility filter is applied in the same query, so nothing outside it is ever read.
  // Ranked: every match is ranked, the best first. Newest first (what the list and the API
  // ask): the planner cannot tell from a parameter whether a word is rare or common, and the
  // plan good for one is ruinous for the other (walking every report for three matches, or
  // sorting a third of them for fifty), so the matching index rows are counted up to
  // kFewMatches first and the plan chosen by that.
  const bool ranked = f.best_first && !f.after;
  return OnReader([&](SqlConnection& c) -> Result<std::vector<ReportSummary>> {
    std::string sql;
    ReportFilter filter = f;
    int limit_at = 0;  // when the limit is bound here rather than by the filter
    ReportFilterSql where;
    if (ranked) {
      sql = std::string("SELECT ") + kSummaryColumns +
            " FROM reports r JOIN (SELECT s.report_id, MAX(ts_rank(s.words, q)) AS best FROM "
            "report_search s, to_tsquery('simple', ?) q WHERE s.words @@ q GROUP BY "
            "s.report_id) m ON m.report_id = r.id WHERE 1 = 1";
      where = AppendReportFilter(sql, filter, 2, "m.best DESC, r.created_at DESC, r.id DESC");
    } else {
      // Through the index, always: with a LIMIT, a word the planner guesses common makes a
      // sequential scan look cheap, and for a rare one it reads every row (3 s at 1,000,000
      // reports).
      VIGIL_RETURN_IF_ERROR(c.Exec("BEGIN; SET LOCAL enable_seqscan = off"));
      Result<int64_t> matches = IntOrDefault(
          c,
          "SELECT COUNT(*) FROM (SELECT 1 FROM report_search WHERE words @@ to_tsquery("
          "'simple', ?) LIMIT " +
              std::to_string(kFewMatches + 1) + ") m",
          0, std::string_view(tsquery));
      const Status ended = c.Exec(matches.ok() ? "COMMIT" : "ROLLBACK");
      if (!matches.ok()) return Status::Invalid("search: the query is not understood");
      VIGIL_RETURN_IF_ERROR(ended);
      filter.limit = 0;  // bound here, after the filter's own parameters
      if (*matches > kFewMatches) {
        // Each report, newest first, checked by its own index rows as it is read, until the
        // page is full. The OFFSET 0 in the check keeps it a per-row probe (not a hash of every
        // match, 81 ms at 100,000 reports); the one after keeps it where it is (not a join over
        // every match); the outer order is the inner one (no sort).
        sql = std::string(
                  "SELECT id, subject, state, level, coordinator, created_at, "
                  "updated_at, embargo_end FROM (SELECT ") +
              kSummaryColumns +
              ", EXISTS (SELECT 1 FROM report_search s WHERE s.report_id = r.id AND s.words @@ "
              "to_tsquery('simple', ?) OFFSET 0) AS hit FROM reports r WHERE 1 = 1";
        where = AppendReportFilter(sql, filter, 2, "r.created_at DESC, r.id DESC");
        sql += " OFFSET 0) x WHERE hit ORDER BY created_at DESC, id DESC";
      } else {
        // The few matching reports, each read by its key (never a pass over every report to
        // join them), then sorted.
        sql = std::string(
                  "WITH m AS MATERIALIZED (SELECT DISTINCT report_id FROM report_search WHERE "
                  "words @@ to_tsquery('simple', ?)) SELECT r.* FROM m CROSS JOIN LATERAL "
                  "(SELECT ") +
              kSummaryColumns + " FROM reports r WHERE r.id = m.report_id";
        where = AppendReportFilter(sql, filter, 2, nullptr);
        // LIMIT 1 (the key gives one report at most) keeps the subquery from being pulled up
        // into a hash join.
        sql += " LIMIT 1) r ORDER BY r.created_at DESC, r.id DESC";
      }
      if (f.limit > 0) {
        sql += " LIMIT ?";
        limit_at = NextParameter(where, 2);
      }
    }
    Query q(c, sql);
    q.Bind(1, tsquery);
    where.Bind(q, filter);
    if (limit_at) q.Bind(limit_at, static_cast<int64_t>(f.limit));
    std::vector<ReportSummary> out;
    while (q.Step()) out.push_back(ReadSummaryRow(q));
    if (!q.status().ok()) return Status::Invalid("search: the query is not understood");
    return out;
  });
}

Result<AuditVerdict> PgStore::VerifyAudit(const CheckpointedHeads& checkpointed) {
  return OnReader([&](SqlConnection& c) -> Result<AuditVerdict> {
    // One snapshot for every table and chain.
    VIGIL_RETURN_IF_ERROR(c.Exec(BeginSnapshot()));
    Result<AuditVerdict> verdict = VerifyAuditOn(c, PgRowDigestSql, checkpointed);
    (void)c.Exec("COMMIT");
    return verdict;
  });
}

// The lock lives as long as the session that took it: a killed process's session ends with it.
class PgRunLock final : public RunLock {
 public:
  PgRunLock(PgStore& store, std::unique_ptr<PgConnection> session, std::string key)
      : store_(store), session_(std::move(session)), key_(std::move(key)) {}
  ~PgRunLock() override {
    Result<int64_t> released =
        IntOrDefault(*session_, "SELECT pg_advisory_unlock(hashtextextended(?, 0))::int", 0,
                     std::string_view(key_));
    // A session that could not say it let go is closed, which lets go for sure.
    if (released.ok() && *released == 1) store_.ReturnLockSession(std::move(session_));
  }
  PgRunLock(const PgRunLock&) = delete;
  PgRunLock& operator=(const PgRunLock&) = delete;

 private:
  PgStore& store_;
  std::unique_ptr<PgConnection> session_;
  const std::string key_;
};

void PgStore::ReturnLockSession(std::unique_ptr<PgConnection> session) {
  if (!session->Healthy()) return;
  std::lock_guard<std::mutex> lock(lock_sessions_mu_);
  if (lock_sessions_.size() < 8) lock_sessions_.push_back(std::move(session));
}

Result<std::unique_ptr<RunLock>> PgStore::TryRunLock(const std::string& name, bool wait) {
  if (!IsRunLockName(name)) return Status::Invalid("\"" + name + "\" cannot name a run lock");
  std::unique_ptr<PgConnection> session;
  {
    std::lock_guard<std::mutex> lock(lock_sessions_mu_);
    if (!lock_sessions_.empty()) {
      session = std::move(lock_sessions_.back());
      lock_sessions_.pop_back();
    }
  }
  if (!session) {
    Result<std::unique_ptr<PgConnection>> opened = PgConnection::Open(target_);
    if (!opened.ok()) return opened.status();
    session = std::move(opened).value();
  }
  std::string key = "run:" + name;
  Result<int64_t> got =
      wait ? IntOrDefault(*session, "SELECT 1 FROM pg_advisory_lock(hashtextextended(?, 0))", 0,
                          std::string_view(key))
           : IntOrDefault(*session, "SELECT pg_try_advisory_lock(hashtextextended(?, 0))::int", 0,
                          std::string_view(key));
  if (!got.ok()) return got.status();
  if (*got == 0) {
    ReturnLockSession(std::move(session));
    return std::unique_ptr<RunLock>();
  }
  return std::unique_ptr<RunLock>(
      std::make_unique<PgRunLock>(*this, std::move(session), std::move(key)));
}

Status PgStore::Backup(const std::string&) {
  return Status::Invalid(
      "a PostgreSQL store is backed up with PostgreSQL's own tools (pg_dump, or a replica); "
      "vigil backup copies an SQLite store");
}

}  // namespace vigil
