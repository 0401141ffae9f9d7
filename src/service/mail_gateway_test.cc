// MailGateway on a SQLite store in a temp folder and a fake clock: what is refused at delivery
// (with the exact reply the client gets) and never stored, what is acknowledged and stored, and
// how each stored message is processed: a new report, a reply threaded into its report, a mail
// from someone not read into the report, a duplicate, a patch and a two-part series, a review
// trailer, a bounce.
#include "service/mail_gateway.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>

#include "service/mail_tags.h"
#include "store/sqlite_store.h"
#include "support/git_sandbox.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

using testing::kT0;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& extra_headers = "") {
  return "From: " + from + "\nTo: security@example.org\nSubject: " + subject +
         "\nDate: Mon, 21 Sep 2026 14:00:00 +0000\n" + extra_headers + "\n" + body;
}

class MailGatewayTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    config_.data_dir = dir_.path();
    config_.mail.local_part = "security";
    config_.mail.domain = "example.org";
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    gateway_ = std::make_unique<MailGateway>(*store_, clock_, config_, *reports_, *patches_,
                                             /*key=*/nullptr);
    ASSERT_TRUE(
        reports_->AddAccount(local_, "alice@example.org", "", AccountRole::kMaintainer, "").ok());
  }
  void TearDown() override {
    gateway_.reset();
    CloseServices();
  }

  Result<std::string> Deliver(const std::string& message,
                              std::vector<std::string> to = {"security@example.org"},
                              const std::string& mail_from = "sender@example.net") {
    mail::Envelope env;
    env.client = "192.0.2.1";
    env.mail_from = mail_from;
    env.recipients = std::move(to);
    return gateway_->Deliver(env, message);
  }
  /// Delivers MESSAGE, processes it and returns its inbox row.
  InboxMail Receive(const std::string& message,
                    std::vector<std::string> to = {"security@example.org"}) {
    Result<std::string> id = Deliver(message, std::move(to));
    EXPECT_TRUE(id.ok()) << id.status().message();
    Result<int> n = gateway_->ProcessPending(10);
    EXPECT_TRUE(n.ok());
    EXPECT_EQ(*n, 1);
    Result<std::optional<InboxMail>> row = store_->FindInboxMail(id.ok() ? *id : "");
    EXPECT_TRUE(row.ok() && row->has_value());
    return row.ok() && row->has_value() ? **row : InboxMail();
  }
  /// A report submitted by mail by Rita, with the given Message-ID.
  std::string ReportByMail(const std::string& message_id = "<report-1@example.net>") {
    InboxMail in = Receive(Mail("Rita R <Rita@Example.net>", "Token leak in the agent",
                                "Run the agent with -v.\n", "Message-ID: " + message_id + "\n"));
    EXPECT_EQ(in.outcome, "new-report");
    return in.report_id;
  }
  size_t InboxSize() { return store_->ListInbox(100)->size(); }
  /// EMAIL's personal reply address on report ID, as Vigil's mail to them carries it.
  std::string ReplyAddress(const std::string& id, const std::string& email) {
    Result<MailTags> tags = MailTags::Load(MailTags::KeyPath(dir_.path()));
    EXPECT_TRUE(tags.ok());
    return tags->ReplyAddress(gateway_->address(), id, email);
  }
  std::string BounceAddress(const std::string& id, int64_t outbox_id, const std::string& email) {
    Result<MailTags> tags = MailTags::Load(MailTags::KeyPath(dir_.path()));
    EXPECT_TRUE(tags.ok());
    return tags->BounceAddress(gateway_->address(), id, outbox_id, email);
  }
  std::vector<ThreadMessage> Thread(const std::string& id) { return *store_->Thread(id); }
  std::vector<std::string> EventKinds(const std::string& id) {
    std::vector<std::string> kinds;
    for (const StoredEvent& e : *store_->Events(id)) kinds.push_back(e.kind);
    return kinds;
  }

  std::unique_ptr<MailGateway> gateway_;
};

TEST_F(MailGatewayTest, OnlyTheSecurityAddressAndItsPlusAddressesAreAccepted) {
  EXPECT_TRUE(gateway_->CheckRecipient("security@example.org").ok());
  EXPECT_TRUE(gateway_->CheckRecipient("Security@Example.ORG").ok());
  // Any well-formed id, so that the reply does not tell which reports exist.
  EXPECT_TRUE(gateway_->CheckRecipient("security+SEC-2099-9999@example.org").ok());
  for (const char* other :
       {"root@example.org", "security@example.net", "security+not-an-id@example.org", ""}) {
    Status st = gateway_->CheckRecipient(other);
    EXPECT_EQ(st.code(), Code::kNotFound) << other;
    EXPECT_EQ(st.message(), "recipient not accepted") << other;
  }
}

