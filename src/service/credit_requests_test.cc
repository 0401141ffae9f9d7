// Credit requests on a SQLite store in a temp folder with a fake clock: the approval that
// completes a revision asks each of its authors once, by a mail that carries nothing of the
// report and holds the credit link sealed until it goes out; the link opens its one credit, is
// refused altered, under another key or expired; the answer is recorded and audited.
#include "service/credit_requests.h"

#include <gtest/gtest.h>

#include <memory>

#include "service/credit_link.h"
#include "service/mail_admin_service.h"
#include "service/mail_sender.h"
#include "service/patch_revision_source.h"
#include "service/sealed_link.h"
#include "support/quoted_printable.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

using testing::kT0;

constexpr char kSecret[] = "SECRET-STEPS: send 70000 bytes to port 9";

std::string PatchMail(const std::string& from, const std::string& line) {
  return "From 1234567890123456789012345678901234567890 Mon Sep 17 00:00:00 2001\n"
         "From: " +
         from +
         "\n"
         "Date: Tue, 3 Mar 2026 10:00:00 +0000\n"
         "Subject: [PATCH] Bound the header length\n\n"
         "---\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
         "diff --git a/a.c b/a.c\nindex 1111111..2222222 100644\n--- a/a.c\n+++ b/a.c\n"
         "@@ -1 +1 @@\n-int a;\n+" +
         line + "\n-- \n2.39.2\n";
}

class CreditRequestsTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    config_.project_name = "Widget";
    config_.public_url = "https://vigil.widget.example";
    config_.approvals_required = {2, 2, 2, 2, 2, 2, 2};
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    Result<std::string> key = LoadOrCreateTotpKey(config_.TotpKeyPath());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    box_ = std::make_unique<TotpSecretBox>(*key);
    reports_ = std::make_unique<ReportService>(*store_, clock_, config_, box_.get());
    approved_ = std::make_unique<PatchRevisionSource>(*store_, config_);
    advisories_ = std::make_unique<AdvisoryService>(*store_, clock_, config_, *approved_);
    requests_ = std::make_unique<CreditRequests>(*advisories_, clock_, config_, *box_);
    patches_ = std::make_unique<PatchService>(
        *store_, clock_, config_,
        [this](const Principal& actor, const Report& report, const PatchRevision& revision,
               WriteBatch& batch) {
          return requests_->AddToApproval(actor, report, revision, batch);
        });
    for (const char* email : {"alice@example.org", "bob@example.org", "carol@example.org"}) {
      ASSERT_TRUE(reports_->AddAccount(local_, email, "", AccountRole::kMaintainer, "").ok());
    }
    SubmitRequest req;
    req.fields.subject = "Heap overflow in parse_header";
    req.fields.steps = kSecret;
    req.reporter_email = "rita@example.org";
    Result<Submitted> s = reports_->Submit(Principal{}, req);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    id_ = s->id;
    ASSERT_TRUE(reports_->Assign(local_, id_, "alice@example.org").ok());
    ASSERT_TRUE(reports_->Confirm(local_, id_).ok());
    ASSERT_TRUE(reports_->Classify(local_, id_, 1).ok());
  }
  void TearDown() override {
    patches_.reset();
    requests_.reset();
    advisories_.reset();
    CloseServices();
  }

  std::vector<OutboxMail> Requests() {
    std::vector<OutboxMail> out;
    for (const OutboxEntry& e : *store_->ListOutbox(OutboxQuery{})) {
      if (e.mail.kind == "credit-request") out.push_back(e.mail);
    }
    return out;
  }
  const DraftCredit* FixCredit(const AdvisoryDraft& d, const std::string& email) {
    for (const DraftCredit& c : d.credits) {
      if (c.type == advisory::CreditType::kRemediationDeveloper && c.email == email) return &c;
    }
    return nullptr;
  }
  /// Fiona's patch as revision s1v1, approved by Alice and Bob (the two approvals it needs).
  void ApproveFionasFix() {
    ASSERT_TRUE(patches_
                    ->SubmitSeries(local_, id_,
                                   PatchMail("Fiona Fixer <fiona@example.com>", "int a = 0;"), {})
                    .ok());
    ASSERT_TRUE(patches_->Approve(local_, id_, "s1v1", "alice@example.org").ok());
    ASSERT_TRUE(patches_->Approve(local_, id_, "s1v1", "bob@example.org").ok());
  }
  /// The token of the one sealed link in BODY (a credit request's), opened as the sender does.
  std::string TokenIn(const OutboxMail& m) {
    Result<std::string> opened = OpenSealedLinks(*box_, m.report_id, m.recipient, m.body);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    const size_t at = opened->find(kCreditLinkPrefix);
    return at == std::string::npos ? "" : opened->substr(at, opened->find('\n', at) - at);
  }

  std::unique_ptr<TotpSecretBox> box_;
  std::unique_ptr<PatchRevisionSource> approved_;
  std::unique_ptr<AdvisoryService> advisories_;
  std::unique_ptr<CreditRequests> requests_;
  std::string id_;
};

