// SqliteStore's full-text index over reports and their threads (FTS5), and the web module's
// migrations.
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "store/sqlite_query.h"
#include "store/sqlite_store.h"

namespace vigil {

// The first search index (migration web-1, after the portable tables of kWebTablesMigration):
// kept by triggers, so every writer of reports and messages (the core batch code included) kept
// it current without knowing it exists. Replaced by web-2.
extern const char kWebSqliteSearchV1[] = R"sql(
CREATE VIRTUAL TABLE report_search USING fts5(report_id UNINDEXED, source UNINDEXED, body);
CREATE TRIGGER report_search_insert AFTER INSERT ON reports BEGIN
  INSERT INTO report_search (report_id, source, body) VALUES (new.id, 'report',
    new.id || ' ' || new.subject || ' ' || new.steps || ' ' || new.effects_cluster || ' ' ||
    new.effects_applications || ' ' || new.effects_infrastructure || ' ' || new.workflows ||
    ' ' || new.attack_vectors || ' ' || new.other_software);
END;
CREATE TRIGGER report_search_update AFTER UPDATE OF subject, steps, effects_cluster,
    effects_applications, effects_infrastructure, workflows, attack_vectors, other_software
    ON reports BEGIN
  DELETE FROM report_search WHERE report_id = old.id AND source = 'report';
  INSERT INTO report_search (report_id, source, body) VALUES (new.id, 'report',
    new.id || ' ' || new.subject || ' ' || new.steps || ' ' || new.effects_cluster || ' ' ||
    new.effects_applications || ' ' || new.effects_infrastructure || ' ' || new.workflows ||
    ' ' || new.attack_vectors || ' ' || new.other_software);
END;
CREATE TRIGGER report_search_message AFTER INSERT ON messages BEGIN
  INSERT INTO report_search (report_id, source, body) VALUES (new.report_id, 'message', new.body);
END;
INSERT INTO report_search (report_id, source, body)
  SELECT id, 'report', id || ' ' || subject || ' ' || steps || ' ' || effects_cluster || ' ' ||
    effects_applications || ' ' || effects_infrastructure || ' ' || workflows || ' ' ||
    attack_vectors || ' ' || other_software FROM reports;
INSERT INTO report_search (report_id, source, body) SELECT report_id, 'message', body FROM messages;
)sql";

// The search index moves out of the transactions that change reports and messages: triggers
// only queue what changed in search_pending (one small row; the report trigger fires only when
// an indexed field really changed), and the writer thread indexes the queue later, in batches
// (SqliteStore::IndexSearchBacklog), or at once before a search reads the index. The index is
// rebuilt from the queue, so report_search gets rowids this code knows (search_report_rows) and
// a report's fields are replaced by rowid instead of by a scan of the whole index.
extern const char kWebSearchMigration[] = R"sql(
DROP TRIGGER report_search_insert;
DROP TRIGGER report_search_update;
DROP TRIGGER report_search_message;
DROP TABLE report_search;
CREATE VIRTUAL TABLE report_search USING fts5(report_id UNINDEXED, source UNINDEXED, body);
CREATE TABLE search_report_rows (
  report_id TEXT PRIMARY KEY,
  fts_rowid BIGINT NOT NULL
);
CREATE TABLE search_pending (
  id INTEGER PRIMARY KEY,
  report_id TEXT NOT NULL,
  message_seq BIGINT NOT NULL  -- 0 = the report's fields
);
CREATE TRIGGER search_pending_report AFTER INSERT ON reports BEGIN
  INSERT INTO search_pending (report_id, message_seq) VALUES (new.id, 0);
END;
CREATE TRIGGER search_pending_report_text AFTER UPDATE ON reports
    WHEN old.subject IS NOT new.subject OR old.steps IS NOT new.steps OR
         old.effects_cluster IS NOT new.effects_cluster OR
         old.effects_applications IS NOT new.effects_applications OR
         old.effects_infrastructure IS NOT new.effects_infrastructure OR
         old.workflows IS NOT new.workflows OR old.attack_vectors IS NOT new.attack_vectors OR
         old.other_software IS NOT new.other_software BEGIN
  INSERT INTO search_pending (report_id, message_seq) VALUES (new.id, 0);