TEST_F(MailGatewayTest, DeliveryRefusalsAreExactAndNothingIsStored) {
  config_.mail.max_message_bytes = 2000;
  config_.mail.max_header_bytes = 300;
  const std::string ok = Mail("rita@example.net", "Hello", "body\n");
  struct Case {
    std::string message;
    std::vector<std::string> to;
    Code code;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"", {"security@example.org"}, Code::kInvalidArgument, "message is empty"},
      {ok + std::string(2000, 'x'),
       {"security@example.org"},
       Code::kTooLarge,
       "message is larger than 2000 bytes"},
      {ok + std::string(1, '\0'),
       {"security@example.org"},
       Code::kInvalidArgument,
       "message contains NUL bytes"},
      {Mail("rita@example.net", std::string(300, 's'), "body\n"),
       {"security@example.org"},
       Code::kTooLarge,
       "message header is larger than 300 bytes"},
      {"hello there\n\nbody\n",
       {"security@example.org"},
       Code::kInvalidArgument,
       "message does not start with a header field"},
      {": no name\n\nbody\n",
       {"security@example.org"},
       Code::kInvalidArgument,
       "message does not start with a header field"},
      {ok,
       {"security@example.org", "root@example.org"},
       Code::kInvalidArgument,
       "recipient <root@example.org> not accepted"},
  };
  for (const Case& c : cases) {
    Result<std::string> r = Deliver(c.message, c.to);
    EXPECT_EQ(r.status().code(), c.code) << c.error;
    EXPECT_EQ(r.status().message(), c.error);
  }
  EXPECT_EQ(InboxSize(), 0u);
  // An mbox "From " line is a valid start.
  EXPECT_TRUE(Deliver("From rita@example.net Mon Sep 21 14:00:00 2026\n" + ok).ok());
  EXPECT_EQ(InboxSize(), 1u);
}

TEST_F(MailGatewayTest, EncryptedMailIsRefusedWithoutAProjectKey) {
  const std::string encrypted =
      "From: rita@example.net\nTo: security@example.org\nSubject: secret\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
      "boundary=\"b\"\n\n"
      "--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
      "--b\nContent-Type: application/octet-stream\n\n"
      "-----BEGIN PGP MESSAGE-----\n\nhQEMA1234\n-----END PGP MESSAGE-----\n\n--b--\n";
  Result<std::string> r = Deliver(encrypted);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(r.status().message(), "encrypted mail cannot be read: this server has no OpenPGP key");
  EXPECT_EQ(InboxSize(), 0u);
}

TEST_F(MailGatewayTest, WhatIsAcknowledgedIsStoredRawBeforeItIsProcessed) {
  const std::string message = Mail("Rita <rita@example.net>", "Token leak", "Steps.\r\n");
  Result<std::string> id = Deliver(message, {"security@example.org"}, "bounces@example.net");
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(id->size(), 32u);  // NewMailId: selector and 64 random bits, in hex
  Result<std::optional<InboxMail>> row = store_->FindInboxMail(*id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->raw, message);
  EXPECT_EQ((*row)->state, "stored");
  EXPECT_EQ((*row)->client, "192.0.2.1");
  EXPECT_EQ((*row)->mail_from, "bounces@example.net");
  EXPECT_EQ((*row)->recipients, std::vector<std::string>{"security@example.org"});
  EXPECT_EQ((*row)->received_at, kT0);
  EXPECT_EQ(store_->ListReports(ReportFilter{})->size(), 0u);  // not processed yet

  ASSERT_EQ(*gateway_->ProcessPending(10), 1);
  row = store_->FindInboxMail(*id);
  EXPECT_EQ((*row)->state, "processed");
  EXPECT_EQ((*row)->outcome, "new-report");
  // Processing the same row again does nothing.
  ASSERT_TRUE(gateway_->Process(**row).ok());
  EXPECT_EQ(store_->ListReports(ReportFilter{})->size(), 1u);
  EXPECT_EQ(*gateway_->ProcessPending(10), 0);
}

