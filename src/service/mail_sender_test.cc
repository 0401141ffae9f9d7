// The outbound sender: no mail about a report ever reaches a non-participant (randomized), and
// mail to a participant with a key is decrypted and verified by the real gpg.
#include "service/mail_sender.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "service/credentials.h"
#include "service/mail_admin_service.h"
#include "service/report_service.h"
#include "service/sealed_link.h"
#include "store/sqlite_store.h"
#include "support/quoted_printable.h"
#include "support/service_fixture.h"
#include "support/stalling_server.h"

namespace vigil {
namespace {

std::string TempPath() {
  std::string t = "/tmp/vigil-mail-XXXXXX";
  if (!mkdtemp(t.data())) std::abort();
  return t;
}

// Runs a shell-free command with stdin IN; returns stdout (and the exit status in *rc).
std::string Exec(const std::vector<std::string>& argv, const std::string& in, int* rc) {
  const std::string dir = TempPath();
  std::ofstream(dir + "/in") << in;
  const pid_t pid = fork();
  if (pid == 0) {
    freopen((dir + "/in").c_str(), "r", stdin);
    freopen((dir + "/out").c_str(), "w", stdout);
    freopen("/dev/null", "w", stderr);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream o(dir + "/out");
  std::string out((std::istreambuf_iterator<char>(o)), {});
  std::filesystem::remove_all(dir);
  return out;
}

class MailSenderTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    config_.mail.domain = "example.org";
    config_.mail.local_part = "security";
    config_.mail.max_attempts = 3;
    ASSERT_NO_FATAL_FAILURE(OpenServices());
  }
  MailSender::Transport Capture() {
    return [this](const std::string& from, const std::string& rcpt, const std::string& data) {
      sent_.push_back({from, rcpt, data});
      return Status::Ok();
    };
  }
  struct Sent {
    std::string from, rcpt, data;
  };
  std::vector<Sent> sent_;
};

TEST_F(MailSenderTest, RandomizedOperationsNeverMailANonParticipant) {
  MailSender sender(*store_, clock_, config_, nullptr, Capture());
  std::mt19937 rng(20260921);
  const std::vector<std::string> people = {"a@x.org", "b@x.org", "c@x.org", "d@x.org",
                                           "e@x.org", "f@x.org", "g@x.org", "h@x.org"};
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<std::string> reports;
  int bogus = 0;
  for (int op = 0; op < 400; ++op) {
    const int what = static_cast<int>(pick(6));
    if (what == 0 || reports.empty()) {
      SubmitRequest req;
      req.fields.subject = "report " + std::to_string(op);
      req.fields.steps = "secret detail " + std::to_string(op);
      req.reporter_email = people[pick(people.size())];
      Result<Submitted> s = reports_->Submit(Principal{}, req);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      reports.push_back(s->id);
    } else if (what == 1) {
      (void)reports_->Invite(local_, reports[pick(reports.size())], people[pick(people.size())], "",
                             Role::kCollaborator);
    } else if (what == 2) {
      (void)reports_->PostMessage(local_, reports[pick(reports.size())],
                                  "secret message " + std::to_string(op));
    } else if (what == 3) {
      (void)reports_->Reject(local_, reports[pick(reports.size())], "not a bug");
    } else if (what == 4 && reports.size() > 1) {
      (void)reports_->MarkDuplicate(local_, reports[pick(reports.size())], reports.front());
    } else {
      // A row addressed to someone who may not be on the report (what a bug elsewhere could
      // queue): the sender must refuse it at send time.
      WriteBatch b;
      OutboxMail m;
      m.report_id = reports[pick(reports.size())];
      m.recipient = people[pick(people.size())];
      m.kind = "message";
      m.subject = "[" + m.report_id + "] leak?";
      m.body = "secret";
      m.created_at = clock_.Now();
      b.outbox.push_back(m);
      ASSERT_TRUE(store_->Write(std::move(b)).ok());
      ++bogus;
    }
    clock_.Advance(kMicrosPerSecond);
    ASSERT_TRUE(sender.SendDue().ok());
  }
  ASSERT_GT(bogus, 20);
  ASSERT_GT(sent_.size(), 100u);
  // Participants only ever grow here, so the final lists bound who may have received mail.
  for (const Sent& s : sent_) {
    const size_t open = s.data.find("Subject: [");
    ASSERT_NE(open, std::string::npos);
    const std::string id = s.data.substr(open + 10, s.data.find(']', open) - open - 10);
    Result<Report> r = store_->GetReport(id);
    ASSERT_TRUE(r.ok()) << id;
    EXPECT_NE(r->FindParticipant(s.rcpt), nullptr) << s.rcpt << " got mail about " << id;
    // Their personal reply address, and a bounce address for this one message to them.
    Result<MailTags> tags = MailTags::Load(MailTags::KeyPath(config_.data_dir));
    ASSERT_TRUE(tags.ok());
    mail::SecurityAddress ours;
    EXPECT_NE(s.data.find("Reply-To: <" + tags->ReplyAddress(ours, id, s.rcpt) + ">"),
              std::string::npos);
    std::optional<mail::SecurityRecipient> from = mail::ParseSecurityRecipient(s.from, ours);
    ASSERT_TRUE(from) << s.from;
    EXPECT_EQ(from->report_id, id);
    EXPECT_GT(from->outbox_id, 0);
    EXPECT_EQ(s.from, tags->BounceAddress(ours, id, from->outbox_id, s.rcpt));
  }
  OutboxQuery dead;
  dead.state = OutboxState::kDead;
  Result<std::vector<OutboxEntry>> rows = store_->ListOutbox(dead);
  ASSERT_TRUE(rows.ok());
  for (const OutboxEntry& e : *rows) {
    EXPECT_EQ(e.last_error,
              e.mail.recipient + " is not a participant of " + e.mail.report_id + "; not sent");
  }
  OutboxQuery pending;
  pending.state = OutboxState::kPending;
  EXPECT_TRUE(store_->ListOutbox(pending)->empty());
}

class EncryptedMailTest : public MailSenderTest {
 protected:
  void SetUp() override {
    MailSenderTest::SetUp();
    Result<mail::ProjectKey> key =
        mail::ProjectKey::Generate("Example security <security@example.org>");
    ASSERT_TRUE(key.ok());
    key_ = std::move(key).value();
    home_ = TempPath();
    int rc = 0;
    Exec({"gpg", "--homedir", home_, "--batch", "--passphrase", "", "--quick-gen-key",
          "carl@example.org", "future-default", "default", "never"},
         "", &rc);
    ASSERT_EQ(rc, 0);
    pub_ = Exec({"gpg", "--homedir", home_, "--batch", "--armor", "--export", "carl@example.org"},
                "", &rc);
    ASSERT_EQ(rc, 0);
    Exec({"gpg", "--homedir", home_, "--batch", "--import"}, key_->public_armored(), &rc);
    ASSERT_EQ(rc, 0);
  }
  void TearDown() override {
    // gpg-agent removes its own sockets as it exits, racing with this: ignore what is gone.
    std::error_code ignored;
    std::filesystem::remove_all(home_, ignored);
    MailSenderTest::TearDown();
  }
  // Carl's mail DATA is PGP/MIME, decrypts with his key, and carries the project's signature.
  void ExpectEncryptedToCarl(const std::string& data) {
    EXPECT_NE(
        data.find("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\""),
        std::string::npos);
    EXPECT_EQ(data.find("EMBARGO"), std::string::npos);  // nothing of the body in clear
    const size_t b = data.find("-----BEGIN PGP MESSAGE-----");
    const size_t e = data.find("-----END PGP MESSAGE-----");
    ASSERT_NE(b, std::string::npos);
    int rc = 0;
    const std::string status =
        Exec({"gpg", "--homedir", home_, "--batch", "--status-fd", "1", "--decrypt"},
             data.substr(b, e + 25 - b), &rc);
    EXPECT_EQ(rc, 0) << status;
    EXPECT_NE(status.find("[GNUPG:] DECRYPTION_OKAY"), std::string::npos) << status;
    EXPECT_NE(status.find("[GNUPG:] GOODSIG"), std::string::npos) << status;
    EXPECT_NE(status.find("[GNUPG:] VALIDSIG " + key_->fingerprint()), std::string::npos) << status;
    EXPECT_NE(status.find("EMBARGO REMINDER: SEC-2026-"), std::string::npos);
  }

