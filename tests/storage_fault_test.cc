// Storage faults on the real server: a disk that fills up under HTTP and SMTP intake. Intake then
// answers 503 / 452 4.3.1 (never 201 / 250 for something it did not store), reads go on, and
// the server takes writes again by itself once there is room, with an intact database.
//
// Two ways to fill the disk: RLIMIT_FSIZE on the server process (its files cannot grow past a
// limit: writes fail with EFBIG, an I/O error to SQLite; needs no privilege), and a real ENOSPC
// on a small tmpfs (only where this test may mount one).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace vigil::testing {
namespace {

std::string ReportJson(int n) {
  return R"({"subject":"Overflow number )" + std::to_string(n) +
         R"(","steps":"send 70000 bytes to port 80"})";
}

// A report by mail, number N.
std::string MailText(int n) {
  return "From: Rita <rita@reporter.net>\r\nTo: security@example.org\r\nSubject: Mail number " +
         std::to_string(n) + "\r\nMessage-ID: <fault-" + std::to_string(n) +
         "@reporter.net>\r\n\r\nReproduction steps:\r\nsend 70000 bytes\r\n";
}

// Delivers mail number N over SMTP and returns the server's replies (up to its close after QUIT).
std::string DeliverMail(int port, int n) {
  const int fd = Connect(port);
  if (fd < 0) return "connect failed";
  const std::string script =
      "EHLO client\r\nMAIL FROM:<rita@reporter.net>\r\nRCPT TO:<security@example.org>\r\nDATA\r\n" +
      MailText(n) + ".\r\nQUIT\r\n";
  std::thread writer([&] {
    size_t sent = 0;
    while (sent < script.size()) {
      const ssize_t w = send(fd, script.data() + sent, script.size() - sent, MSG_NOSIGNAL);
      if (w <= 0) return;
      sent += static_cast<size_t>(w);
    }
  });
  std::string in;
  char buf[4096];
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0) in.append(buf, static_cast<size_t>(r));
  writer.join();
  close(fd);
  return in;
}

// The queue id of a "250 2.0.0 Ok: queued as ID" reply in REPLIES, or "".
std::string QueuedAs(const std::string& replies) {
  const std::string marker = "250 2.0.0 Ok: queued as ";
  const size_t at = replies.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return replies.substr(start, replies.find('\r', start) - start);
}