// RFC 8601 section 5: only the MTA owning [mail] authserv_id may vouch, so a field claiming its
// id is removed from mail that did not come through it ([mail] authserv_relays, LMTP, ingest).
TEST_F(MailGatewayTest, AuthenticationResultsClaimingOurMtaAreRemovedUnlessItRelayedTheMail) {
  config_.mail.authserv_id = "mx.example.org";
  const std::string forged =
      "Authentication-Results: mx.example.org; dmarc=pass header.from=example.org\n";
  const std::string other = "Authentication-Results: elsewhere.example; dkim=pass\n";
  const std::string message = forged + other + Mail("alice@example.org", "Hi", "Text.\n");
  auto stored = [&](const std::string& client, bool lmtp) {
    mail::Envelope env;
    env.client = client;
    env.lmtp = lmtp;
    env.recipients = {"security@example.org"};
    Result<std::string> id = gateway_->Deliver(env, message);
    EXPECT_TRUE(id.ok()) << id.status().message();
    return (*store_->FindInboxMail(id.ok() ? *id : ""))->raw;
  };
  const std::string stripped = other + Mail("alice@example.org", "Hi", "Text.\n");
  EXPECT_EQ(stored("192.0.2.1", false), stripped);  // straight from the internet
  EXPECT_EQ(stored("::ffff:198.51.100.7", false), stripped);
  EXPECT_EQ(stored("127.0.0.1", false), message);  // the MTA relaying on loopback (the default)
  EXPECT_EQ(stored("::1", false), message);
  EXPECT_EQ(stored("192.0.2.1", true), message);  // LMTP is the MTA's
  EXPECT_EQ(stored("ingest", false), message);    // so is `vigil ingest`
  // Listed relays are the MTA's; without an authserv-id nothing is touched.
  config_.mail.authserv_relays = {"192.0.2.0/24"};
  gateway_ = std::make_unique<MailGateway>(*store_, clock_, config_, *reports_, *patches_, nullptr);
  EXPECT_EQ(stored("192.0.2.1", false), message);
  EXPECT_EQ(stored("127.0.0.1", false), stripped);
  config_.mail.authserv_id = "";
  EXPECT_EQ(stored("127.0.0.1", false), message);
}

TEST_F(MailGatewayTest, ANewReportByMail) {
  const std::string id = ReportByMail();
  ASSERT_EQ(id, "SEC-2026-0001");
  Result<Report> r = store_->GetReport(id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kReceived);
  EXPECT_EQ(r->fields.subject, "Token leak in the agent");
  EXPECT_EQ(r->fields.steps, "Run the agent with -v.");
  ASSERT_EQ(r->participants.size(), 1u);
  EXPECT_EQ(r->participants[0].email, "rita@example.net");
  EXPECT_EQ(r->participants[0].name, "Rita R");
  EXPECT_EQ(r->participants[0].role, Role::kReporter);
  // Its Message-ID threads the replies; the reporter is reminded of the embargo.
  EXPECT_EQ(**store_->ReportOfMessageId("report-1@example.net"), id);
  EXPECT_TRUE(*store_->SeenIncoming("report-1@example.net"));
  bool reminded = false;
  for (const OutboxMail& m : *store_->Outbox(id)) {
    reminded |= m.recipient == "rita@example.net";
  }
  EXPECT_TRUE(reminded);
  // Without a subject, and without a usable sender: an anonymous report.
  InboxMail anonymous = Receive("To: security@example.org\nSubject: \n\nSomething is off.\n");
  EXPECT_EQ(anonymous.outcome, "new-report");
  Result<Report> second = store_->GetReport("SEC-2026-0002");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->fields.subject, "(no subject)");
  ASSERT_EQ(second->participants.size(), 1u);  // an anonymous reporter
  EXPECT_EQ(second->participants[0].email, "");
  EXPECT_EQ(second->participants[0].role, Role::kReporter);
}

TEST_F(MailGatewayTest, AttachmentsAreListedInTheReportAndKept) {
  const std::string message =
      "From: rita@example.net\nTo: security@example.org\nSubject: With a capture\n"
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
      "--b\nContent-Type: text/plain\n\nSee the capture.\n"
      "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"log.txt\"\n\n"
      "0123456789\n--b--\n";
  InboxMail in = Receive(message);
  ASSERT_EQ(in.outcome, "new-report");
  Result<Report> r = store_->GetReport(in.report_id);
  ASSERT_TRUE(r.ok());
  // The line break before a boundary belongs to the boundary (RFC 2046 5.1.1).
  EXPECT_EQ(r->fields.steps, "See the capture.\n[attachment: log.txt, text/plain, 10 bytes]")
      << r->fields.steps;
  Result<std::vector<MailAttachment>> kept = store_->MailAttachments(in.id);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].filename, "log.txt");
  EXPECT_EQ((*kept)[0].data, "0123456789");
}

