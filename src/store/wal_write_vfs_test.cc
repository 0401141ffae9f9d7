#include "store/wal_write_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace vigil {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-vfs-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Db {
 public:
  Db(const std::string& path, int flags, const char* vfs) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, flags, vfs), SQLITE_OK);
  }
  ~Db() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << sql << ": " << (err ? err : "");
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (st && sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      out = t ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_finalize(st);
    return out;
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Commits that change many pages, read after each commit by a connection through the VFS and by
// one through SQLite's own, with checkpoints in between: every reader sees every commit at once,
// and the file stays sound. Run with synchronous NORMAL (commits do not sync, so only the
// commit-frame rule publishes the gathered frames) and FULL.
void CheckCommitsAreVisible(const char* synchronous) {
  TempDir dir;
  const std::string path = dir.path() + "/t.db";
  const int rw = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int ro = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
  Db writer(path, rw, WalWriteVfsName());
  writer.Exec("PRAGMA journal_mode=WAL");
  writer.Exec(std::string("PRAGMA synchronous=") + synchronous);
  writer.Exec("PRAGMA wal_autocheckpoint=0");
  writer.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k BLOB, v BLOB)");
  writer.Exec("CREATE INDEX t_k ON t (k)");
  Db shim_reader(path, ro, WalWriteVfsName());
  Db plain_reader(path, ro, nullptr);
  Db checkpointer(path, rw, WalWriteVfsName());

  const WalWriteVfsStats before = GetWalWriteVfsStats();
  int64_t rows = 0;
  for (int commit = 1; commit <= 120; ++commit) {
    // Random keys spread over the index: each commit changes pages all over the file.
    writer.Exec("BEGIN");
    writer.Exec(
        "INSERT INTO t (k, v) SELECT randomblob(32), zeroblob(1500) FROM "
        "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12) "
        "SELECT i FROM n)");
    writer.Exec("COMMIT");
    rows += 12;
    const std::string want = std::to_string(rows);
    ASSERT_EQ(shim_reader.Text("SELECT count(*) FROM t"), want) << "commit " << commit;
    ASSERT_EQ(plain_reader.Text("SELECT count(*) FROM t INDEXED BY t_k WHERE k IS NOT NULL"), want)
        << "commit " << commit;
    if (commit % 25 == 0) {
      ASSERT_EQ(sqlite3_wal_checkpoint_v2(
                    checkpointer.get(), nullptr,
                    commit % 50 == 0 ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE,
                    nullptr, nullptr),
                SQLITE_OK);
    }
  }
  EXPECT_EQ(plain_reader.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(shim_reader.Text("PRAGMA integrity_check"), "ok");
  // Each commit writes about 30 frames, two writes each, and reaches the OS as about one write.
  const WalWriteVfsStats after = GetWalWriteVfsStats();
  const int64_t gathered = after.wal_writes_gathered - before.wal_writes_gathered;
  const int64_t issued = after.wal_writes_issued - before.wal_writes_issued;
  EXPECT_GT(gathered, 120 * 20);
  EXPECT_LT(issued * 10, gathered);
}

TEST(WalWriteVfs, CommitsAreVisibleAtOnceWithoutSync) { CheckCommitsAreVisible("NORMAL"); }

TEST(WalWriteVfs, CommitsAreVisibleAtOnceWithSync) { CheckCommitsAreVisible("FULL"); }

// A connection reading its own uncommitted changes back (a large transaction spills pages to
// the WAL before COMMIT and reads them again) sees what it wrote.
TEST(WalWriteVfs, LargeTransactionReadsItsOwnFrames) {
  TempDir dir;
  const std::string path = dir.path() + "/t.db";
  Db writer(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, WalWriteVfsName());
  writer.Exec("PRAGMA journal_mode=WAL");
  writer.Exec("PRAGMA cache_size=10");  // spill early
  writer.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  writer.Exec("BEGIN");
  writer.Exec(
      "INSERT INTO t (v) SELECT randomblob(3000) FROM "
      "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
      "SELECT i FROM n)");
  writer.Exec("UPDATE t SET v = zeroblob(100) WHERE id % 2 = 0");
  EXPECT_EQ(writer.Text("SELECT sum(length(v)) FROM t"), std::to_string(1500 * 3000 + 1500 * 100));
  writer.Exec("COMMIT");
  Db plain(path, SQLITE_OPEN_READONLY, nullptr);
  EXPECT_EQ(plain.Text("SELECT sum(length(v)) FROM t"), std::to_string(1500 * 3000 + 1500 * 100));
  EXPECT_EQ(plain.Text("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace vigil