  std::optional<mail::ProjectKey> key_;
  std::string home_, pub_;
};

TEST_F(EncryptedMailTest, MailToAParticipantWithAKeyIsDecryptedAndVerifiedByGpg) {
  Principal local;
  local.kind = Principal::Kind::kLocal;
  ASSERT_TRUE(SetMailKey(*store_, clock_, local, "Carl@Example.org", pub_).ok());
  EXPECT_EQ(SetMailKey(*store_, clock_, local, "x@example.org", "junk").message(),
            "not an OpenPGP public key that can encrypt");
  SubmitRequest req;
  req.fields.subject = "Encrypted please";
  req.fields.steps = "steps";
  req.reporter_email = "carl@example.org";
  ASSERT_TRUE(reports_->Submit(Principal{}, req).ok());
  MailSender sender(*store_, clock_, config_, &*key_, Capture());
  ASSERT_EQ(*sender.SendDue(), 1);
  ASSERT_EQ(sent_.size(), 1u);
  ExpectEncryptedToCarl(sent_[0].data);
}

// The key a reporter gives with a report (the web form, or attached to their mail) encrypts the
// mail about that report, and only that report's.
TEST_F(EncryptedMailTest, TheKeyGivenWithAReportEncryptsMailAboutThatReport) {
  SubmitRequest req;
  req.fields.subject = "Encrypted please";
  req.fields.steps = "steps";
  req.reporter_email = "carl@example.org";
  req.extend = [&](WriteBatch& b) {
    ReporterPrefs prefs;
    prefs.public_key = pub_;
    b.web.reporter_prefs = prefs;
  };
  ASSERT_TRUE(reports_->Submit(Principal{}, req).ok());
  req.extend = nullptr;
  req.fields.subject = "Another report, no key given";
  ASSERT_TRUE(reports_->Submit(Principal{}, req).ok());
  MailSender sender(*store_, clock_, config_, &*key_, Capture());
  ASSERT_EQ(*sender.SendDue(), 2);
  ASSERT_EQ(sent_.size(), 2u);
  const bool first_encrypted =
      sent_[0].data.find("-----BEGIN PGP MESSAGE-----") != std::string::npos;
  const std::string& encrypted = first_encrypted ? sent_[0].data : sent_[1].data;
  const std::string& clear = first_encrypted ? sent_[1].data : sent_[0].data;
  ExpectEncryptedToCarl(encrypted);
  EXPECT_EQ(clear.find("-----BEGIN PGP MESSAGE-----"), std::string::npos);
  EXPECT_NE(clear.find("EMBARGO REMINDER: SEC-2026-"), std::string::npos);
}

// A private link waits in the outbox sealed with the key kept outside the database: the row
// holds no working link, the mail that goes out does, `mail show` shows neither, and a row
// whose seal does not open (another key) is dead-lettered with the reason, never sent broken.
TEST_F(MailSenderTest, PrivateLinksWaitSealedAndOpenOnlyInTheMailThatGoesOut) {
  Result<std::string> key = LoadOrCreateTotpKey(config_.TotpKeyPath());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const TotpSecretBox box(*key);
  reports_ = std::make_unique<ReportService>(*store_, clock_, config_, &box);
  SubmitRequest req;
  req.fields.subject = "Overflow";
  req.fields.steps = "steps";
  req.reporter_email = "rita@example.org";
  Result<Submitted> s = reports_->Submit(Principal{}, req);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Result<std::vector<OutboxEntry>> rows = store_->ListOutbox(OutboxQuery{});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const std::string& stored = rows->front().mail.body;
  EXPECT_EQ(stored.find(s->token), std::string::npos);
  EXPECT_EQ(stored.find(kCapabilityPrefix), std::string::npos);
  EXPECT_NE(stored.find(config_.public_url + "/track/vigil-sealed-link:v1:"), std::string::npos)
      << stored;

  MailAdminService admin(*store_, clock_);
  Result<ShownMail> shown = admin.Show(config_, rows->front().mail.id, "");
  ASSERT_TRUE(shown.ok()) << shown.status().ToString();
  EXPECT_NE(shown->text.find("/track/<private link of the recipient, not shown>\n"),
            std::string::npos)
      << shown->text;
  EXPECT_EQ(shown->text.find("vigil-sealed-link"), std::string::npos);

  MailSender sender(*store_, clock_, config_, nullptr, Capture());
  ASSERT_EQ(*sender.SendDue(), 1);
  ASSERT_EQ(sent_.size(), 1u);
  const std::string text = testing::DecodeQp(sent_[0].data);
  EXPECT_NE(text.find(reports_->TrackingUrl(s->token) + "\r\n"), std::string::npos) << text;
  EXPECT_EQ(sent_[0].data.find("vigil-sealed-link"), std::string::npos);

  // A link sealed with another key than the file's: the mail is not sent without it.
  const TotpSecretBox other(std::string(TotpSecretBox::kKeyBytes, '\x01'));
  ReportService elsewhere(*store_, clock_, config_, &other);
  ASSERT_TRUE(elsewhere.ReplaceLink(local_, s->id, "rita@example.org").ok());
  ASSERT_EQ(*sender.SendDue(), 1);
  EXPECT_EQ(sent_.size(), 1u);
  OutboxQuery q;
  q.id = 2;
  rows = store_->ListOutbox(q);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().mail.kind, "link-replaced");
  EXPECT_EQ(rows->front().mail.state, OutboxState::kDead);
  EXPECT_EQ(rows->front().last_error,
            "the private link in this mail cannot be opened (sealed with another key, or "
            "altered); replace rita@example.org's link on " +
                s->id + " (its report page, or POST /api/v1/reports/" + s->id +
                "/participants/relink) to send a new one");