END;
CREATE TRIGGER search_pending_message AFTER INSERT ON messages BEGIN
  INSERT INTO search_pending (report_id, message_seq) VALUES (new.report_id, new.seq);
END;
INSERT INTO search_pending (report_id, message_seq) SELECT id, 0 FROM reports ORDER BY rowid;
INSERT INTO search_pending (report_id, message_seq)
  SELECT report_id, seq FROM messages ORDER BY rowid;
)sql";

// FTS5 writes a new segment at every commit that indexed something and merges segments itself
// in bursts: every 64 leaf pages written, 64 pages per level of the index at once. Under a flood
// of submissions that is a 10 to 20 ms pause of the writer thread every few dozen commits, which
// every queued write waits out. Automatic merging is off; each indexing pass merges up to
// kSearchMergePages pages instead (only levels with enough segments, continuing a merge already
// started). FTS5's crisis merge (16 segments on one level) still bounds the index if the passes
// ever fall behind.
extern const char kWebSearchMergeMigration[] = R"sql(
INSERT INTO report_search (report_search, rank) VALUES ('automerge', 0);
)sql";

Result<int> SqliteStore::IndexPendingSearchRows(int limit) {
  SqliteConnection& w = *writer_;
  struct Pending {
    int64_t id;
    std::string report_id;
    int64_t message_seq;
  };
  std::vector<Pending> rows;
  {
    Query q(w, "SELECT id, report_id, message_seq FROM search_pending ORDER BY id LIMIT ?");
    q.Bind(1, static_cast<int64_t>(limit));
    while (q.Step()) rows.push_back({q.Int(0), q.Text(1), q.Int(2)});
    VIGIL_RETURN_IF_ERROR(q.status());
  }
  if (rows.empty()) return 0;
  std::set<std::string> reindexed;  // a report's fields are read as they are now: once is enough
  for (const Pending& row : rows) {
    // A message held from an unverified sender is not searchable: a search would tell whoever
    // may search the report what it says before anyone released it (it is indexed once
    // released, as the coordinator's message that quotes it).
    if (row.message_seq > 0) {
      Query ins(w,
                "INSERT INTO report_search (report_id, source, body) SELECT report_id, "
                "'message', body FROM messages WHERE report_id = ? AND seq = ? AND "
                "author_role <> 'unverified'");
      VIGIL_RETURN_IF_ERROR(ins.Bind(1, row.report_id).Bind(2, row.message_seq).Run());
      continue;
    }
    if (!reindexed.insert(row.report_id).second) continue;
    {
      Query old(w, "SELECT fts_rowid FROM search_report_rows WHERE report_id = ?");
      old.Bind(1, row.report_id);
      if (old.Step()) {
        Query del(w, "DELETE FROM report_search WHERE rowid = ?");
        VIGIL_RETURN_IF_ERROR(del.Bind(1, old.Int(0)).Run());
      }
      VIGIL_RETURN_IF_ERROR(old.status());
    }
    Query text(w,
               "SELECT id || ' ' || subject || ' ' || steps || ' ' || effects_cluster || ' ' || "
               "effects_applications || ' ' || effects_infrastructure || ' ' || workflows || "
               "' ' || attack_vectors || ' ' || other_software FROM reports WHERE id = ?");
    text.Bind(1, row.report_id);
    if (!text.Step()) {
      VIGIL_RETURN_IF_ERROR(text.status());
      continue;  // no such report (any more): nothing to index
    }
    Query ins(w, "INSERT INTO report_search (report_id, source, body) VALUES (?, 'report', ?)");
    VIGIL_RETURN_IF_ERROR(ins.Bind(1, row.report_id).Bind(2, text.Text(0)).Run());
    Query map(w,
              "INSERT INTO search_report_rows (report_id, fts_rowid) VALUES (?, ?) ON CONFLICT "
              "(report_id) DO UPDATE SET fts_rowid = excluded.fts_rowid");
    map.Bind(1, row.report_id).Bind(2, static_cast<int64_t>(sqlite3_last_insert_rowid(w.db())));
    VIGIL_RETURN_IF_ERROR(map.Run());
  }
  Query done(w, "DELETE FROM search_pending WHERE id <= ?");
  VIGIL_RETURN_IF_ERROR(done.Bind(1, rows.back().id).Run());
  // Merge the index's segments a bounded step at a time (see kWebSearchMergeMigration); not in
  // the pass a search waits for (LIMIT < 0), which is part of someone's write.
  if (limit >= 0) {
    Query merge(w, "INSERT INTO report_search (report_search, rank) VALUES ('merge', ?)");
    VIGIL_RETURN_IF_ERROR(merge.Bind(1, int64_t{kSearchMergePages}).Run());
  }
  return static_cast<int>(rows.size());
}

