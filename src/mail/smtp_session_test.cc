#include "mail/smtp_session.h"

#include <gtest/gtest.h>

namespace vigil::mail {
namespace {

struct Driver {
  explicit Driver(bool lmtp = false, SmtpLimits limits = {})
      : session(
            "mx", limits, lmtp, "10.0.0.1",
            [](std::string_view rcpt) {
              return rcpt == "security@example.org" ? Status::Ok()
                                                    : Status::NotFound("recipient not accepted");
            },
            nullptr) {}
  // Feeds IN; delivers each complete message with RESULT; returns all replies.
  std::string Feed(const std::string& in, const Result<std::string>& result = std::string("Q1")) {
    session.Receive(in);
    std::string out;
    for (;;) {
      const SmtpSession::Next n = session.Process(&out);
      if (n == SmtpSession::Next::kDeliver) {
        messages.push_back(session.TakeMessage());
        session.Delivered(result, &out);
        continue;
      }
      if (n == SmtpSession::Next::kClose) closed = true;
      return out;
    }
  }
  SmtpSession session;
  std::vector<std::string> messages;
  bool closed = false;
};

TEST(SmtpSessionTest, PipelinedTransactionInOneRead) {
  Driver d;
  EXPECT_EQ(
      d.Feed("EHLO c\r\nMAIL FROM:<a@b.org> SIZE=10 BODY=8BITMIME\r\n"
             "RCPT TO:<security@example.org>\r\nDATA\r\nSubject: x\r\n\r\n..dot\r\nend\r\n"
             ".\r\nQUIT\r\n"),
      "250-mx\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n"
      "250 ENHANCEDSTATUSCODES\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
      "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as Q1\r\n221 2.0.0 Bye\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0], "Subject: x\r\n\r\n.dot\r\nend\r\n");  // dot-unstuffed
  EXPECT_TRUE(d.closed);
}

TEST(SmtpSessionTest, DataSplitAcrossReadsAtTheTerminator) {
  Driver d;
  d.Feed("HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<security@example.org>\r\nDATA\r\nline\r\n");
  EXPECT_EQ(d.Feed("."), "");
  EXPECT_EQ(d.Feed("\r"), "");
  EXPECT_EQ(d.Feed("\n"), "250 2.0.0 Ok: queued as Q1\r\n");
  EXPECT_EQ(d.messages[0], "line\r\n");
}

TEST(SmtpSessionTest, DeliveryErrorsMapToReplies) {
  Driver d;
  const std::string tx =
      "EHLO c\r\nMAIL FROM:<a@b.org>\r\nRCPT TO:<security@example.org>\r\nDATA\r\nx\r\n.\r\n";
  EXPECT_TRUE(d.Feed(tx, Status::Unavailable("storage failure; try again later"))
                  .ends_with("452 4.3.1 storage failure; try again later\r\n"));
  Driver d1;
  EXPECT_TRUE(d1.Feed(tx, Status::Internal("unexpected")).ends_with("451 4.3.0 unexpected\r\n"));
  Driver d2;
  EXPECT_TRUE(d2.Feed(tx, Status::TooLarge("message header is larger than 65536 bytes"))
                  .ends_with("552 5.3.4 message header is larger than 65536 bytes\r\n"));
  Driver d3;
  EXPECT_TRUE(d3.Feed(tx, Status::Invalid("message contains NUL bytes"))
                  .ends_with("554 5.6.0 message contains NUL bytes\r\n"));
}

TEST(SmtpSessionTest, LmtpAnswersPerRecipientAndRefusesEhlo) {
  Driver d(true);
  EXPECT_EQ(d.Feed("EHLO c\r\n"), "500 5.5.1 this is an LMTP server: use LHLO\r\n");
  const std::string out = d.Feed(
      "LHLO c\r\nMAIL FROM:<a@b.org>\r\nRCPT TO:<security@example.org>\r\n"
      "RCPT TO:<security@example.org>\r\nDATA\r\nx\r\n.\r\n");
  EXPECT_TRUE(out.ends_with("250 2.0.0 Ok: queued as Q1\r\n250 2.0.0 Ok: queued as Q1\r\n"));
}

TEST(SmtpSessionTest, LimitsOnLinesRecipientsAndErrors) {
  SmtpLimits limits;
  limits.max_recipients = 2;
  limits.max_errors = 3;
  limits.max_message_bytes = 100;
  Driver d(false, limits);
  EXPECT_EQ(d.Feed(std::string(3000, 'A')), "500 5.5.2 line too long\r\n");
  EXPECT_EQ(d.Feed("still the long line\r\nEHLO c\r\n").substr(0, 7), "250-mx\r");
  EXPECT_EQ(d.Feed("MAIL FROM:<a@b.org>\r\nRCPT TO:<security@example.org>\r\n"
                   "RCPT TO:<security@example.org>\r\nRCPT TO:<security@example.org>\r\n"),
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 too many recipients\r\n");
  EXPECT_EQ(
      d.Feed("DATA\r\n" + std::string(200, 'x') + "\r\n.\r\n"),
      "354 End data with <CR><LF>.<CR><LF>\r\n552 5.3.4 message is larger than 100 bytes\r\n");
  EXPECT_TRUE(d.messages.empty());
  EXPECT_EQ(d.Feed("RCPT TO:<x@y.org>\r\nFOO\r\n"),
            "503 5.5.1 need MAIL command\r\n500 5.5.2 command not recognized\r\n"
            "421 4.7.0 too many errors, closing connection\r\n");
  EXPECT_TRUE(d.closed);
}

TEST(SmtpSessionTest, SyntaxErrors) {
  Driver d;
  d.Feed("EHLO c\r\n");
  EXPECT_EQ(d.Feed("MAIL FROM:a@b.org\r\n"), "501 5.1.7 bad sender address syntax\r\n");
  EXPECT_EQ(d.Feed("MAIL FROM:<a@b.org> AUTH=x\r\n"), "555 5.5.4 unsupported MAIL parameter\r\n");
  EXPECT_EQ(d.Feed("MAIL FROM:<a@b.org> SIZE=99999999999\r\n"),
            "552 5.3.4 message size exceeds the limit of 10485760 bytes\r\n");
}

}  // namespace
}  // namespace vigil::mail