TEST_F(MailGatewayTest, RepliesThroughAPersonalReplyAddressAreThreadedAndRelayed) {
  const std::string id = ReportByMail();
  const std::string rita = ReplyAddress(id, "rita@example.net");
  EXPECT_TRUE(rita.starts_with("security+" + id + ".")) << rita;
  InboxMail first = Receive(Mail("rita@example.net", "Re: Token leak", "More details.\n",
                                 "In-Reply-To: <report-1@example.net>\n"
                                 "Message-ID: <reply-1@example.net>\n"),
                            {rita});
  EXPECT_EQ(first.outcome, "reply");
  EXPECT_EQ(first.report_id, id);
  // The tag is the proof, whatever the From: says; the address is case-insensitive.
  InboxMail upper = Receive(Mail("Rita <rita@elsewhere.example>", "Another note", "Also on 1.0.\n"),
                            {Upper(rita)});
  EXPECT_EQ(upper.outcome, "reply");
  InboxMail empty = Receive(Mail("rita@example.net", "[" + id + "] nothing", "\n"), {rita});
  EXPECT_EQ(empty.outcome, "reply");

  const std::vector<ThreadMessage> thread = Thread(id);
  ASSERT_EQ(thread.size(), 3u);
  EXPECT_EQ(thread[0].body, "More details.");
  EXPECT_EQ(thread[0].author_email, "rita@example.net");
  EXPECT_EQ(thread[0].author_role, "reporter");
  EXPECT_EQ(thread[1].author_email, "rita@example.net");
  EXPECT_EQ(thread[2].body, "(empty message)");
  EXPECT_EQ(**store_->ReportOfMessageId("reply-1@example.net"), id);
  EXPECT_EQ(store_->ListReports(ReportFilter{})->size(), 1u);
  std::vector<std::string> proofs;
  for (const StoredEvent& e : *store_->Events(id)) {
    if (e.kind == "mail.proven") proofs.push_back(e.payload);
  }
  ASSERT_EQ(proofs.size(), 3u);
  EXPECT_NE(proofs[0].find(R"("sender":"rita@example.net","proof":"reply-address")"),
            std::string::npos)
      << proofs[0];
}

// Threat M8c: a From: anyone can write gives no role. Forged as the coordinator, by thread, by
// plus-address or by subject tag: kept in the thread as unverified, relayed to nobody, shown
// only to those who triage, until a coordinator releases it.
TEST_F(MailGatewayTest, AForgedFromIsHeldUnverifiedAndRelayedToNobody) {
  const std::string id = ReportByMail();
  ASSERT_TRUE(reports_->Invite(local_, id, "carol@example.com", "", Role::kCollaborator).ok());
  const size_t outbox_before = store_->Outbox(id)->size();
  InboxMail by_thread = Receive(Mail("alice@example.org", "Re: Token leak", "Run this PoC.\n",
                                     "In-Reply-To: <report-1@example.net>\n"));
  InboxMail by_address =
      Receive(Mail("rita@example.net", "Note", "Also.\n"), {"security+" + id + "@example.org"});
  InboxMail by_tag = Receive(Mail("mallory@example.com", "[" + id + "] hi", "Hello.\n"));
  // A tag that is not a participant's (made up, or another report's) proves nothing either.
  InboxMail bad_tag = Receive(Mail("rita@example.net", "Note", "Tagged.\n"),
                              {"security+" + id + ".aaaaaaaaaaaaaaaaaaaa@example.org"});
  for (const InboxMail& in : {by_thread, by_address, by_tag, bad_tag}) {
    EXPECT_EQ(in.outcome, "held: unverified sender");
    EXPECT_EQ(in.report_id, id);
  }
  EXPECT_EQ(store_->Outbox(id)->size(), outbox_before);  // relayed to nobody
  EXPECT_EQ(store_->ListReports(ReportFilter{})->size(), 1u);
  const std::vector<ThreadMessage> thread = Thread(id);
  ASSERT_EQ(thread.size(), 4u);
  EXPECT_EQ(thread[0].author_email, "alice@example.org");
  EXPECT_EQ(thread[0].author_role, "unverified");
  const StoredEvent held = (*store_->Events(id))[store_->Events(id)->size() - 4];
  EXPECT_EQ(held.kind, "message.held");
  EXPECT_EQ(held.actor, "unverified:alice@example.org");
  EXPECT_NE(held.payload.find("not sent to a personal reply address"), std::string::npos);

  // Those who triage see it; the reporter and a collaborator do not.
  Principal rita{Principal::Kind::kCapability, "rita@example.net", AccountRole::kMember, id};
  Principal carol{Principal::Kind::kCapability, "carol@example.com", AccountRole::kMember, id};
  Principal alice{Principal::Kind::kAccount, "alice@example.org", AccountRole::kMaintainer};
  EXPECT_EQ(reports_->Thread(alice, id)->size(), 4u);
  EXPECT_TRUE(reports_->Thread(rita, id)->empty());
  EXPECT_TRUE(reports_->Thread(carol, id)->empty());

  // Nor does search tell anyone what it says.
  EXPECT_TRUE(store_->SearchReports("PoC", {})->empty());
  EXPECT_TRUE(store_->SearchReports("Hello", {})->empty());
  // Released: posted by the coordinator, quoted, to everyone; once.
  Result<ThreadMessage> released = reports_->ReleaseMessage(alice, id, thread[2].seq);
  ASSERT_TRUE(released.ok()) << released.status().message();
  EXPECT_EQ(released->body,
            "Released by alice@example.org from an unverified sender, mallory@example.com:\n\n"
            "Hello.");
  EXPECT_EQ(store_->Outbox(id)->size(), outbox_before + 2);  // rita and carol
  EXPECT_EQ(reports_->Thread(rita, id)->size(), 1u);
  EXPECT_EQ(store_->SearchReports("Hello", {})->size(), 1u);  // as released
  EXPECT_TRUE(store_->SearchReports("PoC", {})->empty());
  EXPECT_EQ(reports_->ReleaseMessage(alice, id, thread[2].seq).status().message(),
            "message 3 of " + id + " is already released");
  EXPECT_EQ(reports_->ReleaseMessage(alice, id, released->seq).status().message(),
            "message 5 of " + id + " is not held: only mail from an unverified sender is released");
  EXPECT_EQ(reports_->ReleaseMessage(alice, id, 99).status().message(),
            "message 99 of " + id + " not found");
}