  // Someone's message that holds the marker is their text: it goes out as written.
  ASSERT_TRUE(reports_->PostMessage(local_, s->id, "odd: vigil-sealed-link:v1:AAAA= ok").ok());
  ASSERT_EQ(*sender.SendDue(), 1);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_NE(testing::DecodeQp(sent_[1].data).find("odd: vigil-sealed-link:v1:AAAA= ok"),
            std::string::npos)
      << sent_[1].data;
}

// A smarthost that accepts the connection and then hangs: each attempt is cut off after the
// configured timeout and counted, the row stays pending with the error and a backoff that
// doubles, and while an attempt hangs nothing else waits for it.
class StalledSmarthostTest : public MailSenderTest {
 protected:
  void SetUp() override {
    MailSenderTest::SetUp();
    config_.mail.smarthost_timeout_seconds = 1;
    config_.mail.max_attempts = 5;
    config_.mail.retry_base_seconds = 60;
  }
  void SubmitWithReceipt(const std::string& subject) {
    SubmitRequest req;
    req.fields.subject = subject;
    req.fields.steps = "steps";
    req.reporter_email = "rita@example.org";
    Result<Submitted> s = reports_->Submit(Principal{}, req);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }
  OutboxEntry Row(int64_t id) {
    OutboxQuery q;
    q.id = id;
    Result<std::vector<OutboxEntry>> rows = store_->ListOutbox(q);
    if (!rows.ok() || rows->size() != 1) std::abort();
    return rows->front();
  }
};

