// Mailing the checkpoint log to an audit address (threat: whoever holds the server rewrites the
// checkpoint log and its key together; the copy already mailed still names the cut).
#include "service/audit_mailer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "mail/mime_message.h"
#include "service/audit_checkpoints.h"
#include "service/mail_sender.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

using testing::ServiceFixture;

class AuditMailerTest : public ServiceFixture {
 protected:
  void SetUp() override {
    config_.project_name = "libexample";
    config_.mail.domain = "example.org";
    config_.mail.local_part = "security";
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    Result<std::string> key = LoadOrCreateAuditKey(dir_.path() + "/audit.key");
    ASSERT_TRUE(key.ok()) << key.status().message();
    log_ = std::make_unique<AuditCheckpointLog>(
        LogPath(), *key, [this](int64_t cursor) { return store_->ChainHeadsSince(cursor); },
        clock_);
    mailer_ = MakeMailer();
  }
  void TearDown() override {
    mailer_.reset();
    log_.reset();
    CloseServices();
  }
  std::unique_ptr<AuditMailer> MakeMailer() {
    return std::make_unique<AuditMailer>(*store_, clock_, LogPath(), log_->public_key(),
                                         "audit@example.net", config_.project_name);
  }
  std::string LogPath() const { return dir_.path() + "/audit-checkpoints.log"; }
  std::string Submit(const std::string& subject) {
    SubmitRequest req;
    req.fields.subject = subject;
    req.fields.steps = "steps";
    Result<Submitted> s = reports_->Submit(local_, req);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? s->id : "";
  }
  // A checkpoint of what moved; the line's number.
  int64_t Checkpoint() {
    Result<CheckpointWrite> w = log_->Write(false);
    EXPECT_TRUE(w.ok() && w->written) << w.status().message();
    return w.ok() ? w->n : 0;
  }
  std::string ReadLog() {
    std::ifstream in(LogPath(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // The audit mails in the outbox, in order.
  std::vector<OutboxEntry> AuditMails() {
    OutboxQuery q;
    q.limit = 1000;
    Result<std::vector<OutboxEntry>> rows = store_->ListOutbox(q);
    EXPECT_TRUE(rows.ok());
    std::vector<OutboxEntry> out;
    for (OutboxEntry& e : *rows) {
      if (e.mail.kind == "audit-checkpoints") out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(),
              [](const OutboxEntry& a, const OutboxEntry& b) { return a.mail.id < b.mail.id; });
    return out;
  }
  // The checkpoint lines a mail body carries.
  static std::string Lines(const std::string& body) {
    const size_t begin = body.find("-----BEGIN VIGIL AUDIT CHECKPOINTS");
    const size_t end = body.find("-----END VIGIL AUDIT CHECKPOINTS");
    if (begin == std::string::npos || end == std::string::npos) return "";
    const size_t from = body.find('\n', begin) + 1;
    return body.substr(from, end - from);
  }

  std::unique_ptr<AuditCheckpointLog> log_;
  std::unique_ptr<AuditMailer> mailer_;
};

TEST_F(AuditMailerTest, EachLineIsMailedOnceInOrderAndNothingWhenNothingIsNew) {
  Result<AuditMailing> none = mailer_->MailNew();
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_EQ(none->mails, 0);  // no log yet

  Submit("First");
  ASSERT_EQ(Checkpoint(), 1);
  Result<AuditMailing> first = mailer_->MailNew();
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->mails, 1);
  EXPECT_EQ(first->first, 1);
  EXPECT_EQ(first->last, 1);
  EXPECT_EQ(mailer_->MailNew()->mails, 0);

  Submit("Second");
  ASSERT_EQ(Checkpoint(), 2);
  Submit("Third");
  ASSERT_EQ(Checkpoint(), 3);
  Result<AuditMailing> more = mailer_->MailNew();
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->mails, 1);
  EXPECT_EQ(more->first, 2);
  EXPECT_EQ(more->last, 3);

  std::vector<OutboxEntry> mails = AuditMails();
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[0].mail.recipient, "audit@example.net");
  EXPECT_EQ(mails[0].mail.report_id, "");
  EXPECT_EQ(mails[0].mail.subject, "Audit checkpoint 1 of libexample");
  EXPECT_EQ(mails[1].mail.subject, "Audit checkpoints 2 to 3 of libexample");
  EXPECT_EQ(Lines(mails[0].mail.body) + Lines(mails[1].mail.body), ReadLog());
  EXPECT_NE(mails[1].mail.body.find(
                "Public key (Ed25519, hex): " + AuditPublicKeyHex(log_->public_key()) + "\n"),
            std::string::npos);
  EXPECT_NE(mails[1].mail.body.find("  vigil audit verify --checkpoint-log FILE --public-key " +
                                    AuditPublicKeyHex(log_->public_key()) + "\n"),
            std::string::npos);
  // A mailer made anew (a restart) starts from what the store says was mailed.
  mailer_ = MakeMailer();
  EXPECT_EQ(mailer_->MailNew()->mails, 0);
}