Status SqliteStore::IndexSearchNow() { return IndexPendingSearchRows(-1).status(); }

void SqliteStore::IndexSearchBacklog() {
  search_backlog_ = false;
  SqliteConnection& w = *writer_;
  // This pass is not fsynced: the next durable commit's fsync covers its frames, and a pass lost
  // in a crash leaves its rows queued, to be indexed again. Nothing acknowledged depends on it.
  // (With the pipelined sync, the writer's commits are NORMAL already.)
  const bool switch_sync = wal_fd_ < 0;
  if (switch_sync && !w.Exec("PRAGMA synchronous=NORMAL").ok()) return;
  if (w.Run("BEGIN IMMEDIATE").ok()) {
    Result<int> indexed = IndexPendingSearchRows(kSearchRowsPerPass);
    if (indexed.ok() && w.Run("COMMIT").ok()) {
      search_backlog_ = *indexed == kSearchRowsPerPass;  // more may be queued
    } else {
      (void)w.Run("ROLLBACK");
    }
  }
  // Every acknowledged write depends on FULL: without it, carrying on would break durability.
  if (switch_sync && !w.Exec("PRAGMA synchronous=FULL").ok()) std::abort();
}

std::string Fts5Query(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) {
      std::string word;
      for (char c : text.substr(i, j - i)) {
        if (c == '"') word += '"';
        word += c;
      }
      if (!out.empty()) out += ' ';
      out += '"' + word + "\"*";
    }
    i = j;
  }
  return out;
}

Result<std::vector<ReportSummary>> SqliteStore::SearchReports(const std::string& words,
                                                              const ReportFilter& f) {
  // What is still queued is indexed first (by the writer), so that a search finds every write
  // acknowledged before it started.
  const std::string match_expr = Fts5Query(words);
  if (!HasSearchWords(words)) return std::vector<ReportSummary>();
  Result<int64_t> backlog = OnReader([](SqlConnection& c) {
    return IntOrDefault(c, "SELECT EXISTS (SELECT 1 FROM search_pending)", 0);
  });
  VIGIL_RETURN_IF_ERROR(backlog.status());
  if (*backlog != 0) {
    WriteBatch b;
    b.web.index_search = true;
    VIGIL_RETURN_IF_ERROR(Write(std::move(b)).status());
  }
  // The visibility filter is applied in the same query, so nothing outside it is ever read.
  // Best first ranks every match; newest first needs only which reports match (no ranking:
  // about 40% less work for a word in a third of 100,000 reports).
  const bool ranked = f.best_first && !f.after;
  std::string sql =
      "SELECT r.id, r.subject, r.state, r.level, r.coordinator, r.created_at, r.updated_at, "
      "r.embargo_end FROM reports r ";
  sql += ranked ? "JOIN (SELECT report_id, MIN(rank) AS best FROM report_search WHERE "
                  "report_search MATCH ? GROUP BY report_id) m ON m.report_id = r.id WHERE 1 = 1"
                : "WHERE r.id IN (SELECT report_id FROM report_search WHERE report_search "
                  "MATCH ?)";
  const ReportFilterSql where = AppendReportFilter(
      sql, f, 2, ranked ? "m.best, r.created_at DESC, r.id DESC" : "r.created_at DESC, r.id DESC");
  return OnReader([&](SqlConnection& c) -> Result<std::vector<ReportSummary>> {
    Query q(c, sql);
    q.Bind(1, match_expr);
    where.Bind(q, f);
    std::vector<ReportSummary> out;
    while (q.Step()) out.push_back(ReadSummaryRow(q));
    if (!q.status().ok()) return Status::Invalid("search: the query is not understood");
    return out;
  });
}

}  // namespace vigil
