// A due disclosure on PostgreSQL with two `vigil serve` instances (auto_disclose) sharing the
// database, the repository and the forge, under a stream of submissions: the instance that
// starts the disclosure is SIGKILLed in the middle of it (at a crash point, after a step's
// intent and before its effect); the other one finishes it. The disclosure happens exactly once
// (one issue, one pull request and one push per branch, each step done once in the log), every
// acknowledged submission is stored, and the audit chain verifies. Runs under
// scripts/with-postgres.sh (tests/CMakeLists.txt), with the vigil-testing program (its clock
// stands at the slot).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "disclose_fixture.h"
#include "store/pg_connection.h"
#include "support/postgres.h"

namespace vigil::testing {
namespace {

class PostgresDiscloseTest : public DiscloseTest {
 protected:
  void SetUp() override {
    DiscloseTest::SetUp();
    const PgTarget server = TestPgTarget();
    ASSERT_FALSE(server.url.empty()) << "run through scripts/with-postgres.sh";
    Result<std::unique_ptr<PgConnection>> admin = PgConnection::Open(server);
    ASSERT_TRUE(admin.ok()) << admin.status().message();
    ASSERT_TRUE((*admin)->Exec("DROP DATABASE IF EXISTS disclose_two").ok());
    ASSERT_TRUE((*admin)->Exec("CREATE DATABASE disclose_two").ok());
    target_ = WithDatabase(server, "disclose_two");
    password_file_ = dir_.path() + "/pg-password";
    std::ofstream(password_file_) << server.password;
    chmod(password_file_.c_str(), 0600);
  }

  // Once the project is on PostgreSQL: the first column of each row, a line each.
  std::string Sql(const std::string& sql) override {
    if (!on_postgres_) return DiscloseTest::Sql(sql);
    Result<std::unique_ptr<PgConnection>> c = PgConnection::Open(target_);
    EXPECT_TRUE(c.ok()) << c.status().message();
    if (!c.ok()) return "";
    Result<std::vector<std::string>> rows =
        Rows(**c, sql, [](const Query& q) { return q.Text(0); });
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().message();
    std::string out;
    for (const std::string& row : rows.ok() ? *rows : std::vector<std::string>()) {
      out += row + "\n";
    }
    return out;
  }

  bool on_postgres_ = false;
  PgTarget target_;
  std::string password_file_;
};

bool Exited(pid_t pid) {  // a zombie: dead, not yet waited for
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z';
}

TEST_F(PostgresDiscloseTest, TwoInstancesDiscloseADueReportOnceThoughTheOneDisclosingIsKilled) {
  const std::string id = ApprovedReport();
  Scheduled(id);
  CommandResult moved =
      Vigil({"migrate-data", "--to", target_.url, "--password-file", password_file_});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  on_postgres_ = true;
  // Both instances: the same database, repository, output folder and keys; each its own folder.
  EditConfig(dir_.path(), "backend = \"postgres\"\nurl = \"" + target_.url +
                              "\"\npassword_file = \"" + password_file_ +
                              "\"\nauto_disclose = true\nauto_disclose_interval_seconds = 1\n"
                              "submit_per_minute = 0\npath = \"" +
                              work_ + "\"\noutput_dir = \"" + dir_.path() + "/published\"");
  const std::string second = dir_.path() + "/second";
  std::filesystem::create_directories(second);
  std::filesystem::copy(config_, second + "/vigil.toml");
  std::filesystem::copy(dir_.path() + "/data", second + "/data",
                        std::filesystem::copy_options::recursive);

  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<int> port{0};
  std::atomic<bool> stop{false};
  std::thread load([&] {
    for (int i = 0; !stop.load(); ++i) {
      const int to = port.load();
      if (to == 0) continue;
      HttpResult r =
          Http(to, "POST", "/api/v1/reports",
               R"({"subject":"Load )" + std::to_string(i) + R"(","steps":"x","reporter_email":"l)" +
                   std::to_string(i) + R"(@example.org"})");
      if (r.status == 201) {
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.push_back(JsonField(r.body, "id"));
      }
    }
  });
  setenv("VIGIL_TEST_NOW", Utc(slot_time_ + 240).c_str(), 1);
  {
    // A starts the disclosure on its first round and dies (SIGKILL) after the fourth step's
    // intent, while it holds the report's run lock.
    setenv("VIGIL_TEST_CRASH_AFTER_STEP", "7", 1);
    ServerProcess a(config_, dir_.path() + "/a.log");
    unsetenv("VIGIL_TEST_CRASH_AFTER_STEP");
    ASSERT_TRUE(a.started() || Exited(a.pid()));
    port = a.port();
    ASSERT_TRUE(WaitUntil([&] { return Exited(a.pid()); }, 60)) << "A did not reach its crash";
    EXPECT_EQ(a.Stop(SIGKILL), 128 + SIGKILL);
    // A was in the middle of it: three steps done, the report not disclosed.
    EXPECT_EQ(Sql("SELECT state FROM reports WHERE id = '" + id + "'"), "scheduled\n");
    EXPECT_EQ(Sql("SELECT COUNT(*) FROM disclosure_log WHERE state = 'done'"), "3\n");
    // B, started now, takes the report once A's session (and its lock) is gone, and finishes.
    ServerProcess b(second + "/vigil.toml", dir_.path() + "/b.log");
    unsetenv("VIGIL_TEST_NOW");
    ASSERT_TRUE(b.started());
    port = b.port();
    EXPECT_TRUE(WaitUntil(
        [&] { return Sql("SELECT state FROM reports WHERE id = '" + id + "'") == "disclosed\n"; },
        60));
    // More submissions after it, then B stops cleanly.
    const size_t before = [&] {
      std::lock_guard<std::mutex> lock(mu);
      return acknowledged.size();
    }();
    EXPECT_TRUE(WaitUntil([&] {
      std::lock_guard<std::mutex> lock(mu);
      return acknowledged.size() >= before + 20;
    }));
    stop = true;
    load.join();
    EXPECT_EQ(b.Stop(SIGTERM), 0);
  }
  ExpectDisclosed(id);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM disclosure_log WHERE state = 'done'"), "12\n");
  EXPECT_EQ(Sql("SELECT COUNT(DISTINCT step) FROM disclosure_log WHERE state = 'done'"), "12\n");
  // Every acknowledged submission is stored, once.
  const std::string stored = Sql("SELECT id FROM reports");
  std::set<std::string> in_db;
  std::istringstream rows(stored);
  for (std::string line; std::getline(rows, line);) in_db.insert(line);
  EXPECT_GE(acknowledged.size(), 20u);
  for (const std::string& ack : acknowledged) EXPECT_TRUE(in_db.count(ack)) << ack << " was lost";
  CommandResult verified = Vigil({"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err << verified.out;
}

}  // namespace
}  // namespace vigil::testing