TEST_F(StalledSmarthostTest, SilentSmarthostTimesOutAndTheRowBacksOff) {
  testing::StallingServer smarthost;
  config_.mail.smarthost = smarthost.url("smtp");
  SubmitWithReceipt("Overflow");
  MailSender sender(*store_, clock_, config_, nullptr, MailSender::Smarthost(config_));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    SCOPED_TRACE(attempt);
    const Instant before = clock_.Now();
    ASSERT_EQ(*sender.SendDue(), 1);
    const OutboxEntry row = Row(1);
    EXPECT_EQ(row.mail.state, OutboxState::kPending);
    EXPECT_EQ(row.mail.attempts, attempt);
    EXPECT_EQ(row.last_error, "smarthost: no answer from smtp://127.0.0.1:" +
                                  std::to_string(smarthost.port()) + " within 1 s");
    EXPECT_EQ(row.next_attempt_at, before + (int64_t{60} << (attempt - 1)) * kMicrosPerSecond);
    EXPECT_EQ(*sender.SendDue(), 0);  // not again before its time
    clock_.Set(row.next_attempt_at);
  }
  EXPECT_EQ(smarthost.connections(), 3);
}

// The greeting arrives, then the answer to EHLO trickles in a byte at a time, never whole.
TEST_F(StalledSmarthostTest, TricklingSmarthostTimesOutToo) {
  testing::StallingServer::Options trickle;
  trickle.greeting = "220 slow.example ESMTP\r\n";
  trickle.trickle = "250-slow.example is thinking about it" + std::string(200, '.');
  testing::StallingServer smarthost(trickle);
  config_.mail.smarthost = smarthost.url("smtp");
  SubmitWithReceipt("Overflow");
  MailSender sender(*store_, clock_, config_, nullptr, MailSender::Smarthost(config_));
  ASSERT_EQ(*sender.SendDue(), 1);
  const OutboxEntry row = Row(1);
  EXPECT_EQ(row.mail.state, OutboxState::kPending);
  EXPECT_EQ(row.mail.attempts, 1);
  // Not "did not finish within 10 s": the reply timeout cut it, not the total cap.
  EXPECT_EQ(row.last_error, "smarthost: no answer from smtp://127.0.0.1:" +
                                std::to_string(smarthost.port()) + " within 1 s");
}