TEST_F(CreditRequestsTest, TheApprovalThatCompletesARevisionAsksItsAuthorOnce) {
  ASSERT_TRUE(patches_
                  ->SubmitSeries(local_, id_,
                                 PatchMail("Fiona Fixer <Fiona@Example.com>", "int a = 0;"), {})
                  .ok());
  // One of two approvals: nobody is asked yet.
  ASSERT_TRUE(patches_->Approve(local_, id_, "s1v1", "alice@example.org").ok());
  EXPECT_TRUE(Requests().empty());
  ASSERT_TRUE(patches_->Approve(local_, id_, "s1v1", "bob@example.org").ok());
  std::vector<OutboxMail> asked = Requests();
  ASSERT_EQ(asked.size(), 1u);
  const OutboxMail& m = asked[0];
  EXPECT_EQ(m.recipient, "fiona@example.com");
  EXPECT_EQ(m.report_id, id_);  // Fiona is not a participant: the mail is about her credit only
  EXPECT_EQ(m.subject, "How should Widget credit your fix?");
  // Nothing of the report but its id; the link waits sealed.
  EXPECT_EQ(m.body.find("parse_header"), std::string::npos);
  EXPECT_EQ(m.body.find("SECRET"), std::string::npos);
  EXPECT_NE(m.body.find("security report " + id_ + "."), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("be named (as \"Fiona Fixer\", or by another name you give)"),
            std::string::npos)
      << m.body;
  EXPECT_EQ(m.body.find(kCreditLinkPrefix), std::string::npos);
  EXPECT_NE(m.body.find("    https://vigil.widget.example/credit/vigil-sealed-link:v1:"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("works until " + FormatUtc(kT0 + kCreditLinkDays * kMicrosPerDay)),
            std::string::npos);

  Result<AdvisoryDraft> d = advisories_->Draft(id_);
  ASSERT_TRUE(d.ok());
  const DraftCredit* c = FixCredit(*d, "fiona@example.com");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "Fiona Fixer");
  EXPECT_EQ(c->consent, CreditConsent::kPending);
  EXPECT_EQ(c->asked_at, kT0);
  EXPECT_EQ(c->source, "patch-author");
  bool audited = false;
  for (const StoredEvent& e : *store_->Events(id_)) {
    if (e.kind == "credit.requested") {
      audited = true;
      EXPECT_EQ(e.actor, "cli:root");
      EXPECT_EQ(e.payload, R"({"revision":"s1v1","emails":["fiona@example.com"]})");
    }
  }
  EXPECT_TRUE(audited);

  // A new revision by the same author, approved again: asked already, not asked twice.
  PatchSubmitOptions same;
  same.series = 1;
  ASSERT_TRUE(patches_
                  ->SubmitSeries(local_, id_,
                                 PatchMail("Fiona Fixer <fiona@example.com>", "int a = 1;"), same)
                  .ok());
  ASSERT_TRUE(patches_->Approve(local_, id_, "s1v2", "alice@example.org").ok());
  ASSERT_TRUE(patches_->Approve(local_, id_, "s1v2", "carol@example.org").ok());
  EXPECT_EQ(Requests().size(), 1u);
}

TEST_F(CreditRequestsTest, AnAnsweredCreditIsNotAsked) {
  // The coordinator recorded Fiona's answer before the approval.
  DraftCredit known;
  known.email = "fiona@example.com";
  known.name = "F. Fixer";
  known.type = advisory::CreditType::kRemediationDeveloper;
  known.consent = CreditConsent::kAnonymous;
  ASSERT_TRUE(advisories_->SetCredit(local_, id_, known).ok());
  ASSERT_NO_FATAL_FAILURE(ApproveFionasFix());
  EXPECT_TRUE(Requests().empty());
  Result<AdvisoryDraft> d = advisories_->Draft(id_);
  EXPECT_EQ(FixCredit(*d, "fiona@example.com")->consent, CreditConsent::kAnonymous);
  EXPECT_EQ(FixCredit(*d, "fiona@example.com")->asked_at, 0);
}

