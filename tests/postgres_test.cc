// The real `vigil` program on PostgreSQL ([data] backend = "postgres"), under the server
// scripts/with-postgres.sh starts (see tests/CMakeLists.txt): init, a submission over HTTP,
// the CLI, the audit verified against the signed checkpoints, what refuses on PostgreSQL, and a
// configuration that would leak a password.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
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

// A port that was free a moment ago (nginx takes a port in its configuration, not port 0).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::abort();
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// nginx in front of two upstreams, on a port of its own, until destroyed.
class Nginx {
 public:
  Nginx(const std::string& dir, int upstream_a, int upstream_b) : dir_(dir), port_(FreePort()) {
    std::filesystem::create_directories(dir + "/tmp");
    std::ofstream conf(dir + "/nginx.conf");
    conf << "worker_processes 1;\n"
         << (geteuid() == 0 ? "user root;\n" : "") << "pid " << dir << "/nginx.pid;\n"
         << "error_log " << dir << "/error.log;\ndaemon off;\n"
         << "events { worker_connections 256; }\nhttp {\n  access_log off;\n"
         << "  client_body_temp_path " << dir << "/tmp;\n  proxy_temp_path " << dir << "/tmp;\n"
         << "  fastcgi_temp_path " << dir << "/tmp;\n  uwsgi_temp_path " << dir << "/tmp;\n"
         << "  scgi_temp_path " << dir << "/tmp;\n"
         << "  upstream vigil {\n    server 127.0.0.1:" << upstream_a
         << " max_fails=1 fail_timeout=30s;\n    server 127.0.0.1:" << upstream_b << ";\n  }\n"
         << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
         << "    location / { proxy_pass http://vigil; proxy_next_upstream error timeout; }\n"
         << "  }\n}\n";
    conf.close();
    const std::string nginx = "/usr/sbin/nginx";
    const std::string error_log = dir + "/error.log", config = dir + "/nginx.conf";
    std::vector<char*> argv = {const_cast<char*>(nginx.c_str()),     const_cast<char*>("-e"),
                               const_cast<char*>(error_log.c_str()), const_cast<char*>("-c"),
                               const_cast<char*>(config.c_str()),    nullptr};
    if (posix_spawn(&pid_, nginx.c_str(), nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~Nginx() {
    if (pid_ > 0) {
      kill(pid_, SIGQUIT);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  int port() const { return port_; }
  bool running() const { return pid_ > 0; }
  std::string errors() const {
    std::ifstream in(dir_ + "/error.log");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

// Several instances on one database, behind a load balancer: one is killed with SIGKILL while
// submissions arrive and acknowledgements go out. No acknowledged report is lost, no mail goes
// out twice (a mail the killed instance was handing over stays in doubt, never resent), and the
// chains verify.
TEST_F(PostgresCliTest, TwoInstancesBehindNginxOneKilledUnderLoadLoseNothingAndSendNothingTwice) {
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/nginx"))
      << "nginx-light is a test dependency (scripts/install-deps.sh with VIGIL_TEST_DEPS=1)";
  const std::string token = Init();
  ASSERT_FALSE(token.empty());
  const std::string maildir = dir_.path() + "/sent-mail";
  EditConfig(dir_.path(),
             "submit_per_minute = 0\nenabled = true\nsmtp_port = -1\nsmarthost = \"maildir:" +
                 maildir + "\"");
  // The second instance: its own folder with the same keys (mail tags, TOTP, audit).
  const std::string second = dir_.path() + "/second";
  std::filesystem::create_directories(second);
  std::filesystem::copy(config(), second + "/vigil.toml");
  std::filesystem::copy(dir_.path() + "/data", second + "/data",
                        std::filesystem::copy_options::recursive);
  std::vector<std::string> acknowledged;
  int refused = 0;
  {
    ServerProcess a(config(), dir_.path() + "/a.log");
    ServerProcess b(second + "/vigil.toml", dir_.path() + "/b.log");
    ASSERT_TRUE(a.started() && b.started());
    Nginx lb(dir_.path() + "/nginx", a.port(), b.port());
    ASSERT_TRUE(lb.running());
    ASSERT_TRUE(WaitUntil([&] { return Http(lb.port(), "GET", "/healthz").status == 200; }))
        << lb.errors();

    std::mutex mu;
    std::atomic<int> answered{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          const std::string email =
              "r" + std::to_string(t) + "-" + std::to_string(i) + "@example.org";
          HttpResult r = Http(lb.port(), "POST", "/api/v1/reports",
                              R"({"subject":"Load )" + std::to_string(t) + "-" + std::to_string(i) +
                                  R"(","steps":"x","reporter_email":")" + email + "\"}");
          std::lock_guard<std::mutex> lock(mu);
          if (r.status == 201) {
            acknowledged.push_back(JsonField(r.body, "id"));
          } else {
            ++refused;  // not acknowledged: the client knows it was not taken
          }
          ++answered;
        }
      });
    }
    // Mail arrives meanwhile through the MTA's pipe (`vigil ingest`, exit 0 = stored), and is
    // processed by whichever instance or ingest process gets to it first.
    std::vector<int> ingested;
    clients.emplace_back([&] {
      for (int i = 0; i < 12; ++i) {
        const std::string n = std::to_string(i);
        CommandResult r = RunVigil(
            {"-c", config(), "ingest"},
            "From: Mo <mo" + n + "@reporter.net>\r\nTo: security@example.org\r\nSubject: By mail " +
                n + "\r\nMessage-ID: <ingest-" + n + "@reporter.net>\r\n\r\nsteps " + n + "\r\n");
        std::lock_guard<std::mutex> lock(mu);
        ingested.push_back(r.exit_code);
      }
    });
    // Mid-load, while mail goes out from both.
    ASSERT_TRUE(WaitUntil([&] { return answered.load() >= 60; }));
    EXPECT_EQ(a.Stop(SIGKILL), 128 + SIGKILL);
    for (std::thread& c : clients) c.join();
    EXPECT_GE(acknowledged.size(), 150u) << refused << " refused";

    // Every acknowledged report is stored, once; every mail still queued goes out from the
    // survivor.
    Result<std::unique_ptr<PgConnection>> pg =
        PgConnection::Open(PgTarget{url_, TestPgTarget().password});
    ASSERT_TRUE(pg.ok()) << pg.status().message();
    Result<std::vector<std::string>> stored =
        Rows(**pg, "SELECT id FROM reports", [](const Query& q) { return q.Text(0); });
    ASSERT_TRUE(stored.ok());
    const std::set<std::string> in_db(stored->begin(), stored->end());
    const std::set<std::string> acked(acknowledged.begin(), acknowledged.end());
    EXPECT_EQ(acked.size(), acknowledged.size()) << "an id was given twice";
    for (const std::string& id : acked) EXPECT_TRUE(in_db.count(id)) << id << " was lost";
    auto count = [&](const std::string& state) {
      return *IntOrDefault(**pg, "SELECT COUNT(*) FROM outbox WHERE state = ?", -1,
                           std::string_view(state));
    };
    ASSERT_TRUE(WaitUntil([&] { return count("pending") == 0; }, 60))
        << count("pending") << " mails still pending";
    const int64_t sent = count("sent"), sending = count("sending");
    const int64_t rows = *IntOrDefault(**pg, "SELECT COUNT(*) FROM outbox", -1);
    EXPECT_EQ(sent + sending, rows);                      // none dead, none pending
    EXPECT_GE(rows, static_cast<int64_t>(acked.size()));  // a receipt per report at least
    EXPECT_LE(sending, 4);  // what the killed instance was handing over: in doubt
    // Each ingested mail became one report, processed once.
    EXPECT_EQ(ingested, std::vector<int>(12, 0));
    EXPECT_EQ(*IntOrDefault(**pg,
                            "SELECT COUNT(DISTINCT report_id) FROM mail_inbox WHERE state = "
                            "'processed' AND outcome = 'new-report'",
                            -1),
              12);
    EXPECT_EQ(*IntOrDefault(**pg, "SELECT COUNT(*) FROM mail_inbox", -1), 12);
    // The smarthost got each mail once.
    std::map<std::string, int> message_ids;
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(maildir + "/new")) {
      std::ifstream in(e.path());
      for (std::string line; std::getline(in, line) && !line.empty();) {
        if (line.starts_with("Message-ID: ")) ++message_ids[line.substr(12)];
      }
      ++files;
    }
    EXPECT_GE(files, sent);
    EXPECT_LE(files, sent + sending);
    EXPECT_EQ(static_cast<int>(message_ids.size()), files);
    for (const auto& [id, n] : message_ids) EXPECT_EQ(n, 1) << id << " went out " << n << " times";
    EXPECT_EQ(b.Stop(SIGTERM), 0);
  }
  CommandResult verified = Vigil({"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err << verified.out;
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