// The whole way: the outbox row goes through the sender as a real mail; the lines decoded from
// it are a log that replays with the public key, to the same heads as the server's own log.
TEST_F(AuditMailerTest, TheMailedLinesReplayAsALogOfTheirOwn) {
  for (int i = 0; i < 3; ++i) {
    Submit("Report " + std::to_string(i));
    Checkpoint();
    ASSERT_TRUE(mailer_->MailNew().ok());
  }
  std::vector<std::string> sent;
  MailSender sender(*store_, clock_, config_, nullptr,
                    [&sent](const std::string&, const std::string& rcpt, const std::string& data) {
                      EXPECT_EQ(rcpt, "audit@example.net");
                      sent.push_back(data);
                      return Status::Ok();
                    });
  ASSERT_TRUE(sender.SendDue().ok());
  ASSERT_EQ(sent.size(), 3u);
  const std::string copy = dir_.path() + "/copy.log";
  {
    std::ofstream out(copy, std::ios::binary);
    for (const std::string& data : sent) {
      Result<mail::DecodedMail> m = mail::DecodeMail(data);
      ASSERT_TRUE(m.ok()) << m.status().message();
      EXPECT_EQ(m->from_email, "security@example.org");
      out << Lines(m->text);
    }
  }
  Result<CheckpointedHeads> mine = ReplayAuditLog(LogPath(), log_->public_key());
  Result<CheckpointedHeads> theirs = ReplayAuditLog(copy, log_->public_key());
  ASSERT_TRUE(mine.ok()) << mine.status().message();
  ASSERT_TRUE(theirs.ok()) << theirs.status().message();
  EXPECT_EQ(theirs->size(), 3u);
  for (const auto& [chain, head] : *mine) {
    ASSERT_TRUE(theirs->count(chain)) << chain;
    EXPECT_EQ(theirs->at(chain).seq, head.seq);
    EXPECT_EQ(theirs->at(chain).hash, head.hash);
  }
}

TEST_F(AuditMailerTest, ALogStartedOverIsMailedAgainFromLineOne) {
  Submit("First");
  Checkpoint();
  Submit("Second");
  Checkpoint();
  ASSERT_EQ(mailer_->MailNew()->last, 2);
  std::remove(LogPath().c_str());
  ASSERT_TRUE(log_->Write(true).ok());  // line 1 of a new log
  Result<AuditMailing> again = mailer_->MailNew();
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(again->restarted);
  EXPECT_EQ(again->first, 1);
  EXPECT_EQ(again->last, 1);
  EXPECT_EQ(Lines(AuditMails().back().mail.body), ReadLog());
}

TEST_F(AuditMailerTest, ManyLinesGoOutInMailsOfBoundedSizeAndATornLineWaits) {
  for (int i = 0; i < 40; ++i) {
    Submit("Report " + std::to_string(i));
    Checkpoint();
  }
  const std::string log = ReadLog();
  Result<CheckpointLines> all = ReadCheckpointLines(LogPath(), 0, 1 << 20);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total, 40);
  EXPECT_EQ(all->text, log);
  // A budget smaller than one line still gives that line; lines are never split.
  Result<CheckpointLines> one = ReadCheckpointLines(LogPath(), 10, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->first, 11);
  EXPECT_EQ(one->last, 11);
  EXPECT_EQ(one->text.back(), '\n');
  EXPECT_EQ(std::count(one->text.begin(), one->text.end(), '\n'), 1);
  Result<CheckpointLines> some = ReadCheckpointLines(LogPath(), 10, 3 * one->text.size());
  ASSERT_TRUE(some.ok());
  EXPECT_GE(some->last - some->first + 1, 2);
  EXPECT_LE(some->text.size(), 3 * one->text.size());
  EXPECT_EQ(log.find(some->text), log.find(one->text));
  // A line being written (no newline yet) was never acknowledged: not read, not mailed.
  { std::ofstream(LogPath(), std::ios::app) << "{\"v\":1,\"n\":41"; }
  Result<CheckpointLines> torn = ReadCheckpointLines(LogPath(), 40, 1 << 20);
  ASSERT_TRUE(torn.ok());
  EXPECT_EQ(torn->total, 40);
  EXPECT_EQ(torn->text, "");
  Result<CheckpointLines> missing = ReadCheckpointLines(dir_.path() + "/none.log", 0, 1 << 20);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->total, 0);
}

// The server's round and a CLI command may mail at the same moment: the counter is compared and
// set with the outbox row, so no line is queued twice and none is skipped.
TEST_F(AuditMailerTest, ConcurrentMailersQueueEachLineExactlyOnce) {
  std::unique_ptr<AuditMailer> other = MakeMailer();
  std::atomic<bool> done{false};
  auto mail_until_done = [&done](AuditMailer& m) {
    while (true) {
      const bool last = done.load();
      Result<AuditMailing> r = m.MailNew();
      EXPECT_TRUE(r.ok() || r.status().code() == Code::kAborted) << r.status().message();
      if (last && r.ok() && r->mails == 0) return;
    }
  };
  std::thread a(mail_until_done, std::ref(*mailer_));
  std::thread b(mail_until_done, std::ref(*other));
  for (int i = 0; i < 30; ++i) {
    Submit("Report " + std::to_string(i));
    Checkpoint();
  }
  done = true;
  a.join();
  b.join();
  std::string mailed;
  for (const OutboxEntry& e : AuditMails()) mailed += Lines(e.mail.body);
  EXPECT_EQ(mailed, ReadLog());
}

}  // namespace
}  // namespace vigil