TEST_F(CreditRequestsTest, TheLinkOpensItsOneCreditAndIsRefusedAlteredForeignOrExpired) {
  ASSERT_NO_FATAL_FAILURE(ApproveFionasFix());
  ASSERT_EQ(Requests().size(), 1u);
  const std::string token = TokenIn(Requests()[0]);
  ASSERT_TRUE(token.starts_with(kCreditLinkPrefix)) << token;
  EXPECT_LE(token.size(), kMaxCreditLinkBytes);

  // Only as a link's path: not an API bearer token.
  EXPECT_EQ(reports_->Authenticate(token).status().code(), Code::kUnauthenticated);
  Result<Principal> p = reports_->Authenticate(token, CredentialSource::kPath);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->kind, Principal::Kind::kCreditLink);
  EXPECT_EQ(p->report_id, id_);
  EXPECT_EQ(p->email, "fiona@example.com");
  EXPECT_TRUE(reports_->Authorize(*p, Action::kConsent, id_).ok());
  EXPECT_EQ(reports_->Authorize(*p, Action::kRead, id_).message(), "report " + id_ + " not found");

  // Altered anywhere, or made with another key: not a link at all.
  for (size_t at : {kCreditLinkPrefix.size(), token.size() / 2, token.size() - 1}) {
    std::string altered = token;
    altered[at] = altered[at] == 'A' ? 'B' : 'A';
    EXPECT_EQ(reports_->Authenticate(altered, CredentialSource::kPath).status().message(),
              "invalid credentials");
  }
  const TotpSecretBox other(std::string(TotpSecretBox::kKeyBytes, '\x01'));
  const std::string foreign =
      MakeCreditLinkToken(other, {id_, "fiona@example.com", kT0 + kMicrosPerDay});
  EXPECT_EQ(reports_->Authenticate(foreign, CredentialSource::kPath).status().message(),
            "invalid credentials");
  EXPECT_FALSE(ReadCreditLinkToken(*box_, std::string(kCreditLinkPrefix) + "====").has_value());
  EXPECT_FALSE(ReadCreditLinkToken(*box_, token + std::string(kMaxCreditLinkBytes, 'A')));
  // A sealed outbox link is no credit link either (its own associated data).
  EXPECT_FALSE(ReadCreditLinkToken(*box_, SealLink(*box_, id_, "fiona@example.com", token)));

  // The answer: named, by the name the author gives; audited as the link.
  Result<AdvisoryDraft> d =
      advisories_->AnswerCreditRequest(*p, CreditConsent::kNamed, "  Fiona F.  ");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(FixCredit(*d, "fiona@example.com")->name, "Fiona F.");
  EXPECT_EQ(FixCredit(*d, "fiona@example.com")->consent, CreditConsent::kNamed);
  EXPECT_EQ(store_->Events(id_)->back().actor, "credit-link:" + id_ + "/fiona@example.com");
  EXPECT_EQ(advisories_->AnswerCreditRequest(*p, CreditConsent::kPending, "").status().message(),
            "choose how to be credited: named, anonymous or not at all");
  EXPECT_EQ(advisories_->AnswerCreditRequest(*p, CreditConsent::kNamed, "a\nb").status().message(),
            "advisory credit name must be text without control characters or line breaks");
  EXPECT_EQ(
      advisories_->AnswerCreditRequest(*p, CreditConsent::kNamed, "\xff\xfe").status().message(),
      "advisory credit name is not valid UTF-8");
  ASSERT_TRUE(advisories_->AnswerCreditRequest(*p, CreditConsent::kDeclined, "").ok());
  d = advisories_->Draft(id_);
  EXPECT_EQ(FixCredit(*d, "fiona@example.com")->consent, CreditConsent::kDeclined);
  EXPECT_EQ(FixCredit(*d, "fiona@example.com")->name, "Fiona F.");
  // Someone else's address on the same report has no fix-author credit.
  Principal stranger = *p;
  stranger.email = "rita@example.org";
  EXPECT_EQ(
      advisories_->AnswerCreditRequest(stranger, CreditConsent::kNamed, "Rita").status().message(),
      "there is no fix-author credit for rita@example.org on " + id_ +
          " any more; write to the security team");

  // Expired: the holder is told when, and nothing else.
  clock_.Advance(kCreditLinkDays * kMicrosPerDay);
  Result<Principal> late = reports_->Authenticate(token, CredentialSource::kPath);
  EXPECT_EQ(late.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(late.status().message(), "this credit link expired on " +
                                         FormatUtc(kT0 + kCreditLinkDays * kMicrosPerDay) +
                                         "; ask the security team of Widget for a new one");
}

TEST_F(CreditRequestsTest, TheRequestGoesOutWithItsLinkOpenedAndIsShownWithout) {
  ASSERT_NO_FATAL_FAILURE(ApproveFionasFix());
  std::vector<OutboxMail> asked = Requests();
  ASSERT_EQ(asked.size(), 1u);
  const std::string token = TokenIn(asked[0]);

  MailAdminService admin(*store_, clock_);
  Result<ShownMail> shown = admin.Show(config_, asked[0].id, "");
  ASSERT_TRUE(shown.ok()) << shown.status().ToString();
  EXPECT_EQ(shown->text.find("vigil-sealed-link"), std::string::npos);
  EXPECT_EQ(shown->text.find(kCreditLinkPrefix), std::string::npos);

  std::vector<std::string> sent;  // to Fiona (the reporter's receipt goes out too)
  MailSender sender(*store_, clock_, config_, nullptr,
                    [&](const std::string&, const std::string& rcpt, const std::string& data) {
                      if (rcpt == "fiona@example.com") sent.push_back(data);
                      return Status::Ok();
                    });
  Result<int> n = sender.SendDue();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(sent.size(), 1u);
  const std::string text = testing::DecodeQp(sent[0]);
  EXPECT_NE(text.find("https://vigil.widget.example/credit/" + token + "\r\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("vigil-sealed-link"), std::string::npos);
  EXPECT_EQ(text.find("SECRET"), std::string::npos);
}

}  // namespace
}  // namespace vigil
