// PgConnection against a real PostgreSQL (scripts/with-postgres.sh starts it; see the test's
// registration in store/CMakeLists.txt), and its parameter numbering without a server.
#include "store/pg_connection.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "support/postgres.h"

namespace vigil {
namespace {

TEST(PgParameters, AreNumberedOutsideLiteralsIdentifiersAndComments) {
  int n = -1;
  EXPECT_EQ(NumberPgParameters("SELECT a FROM t WHERE b = ? AND c IN (?, ?)", &n),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(
      NumberPgParameters("SELECT '?', 'it''s ?', \"col?\" FROM t -- where ?\nWHERE x = ?", &n),
      "SELECT '?', 'it''s ?', \"col?\" FROM t -- where ?\nWHERE x = $1");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(NumberPgParameters("/* ? */ SELECT ?", &n), "/* ? */ SELECT $1");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(NumberPgParameters("SELECT ?1, ?2 WHERE a = ?1", &n), "SELECT $1, $2 WHERE a = $1");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(NumberPgParameters("SELECT 1", &n), "SELECT 1");
  EXPECT_EQ(n, 0);
  // An unterminated literal keeps the rest as it is (the server names the error).
  EXPECT_EQ(NumberPgParameters("SELECT 'open ?", &n), "SELECT 'open ?");
  EXPECT_EQ(n, 0);
}

TEST(PgUrl, PasswordsAreRedacted) {
  EXPECT_EQ(RedactedPgUrl("postgresql://vigil:s3cret@db.example:5432/vigil"),
            "postgresql://vigil:***@db.example:5432/vigil");
  EXPECT_EQ(RedactedPgUrl("postgresql://vigil@db/vigil?password=s3cret&sslmode=require"),
            "postgresql://vigil@db/vigil?password=***&sslmode=require");
  EXPECT_EQ(RedactedPgUrl("postgresql://db/vigil"), "postgresql://db/vigil");
}

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = testing::TestPgTarget();
    ASSERT_FALSE(target_.url.empty())
        << "run through scripts/with-postgres.sh (VIGIL_TEST_PG_URL is not set)";
    Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(target_);
    ASSERT_TRUE(c.ok()) << c.status().message();
    conn_ = std::move(c).value();
    ASSERT_TRUE(conn_
                    ->Exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id BIGINT PRIMARY KEY, "
                           "name TEXT NOT NULL, data BYTEA NOT NULL DEFAULT '')")
                    .ok())
        << conn_->Error();
  }
  PgTarget target_;
  std::unique_ptr<PgConnection> conn_;
};

TEST_F(PgConnectionTest, AWrongPasswordIsRefusedWithoutShowingIt) {
  PgTarget wrong = target_;
  wrong.password = "not-the-password-" + std::to_string(getpid());
  Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(wrong);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable);
  EXPECT_NE(c.status().message().find("cannot connect to PostgreSQL at " + target_.url + ": "),
            std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("password authentication failed"), std::string::npos)
      << c.status().message();
  EXPECT_EQ(c.status().message().find(wrong.password), std::string::npos);
}

TEST_F(PgConnectionTest, ValuesRoundTripExactly) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  const std::string text = "quote ' double \" backslash \\ newline \n tab \t ünïcødé ✓ ?";
  for (int64_t id :
       {std::numeric_limits<int64_t>::min(), int64_t{0}, std::numeric_limits<int64_t>::max()}) {
    Query ins(*conn_, "INSERT INTO t (id, name, data) VALUES (?, ?, ?)");
    ins.Bind(1, id).Bind(2, text).BindBlob(3, all_bytes);
    ASSERT_TRUE(ins.Run().ok()) << ins.status().message();
    EXPECT_EQ(conn_->Changes(), 1);
  }
  Result<std::vector<std::string>> rows = Rows(
      *conn_, "SELECT id, name, data, id > 0, ? FROM t ORDER BY id",
      [](const Query& q) {
        return std::to_string(q.Int(0)) + "|" + q.Text(1) + "|" + std::to_string(q.Blob(2).size()) +
               "|" + std::to_string(q.Int(3)) + "|" + q.Text(4);
      },
      std::string("echo"));
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0], "-9223372036854775808|" + text + "|256|0|echo");
  EXPECT_EQ((*rows)[2], "9223372036854775807|" + text + "|256|1|echo");
  Result<std::optional<std::string>> data = FirstRow(
      *conn_, "SELECT data FROM t WHERE id = ?", [](const Query& q) { return q.Blob(0); },
      int64_t{0});
  ASSERT_TRUE(data.ok() && data->has_value());
  EXPECT_EQ(**data, all_bytes);
  // A NULL reads as an empty text and zero, as SQLite reads it.
  Result<std::optional<std::string>> null =
      FirstRow(*conn_, "SELECT NULL::text, NULL::bigint",
               [](const Query& q) { return q.Text(0) + "/" + std::to_string(q.Int(1)); });
  ASSERT_TRUE(null.ok() && null->has_value());
  EXPECT_EQ(**null, "/0");
}