// The sender's thread is stuck in a delivery (the smarthost never answers, and here never
// times out either: the attempt ends only when the smarthost goes away). Meanwhile other threads
// submit reports (store writes that queue mail), read the store and wake the sender (its
// mutex): all of it completes before the stuck delivery returns, proven by the order of events.
TEST_F(StalledSmarthostTest, AStuckDeliveryHoldsNothingOthersNeed) {
  auto smarthost = std::make_unique<testing::StallingServer>();
  config_.mail.smarthost = smarthost->url("smtp");
  config_.mail.smarthost_timeout_seconds = 3600;
  SubmitWithReceipt("Overflow");
  std::mutex mu;
  std::condition_variable changed;
  std::vector<std::string> events;  // guarded by mu
  auto note = [&](const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
    changed.notify_all();
  };
  MailSender::Transport smtp = MailSender::Smarthost(config_);
  MailSender sender(*store_, clock_, config_, nullptr,
                    [&](const std::string& from, const std::string& rcpt, const std::string& data) {
                      Status st = smtp(from, rcpt, data);
                      note("delivery returned");
                      return st;
                    });
  sender.Start();
  sender.Wake();
  ASSERT_TRUE(smarthost->WaitForConnections(1));  // the sender's thread now waits for a greeting
  constexpr int kWorkers = 4, kRounds = 5;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < kRounds; ++i) {
        SubmitRequest req;
        req.fields.subject = "report " + std::to_string(w) + "." + std::to_string(i);
        req.fields.steps = "steps";
        req.reporter_email = "r" + std::to_string(w) + "@example.org";
        Result<Submitted> s = reports_->Submit(Principal{}, req);
        if (!s.ok()) return note("submit failed: " + s.status().ToString());
        if (!store_->GetReport(s->id).ok()) return note("read failed");
        if (!store_->ListOutbox(OutboxQuery{}).ok()) return note("outbox read failed");
        sender.Wake();
      }
      note("worker done");
    });
  }
  for (std::thread& t : workers) t.join();
  note("workers joined");
  {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> expected(kWorkers, "worker done");
    expected.push_back("workers joined");
    EXPECT_EQ(events, expected);  // no "delivery returned" yet: it is still stuck
  }
  EXPECT_EQ(Row(1).mail.attempts, 0);
  // The smarthost goes away: the stuck attempt ends, is counted, and the sender stops.
  smarthost.reset();
  {
    std::unique_lock<std::mutex> lock(mu);
    // Two deliveries returned: the sender went on to the next mail (the workers' receipts, to
    // the smarthost that is gone), so the stuck one's outcome is stored. Stopping before that
    // would rightly count it as abandoned, not failed.
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(60),
                                 [&] { return events.size() > kWorkers + 2; }));
    EXPECT_EQ(events[kWorkers + 1], "delivery returned");
  }
  sender.Stop();
  const OutboxEntry row = Row(1);
  EXPECT_EQ(row.mail.state, OutboxState::kPending);
  EXPECT_EQ(row.mail.attempts, 1);
  EXPECT_TRUE(row.last_error.starts_with("smarthost: ")) << row.last_error;
}

// Stopping the sender (a `vigil serve` shutting down) does not wait for a smarthost that hangs:
// the attempt in progress is abandoned and not counted, the rest of the round is left alone.
TEST_F(StalledSmarthostTest, StopAbandonsAStuckAttemptWithoutCountingIt) {
  testing::StallingServer smarthost;
  config_.mail.smarthost = smarthost.url("smtp");
  config_.mail.smarthost_timeout_seconds = 3600;
  SubmitWithReceipt("Overflow");
  SubmitWithReceipt("Underflow");
  MailSender sender(*store_, clock_, config_, nullptr, /*transport=*/nullptr);
  sender.Start();
  sender.Wake();
  ASSERT_TRUE(smarthost.WaitForConnections(1));
  sender.Stop();  // returns long before the hour-long timeout
  for (int64_t id : {1, 2}) {
    const OutboxEntry row = Row(id);
    EXPECT_EQ(row.mail.state, OutboxState::kPending);
    EXPECT_EQ(row.mail.attempts, 0);
    EXPECT_EQ(row.last_error, "");
  }
  EXPECT_EQ(smarthost.connections(), 1);
}

}  // namespace
}  // namespace vigil
