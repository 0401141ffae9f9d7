// The real `vigil` program on PostgreSQL ([data] backend = "postgres"), under the server
// scripts/with-postgres.sh starts (see tests/CMakeLists.txt): init, a submission over HTTP,
// the CLI, the audit verified against the signed checkpoints, what refuses on PostgreSQL, and a
// configuration that would leak a password.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "support/postgres.h"
#include "test_util.h"

namespace vigil::testing {
namespace {

class PostgresCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const PgTarget server = TestPgTarget();
    ASSERT_FALSE(server.url.empty()) << "run through scripts/with-postgres.sh";
    const std::string name =
        std::string("cli_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string db;
    for (char c : name) db += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Result<std::unique_ptr<PgConnection>> admin = PgConnection::Open(server);
    ASSERT_TRUE(admin.ok()) << admin.status().message();
    ASSERT_TRUE((*admin)->Exec(("DROP DATABASE IF EXISTS " + db).c_str()).ok());
    ASSERT_TRUE((*admin)->Exec(("CREATE DATABASE " + db).c_str()).ok());
    url_ = WithDatabase(server, db).url;
    password_file_ = dir_.path() + "/pg-password";
    {
      std::ofstream out(password_file_);
      out << server.password << "\n";  // a trailing newline, as an editor leaves it
    }
    chmod(password_file_.c_str(), 0600);
  }

  // `vigil init` on PostgreSQL: the first run writes the default vigil.toml; its data folder
  // (an SQLite project) is removed, the backend switched, and the second run initialises a
  // project on the PostgreSQL database. Returns the first admin's token.
  std::string Init() {
    InitProject(dir_.path());
    std::filesystem::remove_all(dir_.path() + "/data");
    EditConfig(dir_.path(), "backend = \"postgres\"\nurl = \"" + url_ + "\"\npassword_file = \"" +
                                password_file_ + "\"");
    CommandResult r = RunVigil({"init", "--dir", dir_.path(), "--port", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ifstream creds(dir_.path() + "/data/initial-admin.txt");
    for (std::string line; std::getline(creds, line);) {
      if (line.starts_with("token=")) return line.substr(6);
    }
    ADD_FAILURE() << "no token in initial-admin.txt: " << r.out << r.err;
    return "";
  }
  CommandResult Vigil(std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config()});
    return RunVigil(args);
  }
  std::string config() const { return dir_.path() + "/vigil.toml"; }

  TempDir dir_;
  std::string url_, password_file_;
};

TEST_F(PostgresCliTest, InitServeSubmitListAndVerifyOnPostgresql) {
  const std::string token = Init();
  ASSERT_FALSE(token.empty());
  std::string id;
  {
    ServerProcess server(config());
    ASSERT_TRUE(server.started());
    HttpResult r = Http(server.port(), "POST", "/api/v1/reports",
                        R"({"subject":"Heap overflow in the exporter","steps":"send a record",)"
                        R"("reporter_email":"rita@example.org"})");
    ASSERT_EQ(r.status, 201) << r.body;
    id = JsonField(r.body, "id");
    HttpResult found = Http(server.port(), "GET", "/api/v1/reports?q=exporter", "", token);
    ASSERT_EQ(found.status, 200) << found.body;
    EXPECT_NE(found.body.find(id), std::string::npos) << found.body;
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  ASSERT_FALSE(id.empty());
  // The CLI reads the same database; no SQLite file was made.
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/data/vigil.db"));
  CommandResult shown = Vigil({"report", "show", id});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("Heap overflow in the exporter"), std::string::npos) << shown.out;
  CommandResult verified = Vigil({"audit", "verify"});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("audit chain of " + url_ + " intact: "), std::string::npos)
      << verified.out;
  // Backups are PostgreSQL's.
  CommandResult backup = Vigil({"backup", dir_.path() + "/copy.db"});
  EXPECT_NE(backup.exit_code, 0);
  EXPECT_NE(backup.err.find("data.backend is \"postgres\": back up and restore the database with "
                            "PostgreSQL's own tools (pg_dump and pg_restore, or a replica)"),
            std::string::npos)
      << backup.err;
}