// A reply address binds the report and the person: removed from the report, it proves nothing.
TEST_F(MailGatewayTest, AReplyAddressIsRevokedWithItsParticipant) {
  const std::string id = ReportByMail();
  ASSERT_TRUE(reports_->Invite(local_, id, "carol@example.com", "", Role::kCollaborator).ok());
  const std::string carol = ReplyAddress(id, "carol@example.com");
  EXPECT_EQ(Receive(Mail("carol@example.com", "Re", "One.\n"), {carol}).outcome, "reply");
  ASSERT_TRUE(reports_->RemoveParticipant(local_, id, "carol@example.com").ok());
  EXPECT_EQ(Receive(Mail("carol@example.com", "Re", "Two.\n"), {carol}).outcome,
            "held: unverified sender");
  // Another report's address for the same person is not this report's.
  const std::string other = ReportByMail("<report-2@example.net>");
  EXPECT_EQ(Receive(Mail("rita@example.net", "Re", "Three.\n"),
                    {"security+" + other + "." +
                     ReplyAddress(id, "rita@example.net")
                         .substr(std::string("security+").size() + id.size() + 1)})
                .outcome,
            "held: unverified sender");
}

// The MTA's word: the topmost Authentication-Results of [mail] authserv_id with dmarc=pass for
// the From: domain proves the From: (the mail came through that MTA, here by LMTP).
TEST_F(MailGatewayTest, AnAuthenticatedFromThroughOurMtaIsProven) {
  config_.mail.authserv_id = "mx.example.org";
  gateway_ = std::make_unique<MailGateway>(*store_, clock_, config_, *reports_, *patches_, nullptr);
  const std::string id = ReportByMail();
  auto receive = [&](const std::string& message) {
    mail::Envelope env;
    env.client = "192.0.2.1";
    env.lmtp = true;
    env.recipients = {"security+" + id + "@example.org"};
    Result<std::string> in = gateway_->Deliver(env, message);
    EXPECT_TRUE(in.ok());
    EXPECT_EQ(*gateway_->ProcessPending(10), 1);
    return (*store_->FindInboxMail(in.ok() ? *in : ""))->outcome;
  };
  EXPECT_EQ(receive("Authentication-Results: mx.example.org; dmarc=pass header.from=example.org\n" +
                    Mail("alice@example.org", "Looking", "On it.\n")),
            "reply");
  // Only the topmost field counts: a forged lower one under the MTA's own fail is ignored.
  EXPECT_EQ(receive("Authentication-Results: mx.example.org; dmarc=fail header.from=example.org\n"
                    "Authentication-Results: mx.example.org; dmarc=pass header.from=example.org\n" +
                    Mail("alice@example.org", "Forged", "Approve.\n")),
            "held: unverified sender");
  // A pass for another domain than the From:'s.
  EXPECT_EQ(receive("Authentication-Results: mx.example.org; dmarc=pass header.from=example.com\n" +
                    Mail("alice@example.org", "Forged", "Approve.\n")),
            "held: unverified sender");
}

