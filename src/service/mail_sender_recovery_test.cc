// The outbound sender across a crash: a mail is durably "sending" before the smarthost sees it,
// and a row a crash left sending is dead-lettered with a clear reason at the next start, never
// sent a second time unasked; an operator's retry sends it again.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "service/mail_sender.h"
#include "service/report_service.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

class MailSenderRecoveryTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    config_.mail.domain = "example.org";
    config_.mail.local_part = "security";
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    SubmitRequest req;
    req.fields.subject = "Token leak";
    req.fields.steps = "steps";
    req.reporter_email = "rita@example.net";
    ASSERT_TRUE(reports_->Submit(Principal{}, req).ok());  // queues the acknowledgement
  }
  std::vector<OutboxEntry> Rows(OutboxState state) {
    OutboxQuery q;
    q.state = state;
    return *store_->ListOutbox(q);
  }
};

TEST_F(MailSenderRecoveryTest, AMailIsDurablySendingWhileTheSmarthostHasIt) {
  ASSERT_EQ(Rows(OutboxState::kPending).size(), 1u);
  std::vector<OutboxState> seen;
  MailSender sender(*store_, clock_, config_, nullptr,
                    [&](const std::string&, const std::string&, const std::string&) {
                      for (const OutboxEntry& e : Rows(OutboxState::kSending)) {
                        seen.push_back(e.mail.state);
                      }
                      return Status::Ok();
                    });
  ASSERT_EQ(*sender.SendDue(), 1);
  EXPECT_EQ(seen, std::vector<OutboxState>{OutboxState::kSending});
  EXPECT_EQ(Rows(OutboxState::kSent).size(), 1u);
  EXPECT_TRUE(Rows(OutboxState::kSending).empty());
}

TEST_F(MailSenderRecoveryTest, ARowACrashLeftSendingIsDeadLetteredNotResent) {
  std::vector<OutboxEntry> rows = Rows(OutboxState::kPending);
  ASSERT_EQ(rows.size(), 1u);
  const int64_t id = rows[0].mail.id;
  // What a process killed while the smarthost had the mail leaves behind.
  WriteBatch crash;
  crash.now = clock_.Now();
  crash.mail.outbox_updates.push_back({id, OutboxState::kSending, 0, clock_.Now(), ""});
  ASSERT_TRUE(store_->Write(std::move(crash)).ok());

  int transported = 0;
  auto count = [&](const std::string&, const std::string&, const std::string&) {
    ++transported;
    return Status::Ok();
  };
  {
    MailSender sender(*store_, clock_, config_, nullptr, count);
    sender.Start();  // settles the rows in doubt before its first round
    sender.Stop();
    EXPECT_EQ(*sender.SendDue(), 0);
  }
  EXPECT_EQ(transported, 0);
  rows = Rows(OutboxState::kDead);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].last_error,
            "in doubt: Vigil stopped while the smarthost had this mail, which may have been "
            "delivered; `vigil mail retry " +
                std::to_string(id) + "` sends it again");
  Result<std::vector<StoredEvent>> events = store_->Events(kSystemChain);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->back().kind, "mail.in-doubt");

  // The operator decides: a retry sends it once more.
  Principal admin;
  admin.kind = Principal::Kind::kLocal;
  admin.email = "root";
  MailSender sender(*store_, clock_, config_, nullptr, count);
  ASSERT_TRUE(sender.Retry(admin, id).ok());
  ASSERT_EQ(*sender.SendDue(), 1);
  EXPECT_EQ(transported, 1);
  EXPECT_EQ(Rows(OutboxState::kSent).size(), 1u);
}

TEST_F(MailSenderRecoveryTest, ARowBeingSentCannotBeRetried) {
  const int64_t id = Rows(OutboxState::kPending)[0].mail.id;
  WriteBatch b;
  b.now = clock_.Now();
  b.mail.outbox_updates.push_back({id, OutboxState::kSending, 0, clock_.Now(), ""});
  ASSERT_TRUE(store_->Write(std::move(b)).ok());
  Principal admin;
  admin.kind = Principal::Kind::kLocal;
  admin.email = "root";
  EXPECT_EQ(RetryOutboxMail(*store_, clock_, admin, id).message(),
            "outbox mail " + std::to_string(id) + " is being sent");
}

TEST_F(MailSenderRecoveryTest, TwoSendersOnOneDatabaseSendEveryMailOnce) {
  // Two instances' senders, each with its own round, racing over the same due rows.
  for (int i = 0; i < 60; ++i) {
    SubmitRequest req;
    req.fields.subject = "Report " + std::to_string(i);
    req.fields.steps = "steps";
    req.reporter_email = "rita" + std::to_string(i) + "@example.net";
    ASSERT_TRUE(reports_->Submit(Principal{}, req).ok());
  }
  const size_t rows = Rows(OutboxState::kPending).size();
  ASSERT_EQ(rows, 61u);
  std::mutex mu;
  std::map<std::string, int> delivered;  // recipient -> times handed to the smarthost
  auto transport = [&](const std::string&, const std::string& rcpt, const std::string&) {
    std::lock_guard<std::mutex> lock(mu);
    ++delivered[rcpt];
    return Status::Ok();
  };
  MailSender a(*store_, clock_, config_, nullptr, transport);
  MailSender b(*store_, clock_, config_, nullptr, transport);
  int sent_a = 0, sent_b = 0;
  std::thread other([&] { sent_b = *b.SendDue(); });
  sent_a = *a.SendDue();
  other.join();
  EXPECT_EQ(sent_a + sent_b, 61);
  EXPECT_EQ(delivered.size(), 61u);
  for (const auto& [rcpt, times] : delivered) EXPECT_EQ(times, 1) << rcpt;
  EXPECT_EQ(Rows(OutboxState::kSent).size(), 61u);
}

TEST_F(MailSenderRecoveryTest, ARowStillLeasedToALiveSenderIsLeftAloneUntilTheLeaseRunsOut) {
  const int64_t id = Rows(OutboxState::kPending)[0].mail.id;
  config_.mail.smarthost_timeout_seconds = 30;  // a lease of 300 s
  WriteBatch leased;
  leased.now = clock_.Now();
  leased.mail.outbox_updates.push_back(
      {id, OutboxState::kSending, 0, clock_.Now() + 300 * kMicrosPerSecond, ""});
  ASSERT_TRUE(store_->Write(std::move(leased)).ok());
  auto never = [](const std::string&, const std::string&, const std::string&) {
    ADD_FAILURE() << "a leased row was sent again";
    return Status::Ok();
  };
  {
    MailSender other_instance(*store_, clock_, config_, nullptr, never);
    other_instance.Start();  // settles only rows whose lease ran out
    other_instance.Stop();
  }
  EXPECT_EQ(Rows(OutboxState::kSending).size(), 1u);
  clock_.Advance(300 * kMicrosPerSecond);  // the sender died: nobody renews or finishes it
  {
    MailSender other_instance(*store_, clock_, config_, nullptr, never);
    other_instance.Start();
    other_instance.Stop();
  }
  EXPECT_TRUE(Rows(OutboxState::kSending).empty());
  ASSERT_EQ(Rows(OutboxState::kDead).size(), 1u);
  EXPECT_EQ(Rows(OutboxState::kDead)[0].mail.id, id);
}

}  // namespace
}  // namespace vigil