// A team outgrowing SQLite: its project, mail and all, moves to PostgreSQL and goes on there
// with the same reports, chains, search and numbering.
TEST_F(PostgresCliTest, MigrateDataCopiesAnSqliteProjectAndItGoesOnOnPostgresql) {
  const std::string token = InitProject(dir_.path());
  ASSERT_FALSE(token.empty());
  std::vector<std::string> ids;
  {
    ServerProcess server(config());
    ASSERT_TRUE(server.started());
    for (const char* subject : {"Heap overflow in the exporter", "Token leak in the logs"}) {
      HttpResult r = Http(server.port(), "POST", "/api/v1/reports",
                          std::string(R"({"subject":")") + subject +
                              R"(","steps":"send a record","reporter_email":"rita@example.org"})");
      ASSERT_EQ(r.status, 201) << r.body;
      ids.push_back(JsonField(r.body, "id"));
    }
    // The copy reads one snapshot while the server runs.
    CommandResult copied = Vigil({"migrate-data", "--to", url_, "--password-file", password_file_});
    ASSERT_EQ(copied.exit_code, 0) << copied.err << copied.out;
    EXPECT_NE(copied.out.find("  reports: 2 rows\n"), std::string::npos) << copied.out;
    EXPECT_NE(copied.out.find("audit chain of " + url_ + " intact: "), std::string::npos)
        << copied.out;
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  // Into a database that holds a project already: refused, nothing changed.
  CommandResult again = Vigil({"migrate-data", "--to", url_, "--password-file", password_file_});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find(url_ + " already holds a project ("), std::string::npos) << again.err;
  // A password on the command line would be seen by every user of the machine.
  std::string with_password = url_;
  with_password.insert(with_password.find('@'), ":secret");
  CommandResult shown = Vigil({"migrate-data", "--to", with_password});
  EXPECT_NE(shown.exit_code, 0);
  EXPECT_EQ(shown.err.find("secret"), std::string::npos) << shown.err;

  EditConfig(dir_.path(), "backend = \"postgres\"\nurl = \"" + url_ + "\"\npassword_file = \"" +
                              password_file_ + "\"");
  CommandResult verified = Vigil({"audit", "verify"});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  CommandResult report = Vigil({"report", "show", ids[1]});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("Token leak in the logs"), std::string::npos) << report.out;
  {
    ServerProcess server(config());
    ASSERT_TRUE(server.started());
    // The same admin token, the search index rebuilt, the numbering going on after the copy.
    HttpResult found = Http(server.port(), "GET", "/api/v1/reports?q=exporter", "", token);
    ASSERT_EQ(found.status, 200) << found.body;
    EXPECT_NE(found.body.find(ids[0]), std::string::npos) << found.body;
    EXPECT_EQ(found.body.find(ids[1]), std::string::npos) << found.body;
    HttpResult third =
        Http(server.port(), "POST", "/api/v1/reports",
             R"({"subject":"Third","steps":"x","reporter_email":"rita@example.org"})");
    ASSERT_EQ(third.status, 201) << third.body;
    const std::string id3 = JsonField(third.body, "id");
    EXPECT_NE(id3, ids[0]);
    EXPECT_NE(id3, ids[1]);
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  verified = Vigil({"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
}

TEST_F(PostgresCliTest, APasswordInTheUrlIsRefusedAndAWrongOneIsNeverShown) {
  InitProject(dir_.path());
  // In the URL: refused before anything connects.
  {
    const std::string with_password = "postgresql://vigil:hunter2@127.0.0.1:1/vigil";
    EditConfig(dir_.path(), "backend = \"postgres\"\nurl = \"" + with_password + "\"");
    CommandResult r = Vigil({"report", "list"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("data.url: must not contain a password: put it in data.password_file or "
                         "the environment variable VIGIL_PG_PASSWORD"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos);
  }
  // A wrong password: the server's refusal, without the password.
  {
    std::ofstream out(password_file_);
    out << "not-the-password-4711";
  }
  EditConfig(dir_.path(), "url = \"" + url_ + "\"\npassword_file = \"" + password_file_ + "\"");
  CommandResult r = Vigil({"report", "list"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot connect to PostgreSQL at " + url_ + ": "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not-the-password-4711"), std::string::npos);
}

}  // namespace
}  // namespace vigil::testing
