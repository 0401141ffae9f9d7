// The outbound sender across a crash: a mail is durably "sending" before the smarthost sees it,
// and a row a crash left sending is dead-lettered with a clear reason at the next start, never
// sent a second time unasked; an operator's retry sends it again.
#include <gtest/gtest.h>

#include <memory>
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

}  // namespace
}  // namespace vigil