TEST_F(MailGatewayTest, TheSameMailDeliveredTwiceIsProcessedOnce) {
  const std::string message =
      Mail("rita@example.net", "Token leak", "Steps.\n", "Message-ID: <same@example.net>\n");
  InboxMail first = Receive(message);
  InboxMail second = Receive(message);
  EXPECT_EQ(first.outcome, "new-report");
  EXPECT_EQ(second.outcome, "duplicate");
  EXPECT_EQ(second.report_id, "");
  EXPECT_EQ(store_->ListReports(ReportFilter{})->size(), 1u);
}

class MailGatewayPatchTest : public MailGatewayTest {
 protected:
  void SetUp() override {
    MailGatewayTest::SetUp();
    ASSERT_TRUE(git_.ok());
    ASSERT_EQ(git_.Git({"init", "-q", "-b", "master"}), "");
    std::string lines;
    for (int i = 1; i <= 30; ++i) lines += "line " + std::to_string(i) + "\n";
    git_.Write("a.c", lines);
    git_.Git({"add", "-A"});
    git_.Git({"commit", "-q", "-m", "base"});
    id_ = ReportByMail();
    ASSERT_TRUE(reports_->Invite(local_, id_, "author@example.com", "", Role::kCollaborator).ok());
  }
  /// `git format-patch --stdout ARGS` of commits changing lines N of a.c, each "From:" the
  /// sandbox's author; the commits are dropped.
  std::string PatchMails(const std::vector<int>& lines, std::vector<std::string> args = {}) {
    git_.Git({"checkout", "-q", "--detach", "master"});
    for (int n : lines) {
      std::string content = patch::GitSandbox::ReadFile(git_.dir() + "/a.c");
      const std::string from = "line " + std::to_string(n) + "\n";
      content.replace(content.find(from), from.size(), "line " + std::to_string(n) + " fixed\n");
      git_.Write("a.c", content);
      git_.Git({"add", "-A"});
      git_.Git({"commit", "-q", "-m", "a: fix line " + std::to_string(n)});
    }
    args.insert(args.begin(), {"format-patch", "--stdout", "-" + std::to_string(lines.size())});
    int code = 0;
    std::string out = git_.Git(args, {}, &code);
    EXPECT_EQ(code, 0);
    git_.Git({"checkout", "-q", "master"});
    return out.substr(out.find('\n') + 1);  // as delivered: without the mbox "From " line
  }
  /// MAIL with a Message-ID header ID added.
  static std::string WithMessageId(std::string mail, const std::string& id) {
    mail.insert(mail.find("Subject:"), "Message-ID: " + id + "\n");
    return mail;
  }
  /// The mails of a format-patch mbox (its first "From " line already cut), as delivered.
  static std::vector<std::string> Split(const std::string& mbox) {
    const std::string separator = " Mon Sep 17 00:00:00 2001\n";
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t at = mbox.find(separator); at != std::string::npos;
         at = mbox.find(separator, at + 1)) {
      const size_t line = mbox.rfind("\nFrom ", at) + 1;
      out.push_back(mbox.substr(start, line - start));
      start = at + separator.size();
    }
    out.push_back(mbox.substr(start));
    return out;
  }

  patch::GitSandbox git_;
  std::string id_;
};