// Text goes to the server as a C string: a NUL inside is refused, never cut short.
TEST_F(PgConnectionTest, TextWithANulIsRefusedNotTruncated) {
  Query ins(*conn_, "INSERT INTO t (id, name) VALUES (?, ?)");
  Status s = ins.Bind(1, int64_t{1}).Bind(2, std::string("before\0after", 12)).Run();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "storage: text with a NUL byte cannot be stored in PostgreSQL");
  Result<int64_t> rows = IntOrDefault(*conn_, "SELECT COUNT(*) FROM t", int64_t{-1});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, 0);
  // The cached statement works again once rebound.
  Query again(*conn_, "INSERT INTO t (id, name) VALUES (?, ?)");
  EXPECT_TRUE(again.Bind(1, int64_t{1}).Bind(2, "plain").Run().ok());
}

TEST_F(PgConnectionTest, ACachedStatementIsReboundAndChangesAreCounted) {
  for (int64_t i = 1; i <= 5; ++i) {
    Query ins(*conn_, "INSERT INTO t (id, name) VALUES (?, ?)");
    ASSERT_TRUE(ins.Bind(1, i).Bind(2, "n" + std::to_string(i)).Run().ok());
  }
  Query up(*conn_, "UPDATE t SET name = name || '!' WHERE id > ?");
  ASSERT_TRUE(up.Bind(1, int64_t{2}).Run().ok());
  EXPECT_EQ(conn_->Changes(), 3);
  Result<int64_t> n =
      IntOrDefault(*conn_, "SELECT count(*) FROM t WHERE name LIKE '%!'", int64_t{-1});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
}

TEST_F(PgConnectionTest, ErrorsAreConflictsOrUnavailableWithTheServersMessage) {
  Query ins(*conn_, "INSERT INTO t (id, name) VALUES (?, ?)");
  ASSERT_TRUE(ins.Bind(1, int64_t{7}).Bind(2, "a").Run().ok());
  Query again(*conn_, "INSERT INTO t (id, name) VALUES (?, ?)");
  Status dup = again.Bind(1, int64_t{7}).Bind(2, "b").Run();
  EXPECT_EQ(dup.code(), Code::kConflict);
  EXPECT_EQ(dup.message(), "storage: duplicate key value violates unique constraint \"t_pkey\"");

  Query bad(*conn_, "SELEKT 1");
  EXPECT_FALSE(bad.prepared());
  Status syntax = bad.Run();
  EXPECT_EQ(syntax.code(), Code::kUnavailable);
  EXPECT_EQ(syntax.message(), "storage: syntax error at or near \"SELEKT\"");

  // A failed statement inside a transaction fails the rest until the rollback, as PostgreSQL
  // does; after it the connection works again.
  ASSERT_TRUE(conn_->Run("BEGIN").ok());
  Query dup2(*conn_, "INSERT INTO t (id, name) VALUES (?, ?)");
  EXPECT_EQ(dup2.Bind(1, int64_t{7}).Bind(2, "c").Run().code(), Code::kConflict);
  EXPECT_FALSE(conn_->Run("SELECT 1").ok());
  ASSERT_TRUE(conn_->Run("ROLLBACK").ok());
  EXPECT_TRUE(conn_->Run("SELECT 1").ok());
}

}  // namespace
}  // namespace vigil