std::string IntegrityCheck(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open " + db_path;
  }
  std::string result;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      if (!result.empty()) result += "\n";
      result += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
  } else {
    result = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

class StorageFaultTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (mounted_) umount2(disk_.c_str(), MNT_DETACH);
    if (xfsz_saved_) sigaction(SIGXFSZ, &old_xfsz_, nullptr);
  }

  // `vigil init` in DIR with intake limits off and the SMTP listener on.
  void Init(const std::string& dir) {
    project_ = dir;
    token_ = InitProject(dir,
                         "submit_per_minute = 0\nenabled = true\nsmtp_port = 0\n"
                         "connections_per_minute = 0\nmessages_per_minute = 0");
    config_ = dir + "/vigil.toml";
  }

  // Starts the server, runs one report and one mail through it, calls FILL, submits reports and
  // mails until each kind was refused at least 3 times (checking every answer and that reads go
  // on), calls FREE, then checks that intake works again without a restart and that everything
  // acknowledged is stored, and the database and its audit chain are intact. SHARED_DISK: the
  // disk is full for every process, so `vigil ingest` is refused too.
  void FillAndRecover(const std::function<void(const ServerProcess&)>& fill,
                      const std::function<void(const ServerProcess&)>& free,
                      const std::string& refusal, bool shared_disk) {
    ServerProcess server(config_);
    ASSERT_TRUE(server.started());
    const int port = server.port();
    const std::string marker = "smtp listening on 127.0.0.1:";
    const size_t at = server.startup_output().find(marker);
    ASSERT_NE(at, std::string::npos) << server.startup_output();
    const int smtp = std::atoi(server.startup_output().c_str() + at + marker.size());

    std::set<std::string> reports;  // every report acknowledged with 201
    std::set<std::string> mails;    // every mail acknowledged with 250 (queue ids)
    HttpResult first = Http(port, "POST", "/api/v1/reports", ReportJson(0));
    ASSERT_EQ(first.status, 201) << first.body;
    const std::string first_id = JsonField(first.body, "id");
    reports.insert(first_id);
    const std::string first_mail = QueuedAs(DeliverMail(smtp, 0));
    ASSERT_FALSE(first_mail.empty());
    mails.insert(first_mail);

    fill(server);
    if (HasFatalFailure()) return;
    const std::string refused_json =
        R"({"error":{"code":"unavailable","message":")" + refusal + "\"}}\n";
    const std::string refused_smtp = "452 4.3.1 storage failure; try again later\r\n";
    int http_refused = 0, smtp_refused = 0;
    for (int n = 1; n <= 500 && (http_refused < 3 || smtp_refused < 3); ++n) {
      HttpResult r = Http(port, "POST", "/api/v1/reports", ReportJson(n));
      if (r.status == 201) {
        reports.insert(JsonField(r.body, "id"));
      } else {
        ASSERT_EQ(r.status, 503) << r.body;
        EXPECT_EQ(r.body, refused_json);
        ++http_refused;
      }
      const std::string replies = DeliverMail(smtp, n);
      const std::string queued = QueuedAs(replies);
      if (!queued.empty()) {
        mails.insert(queued);
      } else {
        ASSERT_NE(replies.find(refused_smtp), std::string::npos) << replies;
        ++smtp_refused;
      }
      // Reads go on while writes fail.
      ASSERT_EQ(Http(port, "GET", "/healthz").status, 200);
      HttpResult shown = Http(port, "GET", "/api/v1/reports/" + first_id, "", token_);
      ASSERT_EQ(shown.status, 200) << shown.body;
      EXPECT_NE(shown.body.find("Overflow number 0"), std::string::npos) << shown.body;
      HttpResult listed = Http(port, "GET", "/api/v1/reports", "", token_);
      ASSERT_EQ(listed.status, 200) << listed.body;
      EXPECT_NE(listed.body.find(first_id), std::string::npos) << listed.body;
    }
    ASSERT_GE(http_refused, 3) << "the disk never filled";
    ASSERT_GE(smtp_refused, 3) << "the disk never filled";
    if (shared_disk) {
      // The MTA pipe: EX_TEMPFAIL, the MTA keeps the message and tries again later.
      CommandResult piped = RunVigil({"-c", config_, "ingest"}, MailText(999));
      EXPECT_EQ(piped.exit_code, 75) << piped.out << piped.err;
      EXPECT_EQ(piped.err, "vigil: storage failure; try again later\n");
    }

    // Room again: the very next writes are taken, by the same server.
    free(server);
    if (HasFatalFailure()) return;
    HttpResult after = Http(port, "POST", "/api/v1/reports", ReportJson(1000));
    ASSERT_EQ(after.status, 201) << after.body;
    reports.insert(JsonField(after.body, "id"));
    const std::string after_mail = QueuedAs(DeliverMail(smtp, 1000));
    ASSERT_FALSE(after_mail.empty());
    mails.insert(after_mail);
    // Mail accepted while the disk was full becomes reports once it can be processed.
    ASSERT_TRUE(WaitUntil([&] {
      const std::string inbox = RunVigil({"-c", config_, "mail", "inbox", "--json"}).out;
      return inbox.find("\"state\":\"stored\"") == std::string::npos;
    }));
    EXPECT_EQ(server.Stop(SIGTERM), 0);

    const std::string list = RunVigil({"-c", config_, "report", "list", "--json"}).out;
    for (const std::string& id : reports) {
      EXPECT_NE(list.find("\"id\":\"" + id + "\""), std::string::npos) << id << " was lost";
    }
    // Every mail acknowledged became a report.
    const std::string inbox = RunVigil({"-c", config_, "mail", "inbox", "--json"}).out;
    for (const std::string& id : mails) {
      const size_t row = inbox.find("{\"id\":\"" + id + "\"");
      ASSERT_NE(row, std::string::npos) << id << " was lost";
      const std::string fields = inbox.substr(row, inbox.find('}', row) - row);
      EXPECT_NE(fields.find("\"state\":\"processed\""), std::string::npos) << fields;
      EXPECT_NE(fields.find("\"report_id\":\"SEC-"), std::string::npos) << fields;
    }
    EXPECT_EQ(IntegrityCheck(project_ + "/data/vigil.db"), "ok");
    CommandResult verify = RunVigil({"-c", config_, "audit", "verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_NE(verify.out.find("intact"), std::string::npos) << verify.out;
  }

  // SIGXFSZ ignored in this process, so that the server forked from it inherits it ignored: a
  // write past RLIMIT_FSIZE then fails with EFBIG instead of killing the server.
  void IgnoreSigxfsz() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(sigaction(SIGXFSZ, &ignore, &old_xfsz_), 0);
    xfsz_saved_ = true;
  }

  TempDir dir_;
  std::string project_, config_, token_;
  std::string disk_;  // the tmpfs mount point, if any
  bool mounted_ = false;
  bool xfsz_saved_ = false;
  struct sigaction old_xfsz_ {};
};