TEST_F(MailGatewayPatchTest, APatchMailBecomesARevisionAndAThreadMessage) {
  const std::string mail = WithMessageId(PatchMails({5}), "<p1@example.com>");
  // Not through the author's reply address: held, no revision.
  InboxMail forged = Receive(WithMessageId(PatchMails({7}), "<p0@example.com>"),
                             {"security+" + id_ + "@example.org"});
  EXPECT_EQ(forged.outcome, "held: unverified sender");
  EXPECT_TRUE(store_->PatchRevisions(id_)->empty());
  EXPECT_TRUE(store_->MailPatches(id_)->empty());
  InboxMail in = Receive(mail, {ReplyAddress(id_, "author@example.com")});
  EXPECT_EQ(in.outcome, "patch");
  EXPECT_EQ(in.report_id, id_);
  Result<std::vector<PatchRevision>> revisions = store_->PatchRevisions(id_);
  ASSERT_TRUE(revisions.ok());
  ASSERT_EQ(revisions->size(), 1u) << Thread(id_).back().body;
  EXPECT_EQ((*revisions)[0].Name(), "s1v1");
  EXPECT_EQ((*revisions)[0].submitter, "author@example.com");
  const std::vector<ThreadMessage> thread = Thread(id_);
  ASSERT_EQ(thread.size(), 2u);
  EXPECT_TRUE(thread[1].body.starts_with(
      "[PATCH v1 1/1] a: fix line 5\nAuthor: A U Thor <author@example.com>\nPatch-Id: "))
      << thread[1].body;
  EXPECT_NE(thread[1].body.find("\nSeries: revision s1v1\n"), std::string::npos);
  // One "---" line between the message and the diffstat, as in the mail (not two).
  EXPECT_EQ(thread[1].body.find("---\n---"), std::string::npos) << thread[1].body;
  EXPECT_NE(thread[1].body.find("a: fix line 5\n---\n a.c | 2 +-"), std::string::npos)
      << thread[1].body;
  const std::vector<std::string> kinds = EventKinds(id_);
  EXPECT_EQ(kinds.back(), "patch.mailed");
  Result<std::vector<MailPatch>> rows = store_->MailPatches(id_);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].sender, "author@example.com");
  EXPECT_EQ((*rows)[0].patch_id.size(), 40u);
}

TEST_F(MailGatewayPatchTest, ASeriesIsSubmittedOnceEveryPartHasArrived) {
  const std::vector<std::string> parts =
      Split(PatchMails({5, 9}, {"--thread", "--in-reply-to=<report-1@example.net>"}));
  ASSERT_EQ(parts.size(), 2u);
  const std::string author = ReplyAddress(id_, "author@example.com");
  InboxMail second = Receive(parts[1], {author});
  EXPECT_EQ(second.outcome, "patch");
  EXPECT_TRUE(store_->PatchRevisions(id_)->empty());
  EXPECT_NE(Thread(id_).back().body.find("\nSeries: part 2 of 2; waiting for the others\n"),
            std::string::npos)
      << Thread(id_).back().body;
  InboxMail first = Receive(parts[0], {author});
  EXPECT_EQ(first.outcome, "patch");
  Result<std::vector<PatchRevision>> revisions = store_->PatchRevisions(id_);
  ASSERT_EQ(revisions->size(), 1u);
  EXPECT_EQ((*revisions)[0].patches.size(), 2u);
  EXPECT_NE(Thread(id_).back().body.find("\nSeries: revision s1v1\n"), std::string::npos);
}

TEST_F(MailGatewayPatchTest, AReviewTrailerCountsOnlyFromAProvenMaintainer) {
  Receive(WithMessageId(PatchMails({5}), "<p1@example.com>"),
          {ReplyAddress(id_, "author@example.com")});
  const std::string review = "Looks right.\n\nReviewed-by: Alice <alice@example.org>\n";
  // With a From: nobody vouches for, the trailer is not even read: held.
  InboxMail forged = Receive(Mail("alice@example.org", "Re: [PATCH] a: fix line 5", review,
                                  "In-Reply-To: <p1@example.com>\n"));
  EXPECT_EQ(forged.outcome, "held: unverified sender");
  EXPECT_TRUE((*store_->PatchRevisions(id_))[0].approvals.empty());
  // The collaborator, proven by their reply address, is not a maintainer.
  InboxMail collaborator = Receive(
      Mail("author@example.com", "Re: [PATCH] a: fix line 5",
           "Reviewed-by: A U Thor <author@example.com>\n", "In-Reply-To: <p1@example.com>\n"),
      {ReplyAddress(id_, "author@example.com")});
  EXPECT_EQ(collaborator.outcome, "reply");
  EXPECT_EQ(store_->Events(id_)->back().payload,
            R"j({"trailer":"Reviewed-by: A U Thor <author@example.com>",)j"
            R"j("sender":"author@example.com","proof":"reply-address","counted":false,)j"
            R"j("revision":"s1v1","why":"the sender is not a maintainer"})j");
  // Alice, a maintainer on the report, through her reply address: counted.
  ASSERT_TRUE(reports_->Invite(local_, id_, "alice@example.org", "", Role::kMaintainer).ok());
  InboxMail proven = Receive(Mail("alice@example.org", "Re: [PATCH] a: fix line 5", review,
                                  "In-Reply-To: <p1@example.com>\n"),
                             {ReplyAddress(id_, "alice@example.org")});
  EXPECT_EQ(proven.outcome, "reply");
  EXPECT_EQ(store_->Events(id_)->back().kind, "patch.review");
  ASSERT_EQ((*store_->PatchRevisions(id_))[0].approvals.size(), 1u);
}

std::string Dsn(const std::string& id, const std::string& failed) {
  return "From: MAILER-DAEMON@example.net\nTo: security@example.org\n"
         "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
         "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
         "--b\nContent-Type: text/plain\n\nYour mail could not be delivered.\n"
         "--b\nContent-Type: message/delivery-status\n\n"
         "Reporting-MTA: dns; mx.example.net\n\n"
         "Final-Recipient: rfc822; " +
         failed +
         "\nAction: failed\nStatus: 5.1.1\n\n"
         "--b\nContent-Type: text/rfc822-headers\n\n"
         "Message-ID: <out-1@example.org>\nSubject: [" +
         id + "] Embargo reminder\n\n--b--\n";
}

// Threat M8d: only a delivery-status report to the bounce address of one of Vigil's messages,
// naming that message's recipient, marks a participant bouncing.
TEST_F(MailGatewayTest, OnlyABounceOfOurOwnMessageMarksItsRecipient) {
  const std::string id = ReportByMail();
  ASSERT_TRUE(reports_->Invite(local_, id, "carol@example.com", "", Role::kCollaborator).ok());
  auto bounce = [&](const std::string& to, const std::string& failed) {
    mail::Envelope env;
    env.client = "192.0.2.1";
    env.mail_from = "";
    env.recipients = {to};
    Result<std::string> in = gateway_->Deliver(env, Dsn(id, failed));
    EXPECT_TRUE(in.ok());
    EXPECT_EQ(*gateway_->ProcessPending(10), 1);
    return (*store_->FindInboxMail(in.ok() ? *in : ""))->outcome;
  };
  auto bouncing = [&](const std::string& email) {
    return store_->GetReport(id)->FindParticipant(email)->bouncing;
  };
  // Forged: to the report's plus-address, to the bare address, to a made-up bounce address, or
  // to carol's bounce address naming rita.
  EXPECT_EQ(bounce("security+" + id + "@example.org", "rita@example.net"),
            "bounce: not to a bounce address of ours; ignored");
  EXPECT_EQ(bounce("security@example.org", "rita@example.net"),
            "bounce: not to a bounce address of ours; ignored");
  EXPECT_EQ(bounce("security+" + id + ".b7.aaaaaaaaaaaaaaaaaaaa@example.org", "rita@example.net"),
            "bounce: the failed recipient is not the one message 7 went to; ignored");
  EXPECT_EQ(bounce(BounceAddress(id, 7, "carol@example.com"), "rita@example.net"),
            "bounce: the failed recipient is not the one message 7 went to; ignored");
  EXPECT_FALSE(bouncing("rita@example.net"));
  // The real one.
  EXPECT_EQ(bounce(BounceAddress(id, 7, "rita@example.net"), "Rita@Example.net"), "bounce");
  EXPECT_TRUE(bouncing("rita@example.net"));
  EXPECT_FALSE(bouncing("carol@example.com"));
  EXPECT_EQ(store_->Events(id)->back().kind, "participant.bouncing");
  EXPECT_EQ(store_->Events(id)->back().payload, R"({"emails":["rita@example.net"],"outbox_id":7})");
  // Cleared by her mail through her reply address (her mailbox works)...
  EXPECT_EQ(Receive(Mail("rita@example.net", "Re", "I am back.\n"),
                    {ReplyAddress(id, "rita@example.net")})
                .outcome,
            "reply");
  EXPECT_FALSE(bouncing("rita@example.net"));
  EXPECT_EQ(store_->Events(id)->back().kind, "participant.bouncing-cleared");
  // ... or by the coordinator.
  EXPECT_EQ(bounce(BounceAddress(id, 8, "carol@example.com"), "carol@example.com"), "bounce");
  EXPECT_TRUE(bouncing("carol@example.com"));
  ASSERT_TRUE(reports_->ClearBouncing(local_, id, "Carol@example.com").ok());
  EXPECT_FALSE(bouncing("carol@example.com"));
  EXPECT_EQ(reports_->ClearBouncing(local_, id, "carol@example.com").status().message(),
            "cannot clear the bounce mark of carol@example.com on " + id +
                ": they are not marked bouncing");
  EXPECT_EQ(reports_->ClearBouncing(local_, id, "nobody@example.com").status().message(),
            "cannot clear the bounce mark of nobody@example.com on " + id +
                ": they are not a participant");
}

}  // namespace
}  // namespace vigil