// The server's files may not grow past their size at the moment plus a little: its WAL fills up
// after a few writes (EFBIG, which SQLite reports as an I/O error). Lifting the limit is the
// space coming back.
TEST_F(StorageFaultTest, FileSizeLimitRefusesIntakeKeepsReadsAndRecovers) {
  Init(dir_.path() + "/project");
  IgnoreSigxfsz();
  const std::string wal = project_ + "/data/vigil.db-wal";
  FillAndRecover(
      [&](const ServerProcess& server) {
        const rlimit limit{static_cast<rlim_t>(std::filesystem::file_size(wal)) + 128 * 1024,
                           RLIM_INFINITY};
        ASSERT_EQ(prlimit(server.pid(), RLIMIT_FSIZE, &limit, nullptr), 0) << strerror(errno);
      },
      [](const ServerProcess& server) {
        const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
        ASSERT_EQ(prlimit(server.pid(), RLIMIT_FSIZE, &unlimited, nullptr), 0) << strerror(errno);
      },
      "storage I/O error: nothing was stored; try again later", /*shared_disk=*/false);
}

// A real full file system: the project lives on a 16 MiB tmpfs, a file the test allocates
// leaves 128 KiB free (ENOSPC, SQLite's "database or disk is full"); deleting it frees the space.
// The disk is full for `vigil ingest` as well.
TEST_F(StorageFaultTest, FullFileSystemRefusesIntakeKeepsReadsAndRecovers) {
  disk_ = dir_.path() + "/disk";
  std::filesystem::create_directory(disk_);
  if (mount("tmpfs", disk_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0700") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << strerror(errno)
                 << "); FileSizeLimitRefusesIntakeKeepsReadsAndRecovers covers a full disk";
  }
  mounted_ = true;
  Init(disk_ + "/project");
  const std::string filler = disk_ + "/filler";
  FillAndRecover(
      [&](const ServerProcess&) {
        struct statvfs fs {};
        ASSERT_EQ(statvfs(disk_.c_str(), &fs), 0);
        const off_t room = static_cast<off_t>(fs.f_bavail * fs.f_frsize) - 128 * 1024;
        const int fd = open(filler.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(posix_fallocate(fd, 0, room), 0);
        close(fd);
      },
      [&](const ServerProcess&) { ASSERT_EQ(unlink(filler.c_str()), 0); },
      "storage is full: nothing was stored; try again later", /*shared_disk=*/true);
}

}  // namespace
}  // namespace vigil::testing
