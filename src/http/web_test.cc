// The web layer without sockets: TOTP against RFC 6238, CSRF, session rotation and throttling,
// escaping of hostile text, the page routes' authentication and authorization, forms, search.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "http/disclosure_panel.h"
#include "http/form.h"
#include "http/page_renderer.h"
#include "http/patch_panel.h"
#include "http/router.h"
#include "http/web.h"
#include "http/web_pages.h"
#include "service/advisory_service.h"
#include "service/credentials.h"
#include "service/credit_link.h"
#include "service/disclosure_service.h"
#include "service/patch_revision_source.h"
#include "service/patch_service.h"
#include "service/session_service.h"
#include "service/totp.h"
#include "service/totp_secret_box.h"
#include "service/workspace_service.h"
#include "store/sqlite_store.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

TEST(Totp, Rfc6238Vectors) {
  const std::string k1 = "12345678901234567890";
  const std::string k256 = "12345678901234567890123456789012";
  const std::string k512 = "1234567890123456789012345678901234567890123456789012345678901234";
  struct Case {
    int64_t t;
    const char *sha1, *sha256, *sha512;
  };
  const Case cases[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (const Case& c : cases) {
    const Instant t = c.t * kMicrosPerSecond;
    EXPECT_EQ(Totp(k1, t, 8, TotpHash::kSha1), c.sha1) << c.t;
    EXPECT_EQ(Totp(k256, t, 8, TotpHash::kSha256), c.sha256) << c.t;
    EXPECT_EQ(Totp(k512, t, 8, TotpHash::kSha512), c.sha512) << c.t;
  }
  // RFC 4226 appendix D: HOTP of the same key, counters 0 and 9.
  EXPECT_EQ(Hotp(k1, 0), "755224");
  EXPECT_EQ(Hotp(k1, 9), "520489");
}

TEST(Totp, VerifyAllowsOneStepOfDrift) {
  const std::string key = "12345678901234567890";
  const Instant now = 1111111111 * kMicrosPerSecond;
  EXPECT_EQ(VerifyTotp(key, Totp(key, now), now), TotpStep(now));
  EXPECT_EQ(VerifyTotp(key, Totp(key, now - 30 * kMicrosPerSecond), now), TotpStep(now) - 1);
  EXPECT_EQ(VerifyTotp(key, Totp(key, now + 30 * kMicrosPerSecond), now), TotpStep(now) + 1);
  EXPECT_FALSE(VerifyTotp(key, Totp(key, now - 90 * kMicrosPerSecond), now));
  EXPECT_FALSE(VerifyTotp(key, "12345", now));
}

TEST(Totp, Base32FollowsRfc4648) {
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(*Base32Decode("mzxw 6ytb oi=="), "foobar");
  EXPECT_FALSE(Base32Decode("MZ1W"));
  const std::string secret = NewTotpSecret();
  EXPECT_EQ(secret.size(), 20u);
  EXPECT_EQ(*Base32Decode(Base32Encode(secret)), secret);
}

TEST(Csrf, TokensAreBoundToTheirSecret) {
  const std::string a = NewToken(kSessionPrefix), b = NewToken(kSessionPrefix);
  EXPECT_EQ(CsrfToken(a), CsrfToken(a));
  EXPECT_NE(CsrfToken(a), CsrfToken(b));
  EXPECT_EQ(CsrfToken(a).find(a.substr(4, 10)), std::string::npos);
  EXPECT_TRUE(CsrfTokenValid(a, CsrfToken(a)));
  EXPECT_FALSE(CsrfTokenValid(b, CsrfToken(a)));
  EXPECT_FALSE(CsrfTokenValid("", CsrfToken("")));
  EXPECT_FALSE(CsrfTokenValid(a, ""));
  std::string wrong = CsrfToken(a);
  wrong[3] = wrong[3] == 'x' ? 'y' : 'x';
  EXPECT_FALSE(CsrfTokenValid(a, wrong));
}

TEST(Forms, UrlEncodedAndMultipart) {
  using namespace std::string_literals;
  HttpRequest req;
  req.content_type = "application/x-www-form-urlencoded";
  req.body = "a=1+2&b=%3Cx%3E&a=3&empty=";
  Result<Form> f = ParseForm(req);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->Get("a"), "3");
  EXPECT_EQ(f->Get("b"), "<x>");
  EXPECT_TRUE(f->Has("empty"));
  req.body = "a=%4";
  EXPECT_EQ(ParseForm(req).status().message(), "the form is malformed");

  req.content_type = "multipart/form-data; boundary=XyZ";
  req.body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\nhello\r\nworld\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a \\\"b\\\".bin\""
      "\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01--XyZ-ish\r\n--XyZ--\r\n"s;
  f = ParseForm(req);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->Get("subject"), "hello\r\nworld");
  ASSERT_EQ(f->files.size(), 1u);
  EXPECT_EQ(f->files[0].filename, "a \"b\".bin");
  EXPECT_EQ(f->files[0].data, std::string("\0\x01--XyZ-ish", 11));
  req.body = "--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nno end";
  EXPECT_EQ(ParseForm(req).status().message(), "the form is malformed");
  req.content_type = "text/plain";
  req.body = "x";
  EXPECT_EQ(ParseForm(req).status().message(), "the form is not url-encoded or multipart");
}

TEST(Queue, AcknowledgementDeadlineCountsWorkingDays) {
  const Instant friday = *ParseUtc("2026-09-25T10:00:00Z");
  EXPECT_EQ(FormatUtc(AckDeadline(friday, 3)), "2026-09-30T10:00:00Z");  // Wednesday
  const Instant saturday = *ParseUtc("2026-09-26T10:00:00Z");
  EXPECT_EQ(FormatUtc(AckDeadline(saturday, 3)), "2026-10-01T00:00:00Z");  // Thursday
  const Instant tuesday = *ParseUtc("2026-09-22T08:30:00Z");
  EXPECT_EQ(FormatUtc(AckDeadline(tuesday, 1)), "2026-09-23T08:30:00Z");
}

class WebTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    config_.maintainers = {"alice@example.org"};
    config_.submit_per_minute = 1000;
    config_.login_failures_per_account = 3;
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    sessions_ = std::make_unique<SessionService>(*store_, clock_, config_, totp_box_);
    workspace_ = std::make_unique<WorkspaceService>(*reports_, *store_, clock_, config_);
    ASSERT_TRUE(renderer_.Init().ok());
    limiter_ = std::make_unique<RateLimiter>(*store_, clock_, 1000);
    router_ = std::make_unique<Router>(*reports_, *limiter_);
    web_ = std::make_unique<WebContext>(
        WebContext{*reports_, *sessions_, *workspace_, config_, clock_, renderer_, {}});
    AddWebRoutes(*router_, *web_);
    ASSERT_TRUE(reports_
                    ->AddAccount(local_, "alice@example.org", "Alice", AccountRole::kMaintainer,
                                 "alice-password")
                    .ok());
    ASSERT_TRUE(
        reports_->AddAccount(local_, "mia@example.org", "Mia", AccountRole::kMember, "mia-password")
            .ok());
  }
  void TearDown() override {
    router_.reset();
    web_.reset();
    workspace_.reset();
    sessions_.reset();
    CloseServices();
  }

  NewSession Login(const std::string& email, const std::string& password,
                   const std::string& code = "", const std::string& previous = "") {
    Result<NewSession> s = sessions_->Login({email, password, code, "192.0.2.1"}, previous);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : NewSession{};
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& cookie = "", const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.cookie = cookie;
    req.body = body;
    req.content_type = "application/x-www-form-urlencoded";
    req.client_address = "192.0.2.1";
    std::string route;
    return router_->Handle(req, &route);
  }

  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  /// Follows a capability link as a browser does: the link answers a redirect and the cookie,
  /// the tracking page is read with the cookie. COOKIE receives the cookie header to send.
  HttpResponse Track(const std::string& token, std::string* cookie = nullptr) {
    HttpResponse exchange = Call("GET", "/track/" + token);
    EXPECT_EQ(exchange.status, 303) << exchange.body;
    const std::string set = Header(exchange, "Set-Cookie");
    const std::string sent = set.substr(0, set.find(';'));
    if (cookie) *cookie = sent;
    return Call("GET", Header(exchange, "Location"), sent);
  }

  Submitted SubmitReport(const std::string& subject) {
    SubmitRequest req;
    req.fields.subject = subject;
    req.fields.steps = "steps of " + subject;
    return *workspace_->Submit(Principal{}, req, {}, CreditChoice{}, "");
  }

  TotpSecretBox totp_box_{std::string(TotpSecretBox::kKeyBytes, '\x5a')};
  std::unique_ptr<SessionService> sessions_;
  std::unique_ptr<WorkspaceService> workspace_;
  PageRenderer renderer_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<WebContext> web_;
};

// The reporter is told of every decision with the coordinator's reason: on the tracking page
// and by mail; a closed report no longer promises that the coordinator will write.
TEST_F(WebTest, TheReporterSeesDecisionsWithTheirReasons) {
  SubmitRequest req;
  req.fields.subject = "Weak default";
  req.fields.steps = "steps";
  req.reporter_email = "rita@example.org";
  Submitted low = *reports_->Submit(Principal{}, req);
  ASSERT_TRUE(reports_->Assign(local_, low.id, "alice@example.org").ok());
  ASSERT_TRUE(reports_->Confirm(local_, low.id).ok());
  ASSERT_TRUE(
      reports_->Classify(local_, low.id, 4, "  Needs cluster-admin <rights> first.  ").ok());
  HttpResponse page = Track(low.token);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h2 id=\"decisions-heading\">Decisions</h2>"), std::string::npos);
  EXPECT_NE(page.body.find("Classified at level 4 (no practical attack vector): it is handled in "
                           "public, as a regular issue, once its text is reviewed."),
            std::string::npos)
      << page.body;
  EXPECT_NE(page.body.find("Reason: Needs cluster-admin &lt;rights&gt; first.</div>"),
            std::string::npos);
  EXPECT_NE(page.body.find("The coordinator will write here."), std::string::npos);
  const std::vector<OutboxMail> mails = *store_->Outbox(low.id);
  ASSERT_FALSE(mails.empty());
  EXPECT_EQ(mails.back().kind, "decision");
  EXPECT_EQ(mails.back().recipient, "rita@example.org");
  EXPECT_EQ(mails.back().subject, "[" + low.id + "] Decision on your report");
  EXPECT_TRUE(mails.back().body.ends_with(
      "The coordinator of " + low.id +
      " decided: Classified at level 4 (no practical attack vector): it is handled in public, as "
      "a regular issue, once its text is reviewed.\n\nTheir reason:\n\nNeeds cluster-admin "
      "<rights> first.\n\nYour tracking page shows every decision on your report."))
      << mails.back().body;

  Submitted dup = *reports_->Submit(Principal{}, req);
  ASSERT_TRUE(reports_->MarkDuplicate(local_, dup.id, low.id, "Same default as the first.").ok());
  page = Track(dup.token);
  // Which report it duplicates is not said: that one may be embargoed, and someone else's.
  EXPECT_NE(page.body.find("Closed as a duplicate of another report, which covers the same "
                           "problem."),
            std::string::npos);
  EXPECT_EQ(page.body.find(low.id), std::string::npos);
  EXPECT_NE(page.body.find("Reason: Same default as the first."), std::string::npos);
  EXPECT_NE(page.body.find("No messages. This report is closed."), std::string::npos);
  EXPECT_EQ(page.body.find("The coordinator will write here."), std::string::npos);

  Submitted no = *reports_->Submit(Principal{}, req);
  ASSERT_TRUE(reports_->Reject(local_, no.id, "Works as documented.").ok());
  page = Track(no.token);
  EXPECT_NE(page.body.find("Rejected: not treated as a vulnerability."), std::string::npos);
  EXPECT_NE(page.body.find("Reason: Works as documented."), std::string::npos);
  EXPECT_EQ(store_->Outbox(no.id)->back().kind, "decision");

  // A reporter who withdraws is not mailed about their own decision; the page still lists it.
  Submitted gone = *reports_->Submit(Principal{}, req);
  Principal rita;
  rita.kind = Principal::Kind::kCapability;
  rita.email = "rita@example.org";
  rita.report_id = gone.id;
  ASSERT_TRUE(reports_->Withdraw(rita, gone.id, "Found it was my configuration.").ok());
  EXPECT_NE(store_->Outbox(gone.id)->back().kind, "decision");
  page = Track(gone.token);
  EXPECT_NE(page.body.find("Withdrawn."), std::string::npos);
  EXPECT_NE(page.body.find("Reason: Found it was my configuration."), std::string::npos);
}

// Each invited person gets their own link by mail, in the invitation itself.
TEST_F(WebTest, TheInvitationCarriesThePersonsLink) {
  const Submitted s = SubmitReport("Invitation");
  Result<Invited> carl = reports_->Invite(local_, s.id, "carl@example.org", "", Role::kObserver);
  ASSERT_TRUE(carl.ok());
  const OutboxMail mail = store_->Outbox(s.id)->back();
  EXPECT_EQ(mail.recipient, "carl@example.org");
  EXPECT_TRUE(
      mail.body.ends_with("Your private link to the report, to read it and reply (keep it "
                          "secret: anyone with it can do the same):\n\n" +
                          config_.public_url + "/track/" + carl->token + "\n"))
      << mail.body;
  EXPECT_EQ(Track(carl->token).status, 200);
}

TEST_F(WebTest, LoginRotatesTheSessionAndLogoutRevokesIt) {
  NewSession first = Login("alice@example.org", "alice-password");
  ASSERT_TRUE(reports_->Authenticate(first.token, CredentialSource::kCookie).ok());
  // A session token is a cookie, never a bearer token or a link.
  EXPECT_FALSE(reports_->Authenticate(first.token).ok());
  EXPECT_FALSE(reports_->Authenticate(first.token, CredentialSource::kPath).ok());
  NewSession second = Login("alice@example.org", "alice-password", "", first.token);
  EXPECT_NE(first.token, second.token);
  EXPECT_EQ(reports_->Authenticate(first.token, CredentialSource::kCookie).status().message(),
            "invalid credentials");
  EXPECT_EQ(reports_->Authenticate(second.token, CredentialSource::kCookie)->email,
            "alice@example.org");
  NewSession other_device = Login("alice@example.org", "alice-password");
  ASSERT_TRUE(sessions_->Logout(second.token).ok());
  EXPECT_FALSE(reports_->Authenticate(second.token, CredentialSource::kCookie).ok());
  EXPECT_TRUE(reports_->Authenticate(other_device.token, CredentialSource::kCookie).ok());
  ASSERT_TRUE(sessions_->LogoutEverywhere(other_device.principal).ok());
  EXPECT_FALSE(reports_->Authenticate(other_device.token, CredentialSource::kCookie).ok());
  // Sessions expire.
  NewSession late = Login("alice@example.org", "alice-password");
  clock_.Advance(config_.session_hours * 3600 * kMicrosPerSecond);
  EXPECT_FALSE(reports_->Authenticate(late.token, CredentialSource::kCookie).ok());
}

TEST_F(WebTest, PasswordChangeEndsEveryOtherSession) {
  NewSession a = Login("alice@example.org", "alice-password");
  NewSession b = Login("alice@example.org", "alice-password");
  NewSession mia = Login("mia@example.org", "mia-password");
  Result<std::string> api =
      reports_->CreateApiToken(local_, "alice@example.org", "ci", std::nullopt);
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(sessions_->ChangePassword(a.principal, "nope", "new-password-1", "192.0.2.1")
                .status()
                .message(),
            "the current password is wrong");
  EXPECT_EQ(sessions_->ChangePassword(a.principal, "alice-password", "short", "192.0.2.1")
                .status()
                .message(),
            "the new password must be 8 to 1024 bytes long");
  Result<NewSession> c =
      sessions_->ChangePassword(a.principal, "alice-password", "new-password-1", "192.0.2.1");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(reports_->Authenticate(a.token, CredentialSource::kCookie).ok());
  EXPECT_FALSE(reports_->Authenticate(b.token, CredentialSource::kCookie).ok());
  EXPECT_TRUE(reports_->Authenticate(c->token, CredentialSource::kCookie).ok());
  // Only Alice's browser sessions end: another account's session and her API tokens (separate
  // credentials, revoked by id) are untouched, as documented on ChangePassword.
  EXPECT_TRUE(reports_->Authenticate(mia.token, CredentialSource::kCookie).ok());
  EXPECT_TRUE(reports_->Authenticate(*api).ok());
  EXPECT_EQ(sessions_->Login({"alice@example.org", "alice-password", "", "192.0.2.1"}, "")
                .status()
                .message(),
            "wrong email, password or code");
  Login("alice@example.org", "new-password-1");
}

TEST_F(WebTest, PasswordChangeThroughThePageEndsEverySession) {
  NewSession a = Login("alice@example.org", "alice-password");
  NewSession other = Login("alice@example.org", "alice-password");
  const std::string cookie = std::string(kSessionCookie) + "=" + a.token;
  const std::string csrf = "_csrf=" + CsrfToken(a.token);
  HttpResponse r = Call("POST", "/account/password", cookie,
                        csrf +
                            "&current_password=wrong&new_password=new-password-1"
                            "&confirm_password=new-password-1");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("the current password is wrong"), std::string::npos);
  EXPECT_TRUE(reports_->Authenticate(other.token, CredentialSource::kCookie).ok());
  r = Call("POST", "/account/password", cookie,
           csrf +
               "&current_password=alice-password&new_password=new-password-1"
               "&confirm_password=new-password-1");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(Header(r, "Location"), "/account?done=password");
  EXPECT_FALSE(reports_->Authenticate(a.token, CredentialSource::kCookie).ok());
  EXPECT_FALSE(reports_->Authenticate(other.token, CredentialSource::kCookie).ok());
  // The answer carries the one new session.
  const std::string set = Header(r, "Set-Cookie");
  ASSERT_TRUE(set.starts_with("vigil_session=vgs_"));
  const std::string fresh = set.substr(14, set.find(';') - 14);
  EXPECT_TRUE(reports_->Authenticate(fresh, CredentialSource::kCookie).ok());
}

TEST_F(WebTest, PasswordChecksOfAccountFormsShareTheLoginThrottle) {
  NewSession s = Login("alice@example.org", "alice-password");
  // login_failures_per_account is 3: two wrong current passwords and one wrong password to turn
  // off two-factor login, from one address, are three failed logins.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(sessions_->ChangePassword(s.principal, "guess", "new-password-1", "198.51.100.4")
                  .status()
                  .message(),
              "the current password is wrong");
  }
  Result<TotpSetup> setup = sessions_->BeginTotp(s.principal);
  ASSERT_TRUE(setup.ok());
  EXPECT_EQ(sessions_->DisableTotp(s.principal, "guess", "", "198.51.100.4").message(),
            "the current password is wrong");
  // Now even the right password waits there, in every form and at the login...
  const std::string waiting = "too many failed logins; try again in 15 minutes";
  Result<NewSession> blocked =
      sessions_->ChangePassword(s.principal, "alice-password", "new-password-1", "198.51.100.4");
  EXPECT_EQ(blocked.status().code(), Code::kRateLimited);
  EXPECT_EQ(blocked.status().message(), waiting);
  EXPECT_EQ(sessions_->DisableTotp(s.principal, "alice-password", "", "198.51.100.4").message(),
            waiting);
  EXPECT_EQ(sessions_->Login({"alice@example.org", "alice-password", "", "198.51.100.4"}, "")
                .status()
                .message(),
            waiting);
  // ...but not from another address, and not after the window.
  EXPECT_TRUE(
      sessions_->ChangePassword(s.principal, "alice-password", "new-password-1", "203.0.113.20")
          .ok());
  clock_.Advance(15 * 60 * kMicrosPerSecond);
  EXPECT_TRUE(
      sessions_->ChangePassword(s.principal, "new-password-1", "new-password-2", "198.51.100.4")
          .ok());
}

TEST_F(WebTest, TurningTwoFactorLoginOffNeedsACurrentCode) {
  NewSession s = Login("alice@example.org", "alice-password");
  EXPECT_EQ(sessions_->DisableTotp(s.principal, "alice-password", "", "x").message(),
            "two-factor login is not set up");
  Result<TotpSetup> setup = sessions_->BeginTotp(s.principal);
  ASSERT_TRUE(setup.ok());
  const std::string key = *Base32Decode(setup->secret_base32);
  const std::string confirm_code = Totp(key, clock_.Now());
  ASSERT_TRUE(sessions_->ConfirmTotp(s.principal, confirm_code).ok());
  const std::string code_wrong = "the two-factor code is wrong or was already used";
  // The password alone (a stolen session plus a phished password) is not enough.
  EXPECT_EQ(sessions_->DisableTotp(s.principal, "alice-password", "", "x").message(), code_wrong);
  std::string wrong = Totp(key, clock_.Now() + 30 * kMicrosPerSecond);
  wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
  EXPECT_EQ(sessions_->DisableTotp(s.principal, "alice-password", wrong, "y").message(),
            code_wrong);
  // A code of a step already used (here: to confirm) is refused too.
  EXPECT_EQ(sessions_->DisableTotp(s.principal, "alice-password", confirm_code, "z").message(),
            code_wrong);
  EXPECT_TRUE(*sessions_->TotpEnabled("alice@example.org"));
  // Through the page, without a code, nothing changes.
  const std::string cookie = std::string(kSessionCookie) + "=" + s.token;
  const std::string csrf = "_csrf=" + CsrfToken(s.token);
  HttpResponse r = Call("POST", "/account/totp/disable", cookie, csrf + "&password=alice-password");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find(code_wrong), std::string::npos);
  EXPECT_NE(r.body.find("name=\"code\""), std::string::npos);
  EXPECT_TRUE(*sessions_->TotpEnabled("alice@example.org"));
  clock_.Advance(30 * kMicrosPerSecond);
  r = Call("POST", "/account/totp/disable", cookie,
           csrf + "&password=alice-password&code=" + Totp(key, clock_.Now()));
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(Header(r, "Location"), "/account?done=totp-off");
  EXPECT_FALSE(*sessions_->TotpEnabled("alice@example.org"));
}

// Someone who lost their device: an admin removes the enrolment (an event records who), and
// the password alone logs in again.
TEST_F(WebTest, AnAdminResetsTheTwoFactorLoginOfALostDevice) {
  NewSession s = Login("alice@example.org", "alice-password");
  Result<TotpSetup> setup = sessions_->BeginTotp(s.principal);
  ASSERT_TRUE(setup.ok());
  const std::string key = *Base32Decode(setup->secret_base32);
  ASSERT_TRUE(sessions_->ConfirmTotp(s.principal, Totp(key, clock_.Now())).ok());
  clock_.Advance(30 * kMicrosPerSecond);
  const LoginAttempt password_only{"alice@example.org", "alice-password", "", "198.51.100.9"};
  EXPECT_FALSE(sessions_->Login(password_only, "").ok());

  Principal admin;
  admin.kind = Principal::Kind::kLocal;
  admin.email = "root";
  EXPECT_EQ(sessions_->ResetTotp(admin, "nobody@example.org").message(),
            "account nobody@example.org not found");
  ASSERT_TRUE(sessions_->ResetTotp(admin, "Alice@Example.org").ok());
  EXPECT_FALSE(*sessions_->TotpEnabled("alice@example.org"));
  EXPECT_TRUE(sessions_->Login(password_only, "").ok());
  EXPECT_EQ(sessions_->ResetTotp(admin, "alice@example.org").message(),
            "alice@example.org has no two-factor login to reset");
  std::vector<StoredEvent> system = *store_->Events(kSystemChain);
  ASSERT_FALSE(system.empty());
  const StoredEvent* reset = nullptr;
  for (const StoredEvent& e : system) {
    if (e.kind == "totp.reset") reset = &e;
  }
  ASSERT_NE(reset, nullptr);
  EXPECT_EQ(reset->payload, R"({"email":"alice@example.org","was_enabled":true})");
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(WebTest, FailedLoginsAreThrottledWithOneMessage) {
  const LoginAttempt wrong{"alice@example.org", "bad", "", "198.51.100.4"};
  const LoginAttempt unknown{"nobody@example.org", "alice-password", "", "198.51.100.4"};
  EXPECT_EQ(sessions_->Login(unknown, "").status().message(), "wrong email, password or code");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sessions_->Login(wrong, "").status().message(), "wrong email, password or code");
  }
  // The guesser waits, even with the right password...
  Result<NewSession> blocked =
      sessions_->Login({"alice@example.org", "alice-password", "", "198.51.100.4"}, "");
  EXPECT_EQ(blocked.status().code(), Code::kRateLimited);
  EXPECT_EQ(blocked.status().message(), "too many failed logins; try again in 15 minutes");
  // ...but cannot lock Alice out: from her own address she logs in.
  EXPECT_TRUE(
      sessions_->Login({"alice@example.org", "alice-password", "", "203.0.113.20"}, "").ok());
  clock_.Advance(15 * 60 * kMicrosPerSecond);
  EXPECT_TRUE(
      sessions_->Login({"alice@example.org", "alice-password", "", "198.51.100.4"}, "").ok());
}

TEST_F(WebTest, OneAddressFailingOnManyAccountsIsThrottled) {
  config_.login_failures_per_address = 4;
  for (int i = 0; i < 4; ++i) {
    const std::string email = "user" + std::to_string(i) + "@example.org";
    EXPECT_EQ(sessions_->Login({email, "guess", "", "198.51.100.4"}, "").status().message(),
              "wrong email, password or code");
  }
  EXPECT_EQ(sessions_->Login({"alice@example.org", "alice-password", "", "198.51.100.4"}, "")
                .status()
                .code(),
            Code::kRateLimited);
  EXPECT_TRUE(
      sessions_->Login({"alice@example.org", "alice-password", "", "203.0.113.20"}, "").ok());
}

TEST_F(WebTest, InstancesOnOneDatabaseThrottleTheSameFailedLogins) {
  // A second instance: its own SessionService (nothing in memory shared), the same store.
  SessionService other(*store_, clock_, config_, totp_box_);
  const LoginAttempt wrong{"alice@example.org", "bad", "", "198.51.100.4"};
  EXPECT_EQ(sessions_->Login(wrong, "").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(other.Login(wrong, "").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(sessions_->Login(wrong, "").status().code(), Code::kUnauthenticated);
  const LoginAttempt right{"alice@example.org", "alice-password", "", "198.51.100.4"};
  EXPECT_EQ(other.Login(right, "").status().message(),
            "too many failed logins; try again in 15 minutes");
  EXPECT_EQ(sessions_->Login(right, "").status().code(), Code::kRateLimited);
  clock_.Advance(15 * 60 * kMicrosPerSecond);
  EXPECT_TRUE(other.Login(right, "").ok());
}

TEST_F(WebTest, TotpIsRequiredOnceEnabledAndCodesAreNotReplayed) {
  NewSession s = Login("alice@example.org", "alice-password");
  Result<TotpSetup> setup = sessions_->BeginTotp(s.principal);
  ASSERT_TRUE(setup.ok());
  EXPECT_TRUE(setup->uri.starts_with("otpauth://totp/"));
  const std::string key = *Base32Decode(setup->secret_base32);
  std::string wrong = Totp(key, clock_.Now());
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  EXPECT_EQ(sessions_->ConfirmTotp(s.principal, wrong).message(),
            "the code does not match; check the device's clock and try the next code");
  ASSERT_TRUE(sessions_->ConfirmTotp(s.principal, Totp(key, clock_.Now())).ok());
  EXPECT_TRUE(*sessions_->TotpEnabled("alice@example.org"));
  EXPECT_EQ(
      sessions_->Login({"alice@example.org", "alice-password", "", "x"}, "").status().message(),
      "wrong email, password or code");
  // The code used to confirm cannot log in (same step); the next one can, once.
  EXPECT_FALSE(
      sessions_->Login({"alice@example.org", "alice-password", Totp(key, clock_.Now()), "x"}, "")
          .ok());
  clock_.Advance(30 * kMicrosPerSecond);
  const std::string code = Totp(key, clock_.Now());
  Login("alice@example.org", "alice-password", code);
  EXPECT_FALSE(sessions_->Login({"alice@example.org", "alice-password", code, "x"}, "").ok());
}

// Threat D3: the database holds only the sealed secret; without the key file (here: another
// key) no code can be made or checked, and a sealed row copied onto another account is useless.
TEST_F(WebTest, TotpSecretsAreSealedAtRestAndBoundToTheirAccount) {
  NewSession s = Login("alice@example.org", "alice-password");
  Result<TotpSetup> setup = sessions_->BeginTotp(s.principal);
  ASSERT_TRUE(setup.ok());
  const std::string key = *Base32Decode(setup->secret_base32);
  ASSERT_TRUE(sessions_->ConfirmTotp(s.principal, Totp(key, clock_.Now())).ok());
  Result<std::optional<TotpEnrolment>> row = store_->FindTotp("alice@example.org");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_TRUE((*row)->secret.starts_with("v1:"));
  EXPECT_EQ((*row)->secret.find(setup->secret_base32), std::string::npos);
  EXPECT_EQ((*row)->secret.find(key), std::string::npos);
  // The row as the database itself holds it (sqlite3 on the file, or psql): no Base32 secret
  // either.
  EXPECT_EQ(RawFirstValue("SELECT secret FROM totp_secrets"), (*row)->secret);
  // The same database with another key (the key file lost, or a copy without it): no login.
  TotpSecretBox other_key(std::string(TotpSecretBox::kKeyBytes, '\x01'));
  SessionService without_key(*store_, clock_, config_, other_key);
  clock_.Advance(30 * kMicrosPerSecond);
  EXPECT_EQ(
      without_key.Login({"alice@example.org", "alice-password", Totp(key, clock_.Now()), "x"}, "")
          .status()
          .message(),
      "wrong email, password or code");
  // Alice's sealed row copied onto Mia's account does not open there.
  TotpEnrolment swapped = **row;
  swapped.email = "mia@example.org";
  WriteBatch b;
  b.web.totp.push_back(swapped);
  b.events.push_back({kSystemChain, clock_.Now(), "test", "totp.enabled", "{}"});
  ASSERT_TRUE(store_->Write(std::move(b)).ok());
  EXPECT_EQ(sessions_->Login({"mia@example.org", "mia-password", Totp(key, clock_.Now()), "x"}, "")
                .status()
                .message(),
            "wrong email, password or code");
  Login("alice@example.org", "alice-password", Totp(key, clock_.Now()));
}

// Databases from before sealing keep their TOTP secrets in clear: startup seals them in place,
// with an event that names the accounts and not the secrets, and logins go on working.
TEST_F(WebTest, ClearTotpSecretsAreSealedInPlace) {
  const std::string base32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
  WriteBatch b;
  b.web.totp.push_back({"alice@example.org", base32, true, 0});
  b.events.push_back({kSystemChain, clock_.Now(), "test", "totp.enabled", "{}"});
  ASSERT_TRUE(store_->Write(std::move(b)).ok());
  Result<int> sealed = sessions_->SealClearTotpSecrets();
  ASSERT_TRUE(sealed.ok()) << sealed.status().message();
  EXPECT_EQ(*sealed, 1);
  Result<std::optional<TotpEnrolment>> row = store_->FindTotp("alice@example.org");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_TRUE((*row)->secret.starts_with("v1:"));
  EXPECT_EQ((*row)->secret.find(base32), std::string::npos);
  EXPECT_EQ(totp_box_.Open("alice@example.org", (*row)->secret), base32);
  Result<std::vector<StoredEvent>> last = store_->LatestEvents(kSystemChain, 1);
  ASSERT_TRUE(last.ok() && last->size() == 1);
  EXPECT_EQ((*last)[0].kind, "totp.secrets_sealed");
  EXPECT_EQ((*last)[0].payload, R"({"accounts":["alice@example.org"]})");
  EXPECT_EQ(*sessions_->SealClearTotpSecrets(), 0);  // nothing left in clear: no write
  EXPECT_EQ(store_->LatestEvents(kSystemChain, 1)->at(0).seq, (*last)[0].seq);
  Login("alice@example.org", "alice-password", Totp(*Base32Decode(base32), clock_.Now()));
}

// Two logins in one 30 s window with the same code: the second fails, also after a restart (the
// last accepted step is in the store, written with the session).
TEST_F(WebTest, ACodeIsAcceptedOnceEvenAcrossARestart) {
  NewSession s = Login("alice@example.org", "alice-password");
  Result<TotpSetup> setup = sessions_->BeginTotp(s.principal);
  ASSERT_TRUE(setup.ok());
  const std::string key = *Base32Decode(setup->secret_base32);
  ASSERT_TRUE(sessions_->ConfirmTotp(s.principal, Totp(key, clock_.Now())).ok());
  // To the start of the next 30 s window.
  clock_.Advance((30 - clock_.Now() / kMicrosPerSecond % 30) * kMicrosPerSecond);
  const std::string code = Totp(key, clock_.Now());
  Login("alice@example.org", "alice-password", code);
  clock_.Advance(10 * kMicrosPerSecond);  // same window
  ASSERT_EQ(Totp(key, clock_.Now()), code);
  EXPECT_EQ(sessions_->Login({"alice@example.org", "alice-password", code, "192.0.2.9"}, "")
                .status()
                .message(),
            "wrong email, password or code");
  // Restart: a new store and service on the same database file.
  router_.reset();
  web_.reset();
  workspace_.reset();
  sessions_.reset();
  CloseServices();
  ASSERT_NO_FATAL_FAILURE(OpenServices());
  sessions_ = std::make_unique<SessionService>(*store_, clock_, config_, totp_box_);
  EXPECT_EQ(sessions_->Login({"alice@example.org", "alice-password", code, "192.0.2.10"}, "")
                .status()
                .message(),
            "wrong email, password or code");
  clock_.Advance(20 * kMicrosPerSecond);  // the next window
  Login("alice@example.org", "alice-password", Totp(key, clock_.Now()));
}

TEST_F(WebTest, AccountPagesNeedASessionAndFormsNeedTheirToken) {
  HttpResponse r = Call("GET", "/dashboard");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(Header(r, "Location"), "/login?next=/dashboard");
  // A stale cookie is the anonymous caller, on account pages and public ones alike.
  EXPECT_EQ(Call("GET", "/dashboard", "vigil_session=vgs_stale").status, 303);
  EXPECT_EQ(Call("GET", "/", "vigil_session=vgs_stale").status, 200);

  NewSession s = Login("alice@example.org", "alice-password");
  const std::string cookie = std::string(kSessionCookie) + "=" + s.token;
  r = Call("GET", "/dashboard", cookie);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "Content-Security-Policy"), kPageCsp);
  EXPECT_NE(r.body.find("value=\"" + CsrfToken(s.token) + "\""), std::string::npos);

  // A cross-site post carries no valid token.
  r = Call("POST", "/logout/all", cookie, "");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("the form has expired; reload the page and send it again"),
            std::string::npos);
  r = Call("POST", "/logout/all", cookie, "_csrf=" + CsrfToken("vgs_other"));
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(reports_->Authenticate(s.token, CredentialSource::kCookie).ok());
  r = Call("POST", "/logout/all", cookie, "_csrf=" + CsrfToken(s.token));
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(Header(r, "Set-Cookie"),
            "vigil_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  EXPECT_FALSE(reports_->Authenticate(s.token, CredentialSource::kCookie).ok());
}

TEST_F(WebTest, LoginPageSetsARotatedHttpOnlyStrictCookie) {
  HttpResponse page = Call("GET", "/login");
  const std::string visitor = Header(page, "Set-Cookie");
  ASSERT_TRUE(visitor.starts_with("vigil_visitor="));
  const std::string value = visitor.substr(14, visitor.find(';') - 14);
  const std::string cookie = "vigil_visitor=" + value;
  HttpResponse r = Call("POST", "/login", cookie,
                        "_csrf=" + CsrfToken(value) +
                            "&email=alice%40example.org&password=alice-password&next=%2Freports");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(Header(r, "Location"), "/reports");
  const std::string set = Header(r, "Set-Cookie");
  EXPECT_TRUE(set.starts_with("vigil_session=vgs_"));
  EXPECT_NE(set.find("; HttpOnly; SameSite=Strict; Max-Age=43200"), std::string::npos);
  EXPECT_EQ(set.find("Secure"), std::string::npos);
  // An open redirect is not possible through next.
  r = Call("POST", "/login", cookie,
           "_csrf=" + CsrfToken(value) +
               "&email=alice%40example.org&password=alice-password&next=%2F%2Fevil.example");
  EXPECT_EQ(Header(r, "Location"), "/dashboard");
  // Nor through what a browser reads as "//": a tab or newline it drops, a backslash it turns
  // into '/', or an encoded slash decoded once; other schemes and relative paths neither.
  for (const char* hostile :
       {"%2F%09%2Fevil.example", "%2F%0A%2Fevil.example", "%2F%0D%2Fevil.example",
        "%2F%5Cevil.example", "%5C%5Cevil.example", "%2F%2F%2Fevil.example",
        "%2F%20%2Fevil.example", "https%3A%2F%2Fevil.example", "javascript%3Aalert(1)",
        "evil.example%2Fx", "%2Freports%5C..%5C..%5Cx", ""}) {
    r = Call("POST", "/login", cookie,
             "_csrf=" + CsrfToken(value) +
                 "&email=alice%40example.org&password=alice-password&next=" + hostile);
    EXPECT_EQ(Header(r, "Location"), "/dashboard") << hostile;
  }
  // A path with an encoded slash inside stays a path on this server.
  r = Call("POST", "/login", cookie,
           "_csrf=" + CsrfToken(value) +
               "&email=alice%40example.org&password=alice-password&next=%2Freports%3Fq%3Da%252Fb");
  EXPECT_EQ(Header(r, "Location"), "/reports?q=a%2Fb");
  // Without the token the login is refused before the password is looked at.
  r = Call("POST", "/login", cookie, "email=alice%40example.org&password=alice-password");
  EXPECT_EQ(r.status, 403);
}

TEST_F(WebTest, HostileTextIsEscapedEverywhere) {
  const std::string xss = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
  SubmitRequest req;
  req.fields.subject = "Subject " + xss;
  req.fields.steps = xss;
  req.fields.attack_vectors = xss;
  req.reporter_name = "Rita " + xss;
  Result<Submitted> s = workspace_->Submit(Principal{}, req, {{xss + ".txt", xss, "data"}},
                                           CreditChoice{false, xss}, "");
  ASSERT_TRUE(s.ok()) << s.status().message();
  Principal reporter = *reports_->Authenticate(s->token);
  ASSERT_TRUE(reports_->PostMessage(reporter, s->id, xss).ok());
  NewSession m = Login("alice@example.org", "alice-password");
  for (const HttpResponse& r :
       {Call("GET", "/reports/" + s->id, std::string(kSessionCookie) + "=" + m.token),
        Track(s->token),
        Call("GET", "/dashboard?q=%3Cscript%3E", std::string(kSessionCookie) + "=" + m.token)}) {
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
    EXPECT_EQ(r.body.find("<img src=x"), std::string::npos);
    EXPECT_NE(r.body.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&apos;&gt;&lt;img"),
              std::string::npos);
  }
}

TEST_F(WebTest, AWrongCapabilityLinkLooksLikeNoReport) {
  Submitted s = SubmitReport("Heap overflow");
  EXPECT_EQ(Track(s.token).status, 200);
  std::string wrong = s.token;
  wrong[12] = wrong[12] == 'a' ? 'b' : 'a';
  HttpResponse bad = Call("GET", "/track/" + wrong);
  HttpResponse none = Call("GET", "/track/" + NewToken(kCapabilityPrefix));
  HttpResponse junk = Call("GET", "/track/x");
  EXPECT_EQ(bad.status, 404);
  EXPECT_EQ(bad.body, none.body);
  EXPECT_EQ(bad.body, junk.body);
  EXPECT_NE(bad.body.find("this link is not valid"), std::string::npos);
  EXPECT_EQ(bad.body.find(s.id), std::string::npos);
  // An API token or a session is not a capability link.
  NewSession m = Login("alice@example.org", "alice-password");
  EXPECT_EQ(Call("GET", "/track/" + m.token).body, bad.body);
}

TEST_F(WebTest, TheLinkIsExchangedForAStrictCookieAndTheAddressLosesTheToken) {
  Submitted a = SubmitReport("Heap overflow");
  Submitted b = SubmitReport("Use after free");
  HttpResponse exchange = Call("GET", "/track/" + a.token + "?new=1");
  EXPECT_EQ(exchange.status, 303);
  EXPECT_EQ(Header(exchange, "Location"), "/track/" + a.id + "?new=1");
  EXPECT_EQ(Header(exchange, "Set-Cookie"),
            "vigil_track=" + a.token + "; Path=/track/" + a.id + "; HttpOnly; SameSite=Strict");
  config_.secure_cookies = true;
  EXPECT_EQ(
      Header(Call("GET", "/track/" + a.token), "Set-Cookie"),
      "vigil_track=" + a.token + "; Path=/track/" + a.id + "; HttpOnly; SameSite=Strict; Secure");
  config_.secure_cookies = false;

  // The page at the token-free address reads the cookie; its forms and files carry no token,
  // the link to keep is shown to its holder.
  const std::string cookie_a = "vigil_track=" + a.token;
  HttpResponse page = Call("GET", "/track/" + a.id + "?new=1", cookie_a);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Heap overflow"), std::string::npos);
  EXPECT_NE(page.body.find("action=\"/track/" + a.id + "/reply\""), std::string::npos);
  EXPECT_EQ(page.body.find("/track/" + a.token + "/"), std::string::npos);
  EXPECT_NE(page.body.find("/track/" + a.token + "\" class=\"mono\""), std::string::npos)
      << page.body;
  // A reporter with two reports uses both: each cookie opens its own path only.
  const std::string cookie_b = "vigil_track=" + b.token;
  EXPECT_EQ(Call("GET", "/track/" + b.id, cookie_b).status, 200);
  HttpResponse crossed = Call("GET", "/track/" + b.id, cookie_a);
  EXPECT_EQ(crossed.status, 404);
  EXPECT_NE(crossed.body.find("this link is not valid"), std::string::npos);
  EXPECT_EQ(crossed.body.find("Use after free"), std::string::npos);
  EXPECT_EQ(Call("GET", "/track/" + a.id).status, 404);  // no cookie

  // Forms posted from the page work with the cookie and the page's CSRF token, not without.
  EXPECT_EQ(Call("POST", "/track/" + a.id + "/reply", cookie_a, "body=hi").status, 403);
  HttpResponse sent = Call("POST", "/track/" + a.id + "/reply", cookie_a,
                           "_csrf=" + CsrfToken(a.token) + "&body=hello");
  EXPECT_EQ(sent.status, 303);
  EXPECT_EQ(Header(sent, "Location"), "/track/" + a.id + "?sent=1#thread");
  EXPECT_EQ(reports_->Thread(Principal{Principal::Kind::kLocal, "root"}, a.id)->size(), 1u);
  HttpResponse credit = Call("POST", "/track/" + a.id + "/credit", cookie_a,
                             "_csrf=" + CsrfToken(a.token) + "&credit=anonymous");
  EXPECT_EQ(Header(credit, "Location"), "/track/" + a.id + "#credit");
}

TEST_F(WebTest, ReplacedRemovedAndExpiredLinksAreRefused) {
  Submitted s = SubmitReport("Heap overflow");
  Result<Invited> carl = reports_->Invite(local_, s.id, "carl@example.org", "", Role::kObserver);
  ASSERT_TRUE(carl.ok());
  EXPECT_EQ(Track(carl->token).status, 200);
  ASSERT_TRUE(reports_->Invite(local_, s.id, "dora@example.org", "", Role::kObserver).ok());
  HttpResponse not_valid = Call("GET", "/track/" + NewToken(kCapabilityPrefix));

  // The coordinator's page offers both actions; the forms need their token.
  ASSERT_TRUE(reports_->Assign(local_, s.id, "alice@example.org").ok());
  NewSession m = Login("alice@example.org", "alice-password");
  const std::string session = std::string(kSessionCookie) + "=" + m.token;
  HttpResponse page = Call("GET", "/reports/" + s.id, session);
  EXPECT_NE(page.body.find("action=\"/reports/" + s.id + "/remove-participant\""),
            std::string::npos);
  EXPECT_NE(page.body.find(">Replace link</button>"), std::string::npos);
  EXPECT_EQ(
      Call("POST", "/reports/" + s.id + "/remove-participant", session, "email=carl%40example.org")
          .status,
      403);
  HttpResponse refused = Call("POST", "/reports/" + s.id + "/remove-participant", session,
                              "_csrf=" + CsrfToken(m.token) + "&email=alice%40example.org");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("cannot remove alice@example.org from " + s.id +
                              ": the coordinator cannot be removed; assign another first"),
            std::string::npos);
  HttpResponse removed = Call("POST", "/reports/" + s.id + "/remove-participant", session,
                              "_csrf=" + CsrfToken(m.token) + "&email=carl%40example.org");
  EXPECT_EQ(removed.status, 200);
  EXPECT_NE(removed.body.find("Removed carl@example.org: their link no longer works."),
            std::string::npos);
  EXPECT_NE(removed.body.find("Removed "), std::string::npos);
  EXPECT_NE(removed.body.find(" by user:alice@example.org</div>"), std::string::npos);
  // The removed observer's link and cookie are refused like any wrong link.
  EXPECT_EQ(Call("GET", "/track/" + carl->token).body, not_valid.body);
  EXPECT_EQ(Call("GET", "/track/" + s.id, "vigil_track=" + carl->token).status, 404);

  // A replaced link: the old one (and its cookie) stop at once.
  HttpResponse replaced = Call("POST", "/reports/" + s.id + "/replace-link", session,
                               "_csrf=" + CsrfToken(m.token) + "&email=dora%40example.org");
  EXPECT_EQ(replaced.status, 200);
  EXPECT_NE(replaced.body.find("Replaced the link of dora@example.org: the old one no longer "
                               "works; the new one was mailed to them."),
            std::string::npos)
      << replaced.body;
  SubmitRequest req;
  req.fields.subject = "Overflow";
  req.fields.steps = "steps";
  req.reporter_email = "rita@example.org";
  Submitted r = *reports_->Submit(Principal{}, req);
  std::string old_cookie;
  EXPECT_EQ(Track(r.token, &old_cookie).status, 200);
  ASSERT_TRUE(reports_->ReplaceLink(local_, r.id, "rita@example.org").ok());
  EXPECT_EQ(Call("GET", "/track/" + r.token).body, not_valid.body);
  EXPECT_EQ(Call("GET", "/track/" + r.id, old_cookie).status, 404);

  // Closed 30 days ago: the link gets the reason, not the report.
  ASSERT_TRUE(reports_->Reject(local_, r.id, "not a vulnerability").ok());
  const Instant closed = clock_.Now();
  clock_.Advance(30 * kMicrosPerDay);
  // The new link is in the relink mail (the decision mail to the reporter came after it).
  std::string mailed;
  for (const OutboxMail& row : *store_->Outbox(r.id)) {
    if (row.body.find("/track/") != std::string::npos) mailed = row.body;
  }
  const std::string fresh = mailed.substr(mailed.find("/track/") + 7, 4 + 16 + 43);
  for (const HttpResponse& expired :
       {Call("GET", "/track/" + fresh), Call("GET", "/track/" + r.id, "vigil_track=" + fresh)}) {
    EXPECT_EQ(expired.status, 403);
    EXPECT_NE(expired.body.find("this link expired on " + FormatUtc(closed + 30 * kMicrosPerDay) +
                                ": report " + r.id + " is closed"),
              std::string::npos)
        << expired.body;
    EXPECT_EQ(expired.body.find("Overflow"), std::string::npos);
  }
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(WebTest, MembersSeeOnlyTheirReportsAndSearchIsFiltered) {
  Submitted mine = SubmitReport("Token leak in agent logs");
  Submitted other = SubmitReport("Token leak in controller");
  ASSERT_TRUE(
      reports_->Invite(local_, mine.id, "mia@example.org", "Mia", Role::kCollaborator).ok());
  NewSession mia = Login("mia@example.org", "mia-password");
  const std::string cookie = std::string(kSessionCookie) + "=" + mia.token;
  HttpResponse dash = Call("GET", "/dashboard", cookie);
  EXPECT_NE(dash.body.find(mine.id), std::string::npos);
  EXPECT_EQ(dash.body.find(other.id), std::string::npos);
  HttpResponse search = Call("GET", "/dashboard?q=token+leak", cookie);
  EXPECT_NE(search.body.find(mine.id), std::string::npos);
  EXPECT_EQ(search.body.find(other.id), std::string::npos);
  EXPECT_EQ(Call("GET", "/reports/" + mine.id, cookie).status, 200);
  HttpResponse hidden = Call("GET", "/reports/" + other.id, cookie);
  HttpResponse missing = Call("GET", "/reports/SEC-2026-0999", cookie);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(hidden.body.find("report " + other.id + " not found"), std::string::npos);
  // A member cannot triage.
  HttpResponse triage =
      Call("POST", "/reports/" + mine.id + "/confirm", cookie, "_csrf=" + CsrfToken(mia.token));
  EXPECT_EQ(triage.status, 403);

  NewSession alice = Login("alice@example.org", "alice-password");
  HttpResponse all =
      Call("GET", "/dashboard?q=controller", std::string(kSessionCookie) + "=" + alice.token);
  EXPECT_NE(all.body.find(other.id), std::string::npos);
  EXPECT_EQ(all.body.find(mine.id), std::string::npos);
}

// The dashboard pages as the API does: a page of 100, then "Older reports" with the filters kept;
// the chips count every report the viewer sees, not the page.
TEST_F(WebTest, TheDashboardPagesWithTheFiltersKept) {
  std::vector<std::string> ids;
  for (int i = 0; i < 102; ++i) {
    ids.push_back(SubmitReport(i % 2 ? "Token leak " + std::to_string(i) : "Crash").id);
  }
  NewSession alice = Login("alice@example.org", "alice-password");
  const std::string cookie = std::string(kSessionCookie) + "=" + alice.token;
  auto rows = [](const std::string& body) {
    size_t n = 0;
    for (size_t at = body.find("class=\"report-link\""); at != std::string::npos;
         at = body.find("class=\"report-link\"", at + 1)) {
      ++n;
    }
    return n;
  };
  auto next_link = [](const std::string& body) {
    const size_t at = body.find("rel=\"next\"");
    if (at == std::string::npos) return std::string();
    const size_t href = body.rfind("href=\"", at) + 6;
    std::string link = body.substr(href, body.find('"', href) - href);
    for (size_t amp = link.find("&amp;"); amp != std::string::npos; amp = link.find("&amp;")) {
      link.replace(amp, 5, "&");
    }
    return link;
  };
  HttpResponse first = Call("GET", "/dashboard", cookie);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(rows(first.body), 100u);
  EXPECT_NE(first.body.find(ids[101]), std::string::npos);
  EXPECT_EQ(first.body.find(ids[1] + "<"), std::string::npos);
  EXPECT_NE(first.body.find("Received <span class=\"count\">102</span>"), std::string::npos);
  const std::string older = next_link(first.body);
  ASSERT_TRUE(older.starts_with("/dashboard?cursor=")) << older;
  HttpResponse second = Call("GET", older, cookie);
  EXPECT_EQ(rows(second.body), 2u);
  EXPECT_NE(second.body.find(ids[1]), std::string::npos);
  EXPECT_NE(second.body.find(ids[0]), std::string::npos);
  EXPECT_EQ(next_link(second.body), "");
  EXPECT_NE(second.body.find("href=\"/dashboard\" class=\"button\">Newest"), std::string::npos);

  // The filters go on with the cursor.
  EXPECT_TRUE(next_link(Call("GET", "/dashboard?state=received&level=none", cookie).body)
                  .starts_with("/dashboard?state=received&level=none&cursor="));
  HttpResponse search = Call("GET", "/dashboard?q=token&state=received", cookie);
  EXPECT_EQ(rows(search.body), 51u);
  EXPECT_EQ(next_link(search.body), "");
  HttpResponse bad = Call("GET", "/dashboard?cursor=nonsense", cookie);
  EXPECT_NE(bad.body.find("the cursor is not valid"), std::string::npos);
}

TEST_F(WebTest, ViewsOfEmbargoedReportsAreOnTheReadInList) {
  Submitted s = SubmitReport("Race in scheduler");
  NewSession alice = Login("alice@example.org", "alice-password");
  const std::string cookie = std::string(kSessionCookie) + "=" + alice.token;
  // The page's own view is written while the page reads, and is counted on the page.
  EXPECT_NE(Call("GET", "/reports/" + s.id, cookie).body.find("Viewed 1×"), std::string::npos);
  Track(s.token);
  clock_.Advance(kMicrosPerSecond);
  HttpResponse page = Call("GET", "/reports/" + s.id, cookie);
  Report r = *reports_->Show(s.id);
  std::vector<ReadIn> list = workspace_->ListReadIn(r)->people;
  ASSERT_EQ(list.size(), 2u);  // the reporter, then alice (a viewer, not a participant)
  EXPECT_EQ(list[0].role, "reporter");
  EXPECT_EQ(list[0].views, 1);
  EXPECT_EQ(list[1].who, "alice@example.org");
  EXPECT_EQ(list[1].views, 2);
  EXPECT_EQ(list[1].last_view - list[1].first_view, kMicrosPerSecond);
  EXPECT_NE(page.body.find("Viewed 2×"), std::string::npos);
  EXPECT_EQ(page.body.find("report.viewed"), std::string::npos);  // summed up, not listed
  EXPECT_NE(Call("GET", "/reports/" + s.id + "?trail=all", cookie).body.find("report.viewed"),
            std::string::npos);
  // The view chain is part of the audit log and verifies.
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(WebTest, AViewIsCountedOnceWhetherTheReadSawItOrNot) {
  Submitted s = SubmitReport("Race in scheduler");
  Report r = *reports_->Show(s.id);
  Principal alice;
  alice.kind = Principal::Kind::kAccount;
  alice.email = "alice@example.org";
  // Read before the view is committed: the view is added to what was read.
  ReadInList before = *workspace_->ListReadIn(r);
  ViewRecord first = workspace_->StartView(alice, r);
  ASSERT_TRUE(first.Wait().ok());
  workspace_->CountView(first, &before);
  ASSERT_EQ(before.people.size(), 2u);
  EXPECT_EQ(before.people[1].views, 1);
  EXPECT_EQ(before.views, 1);
  // Read after it is committed: the read has it already.
  ViewRecord second = workspace_->StartView(alice, r);
  ASSERT_TRUE(second.Wait().ok());
  ReadInList after = *workspace_->ListReadIn(r);
  workspace_->CountView(second, &after);
  EXPECT_EQ(after.people[1].views, 2);
  EXPECT_EQ(after.views, 2);
  // A report out of embargo records nothing.
  ASSERT_TRUE(reports_->BreakEmbargo(local_, s.id, "published").ok());
  ViewRecord none = workspace_->StartView(alice, *reports_->Show(s.id));
  EXPECT_TRUE(none.Wait().ok());
  EXPECT_EQ(workspace_->ListReadIn(r)->views, 2);
}

TEST_F(WebTest, ReporterRepliesWithAttachmentsAndChoosesCredit) {
  Submitted s = SubmitReport("Path traversal");
  Principal reporter = *reports_->Authenticate(s.token);
  ASSERT_TRUE(workspace_
                  ->Reply(reporter, s.id, "here is a capture",
                          {{"../../etc/cap.pcap", "application/vnd.tcpdump.pcap", "PCAP"}})
                  .ok());
  std::vector<Attachment> files = *workspace_->Attachments(s.id);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename, "cap.pcap");
  EXPECT_EQ(files[0].message_seq, 1);
  HttpResponse download = Call("GET", "/track/" + s.token + "/files/1");
  EXPECT_EQ(download.body, "PCAP");
  std::string track_cookie;
  Track(s.token, &track_cookie);
  EXPECT_EQ(Call("GET", "/track/" + s.id + "/files/1", track_cookie).body, "PCAP");
  EXPECT_EQ(download.content_type, "application/octet-stream");
  EXPECT_EQ(Header(download, "Content-Disposition"), "attachment; filename=\"cap.pcap\"");
  config_.max_attachment_bytes = 3;
  EXPECT_EQ(workspace_->Reply(reporter, s.id, "big", {{"big.bin", "", "1234"}}).status().message(),
            "attachment big.bin is larger than 3 bytes");
  EXPECT_EQ(workspace_->SetCredit(reporter, s.id, {false, ""}).message(),
            "a name to credit is required, or choose anonymous");
  ASSERT_TRUE(workspace_->SetCredit(reporter, s.id, {false, "Rita R."}).ok());
  EXPECT_EQ((*workspace_->Prefs(s.id))->credit_name, "Rita R.");
  Principal collaborator = *reports_->Authenticate(
      reports_->Invite(local_, s.id, "c@example.org", "", Role::kCollaborator)->token);
  EXPECT_EQ(workspace_->SetCredit(collaborator, s.id, {true, ""}).message(),
            "only the reporter chooses how they are credited");
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

// The disclose module's panel on the report page, and the reporter's credit choice as consent.
TEST_F(WebTest, ReportPageShowsTheDisclosurePanel) {
  PatchRevisionSource approved(*store_, config_);
  AdvisoryService advisories(*store_, clock_, config_, approved);
  DisclosureService disclosure(*store_, clock_, config_, approved, advisories, nullptr);
  web_->panels.disclosure = DisclosurePanel(advisories, disclosure, config_);
  SubmitRequest req;
  req.fields.subject = "Overflow <b>here</b>";
  req.fields.steps = "steps";
  req.reporter_email = "rita@example.org";
  Result<Submitted> s = workspace_->Submit(Principal{}, req, {}, CreditChoice{false, "Rita R"}, "");
  ASSERT_TRUE(s.ok()) << s.status().message();
  AdvisoryEdit edit;
  edit.summary = "A summary for the panel";
  edit.cvss_vectors = {{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}};
  ASSERT_TRUE(advisories.Edit(local_, s->id, edit).ok());
  Result<AdvisoryDraft> draft = advisories.Draft(s->id);
  ASSERT_EQ(draft->credits.size(), 1u);
  EXPECT_EQ(draft->credits[0].consent, CreditConsent::kNamed);
  EXPECT_EQ(draft->credits[0].name, "Rita R");
  NewSession m = Login("alice@example.org", "alice-password");
  HttpResponse page = Call("GET", "/reports/" + s->id, std::string(kSessionCookie) + "=" + m.token);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h2 id=\"disclosure-heading\">Disclosure</h2>"), std::string::npos);
  EXPECT_NE(page.body.find("A summary for the panel"), std::string::npos);
  EXPECT_NE(page.body.find("Overflow &lt;b&gt;here&lt;/b&gt;"), std::string::npos);
}

// The patch engine's panel: revisions with their patches, and the approve button for staff.
TEST_F(WebTest, ReportPageShowsThePatchPanelAndApprovesARevision) {
  web_->panels.patches = PatchPanel(*patches_);
  web_->panels.approve = PatchApproveAction(*patches_);
  SubmitRequest req;
  req.fields.subject = "Overflow";
  req.fields.steps = "steps";
  req.reporter_email = "rita@example.org";
  Result<Submitted> s = reports_->Submit(Principal{}, req);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const std::string mbox =
      "From 1234567890123456789012345678901234567890 Mon Sep 17 00:00:00 2001\n"
      "From: Fiona Fixer <fiona@example.org>\n"
      "Date: Tue, 3 Mar 2026 10:00:00 +0000\n"
      "Subject: [PATCH] Check <the> length\n\n"
      "---\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
      "diff --git a/a.c b/a.c\nindex 1111111..2222222 100644\n--- a/a.c\n+++ b/a.c\n"
      "@@ -1 +1 @@\n-int a;\n+int a = 0;\n-- \n2.39.2\n";
  ASSERT_TRUE(patches_->SubmitSeries(local_, s->id, mbox, {}).ok());
  NewSession m = Login("alice@example.org", "alice-password");
  const std::string cookie = std::string(kSessionCookie) + "=" + m.token;
  HttpResponse page = Call("GET", "/reports/" + s->id, cookie);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h2 id=\"patches-heading\">Patches</h2>"), std::string::npos);
  EXPECT_NE(page.body.find("Check &lt;the&gt; length"), std::string::npos);
  EXPECT_NE(page.body.find("Fiona Fixer &lt;fiona@example.org&gt;"), std::string::npos);
  EXPECT_NE(page.body.find(">Approve s1v1</button>"), std::string::npos);
  // Without the form's token: refused. With it: approved, and the button is gone.
  EXPECT_EQ(Call("POST", "/reports/" + s->id + "/approve", cookie, "revision=s1v1").status, 403);
  HttpResponse approved = Call("POST", "/reports/" + s->id + "/approve", cookie,
                               "_csrf=" + CsrfToken(m.token) + "&revision=s1v1");
  EXPECT_EQ(approved.status, 200);
  EXPECT_NE(approved.body.find("s1v1 approved by alice@example.org."), std::string::npos);
  EXPECT_NE(approved.body.find("<span class=\"badge ok\">approved</span>"), std::string::npos);
  EXPECT_EQ(approved.body.find(">Approve s1v1</button>"), std::string::npos);
  HttpResponse again = Call("POST", "/reports/" + s->id + "/approve", cookie,
                            "_csrf=" + CsrfToken(m.token) + "&revision=s1v1");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("s1v1 is already approved by alice@example.org"), std::string::npos);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

// Issue 20 item 9: a refused form comes back with what was typed, as text: bytes that are not
// UTF-8 become U+FFFD instead of going into the page.
TEST_F(WebTest, ARefusedReportFormEchoesOnlyWellFormedText) {
  const std::string visitor = std::string(web::kVisitorCookie) + "=visitor-secret";
  HttpResponse refused = Call("POST", "/report", visitor,
                              "_csrf=" + CsrfToken("visitor-secret") +
                                  "&subject=Heap%FFoverflow&steps=&reporter_name=R%C3%A9mi%C3");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(FirstInvalidUtf8(refused.body), std::string::npos);
  EXPECT_NE(refused.body.find("value=\"Heap\xEF\xBF\xBDoverflow\""), std::string::npos);
  EXPECT_NE(refused.body.find("value=\"R\xC3\xA9mi\xEF\xBF\xBD\""), std::string::npos);
}

// A project's own report form ([report_form]): its labels and help on the form, the landing
// page's mail template and the report pages; a required field refused when left empty, with
// the form sent back; a mailed report is never refused for it.
// The fix author's credit page behind their credit link: one question, nothing of the report.
class CreditPageWebTest : public WebTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(WebTest::SetUp());
    // The report service reads credit links with the secrets key.
    router_.reset();
    web_.reset();
    workspace_.reset();
    reports_ = std::make_unique<ReportService>(*store_, clock_, config_, &totp_box_);
    workspace_ = std::make_unique<WorkspaceService>(*reports_, *store_, clock_, config_);
    router_ = std::make_unique<Router>(*reports_, *limiter_);
    web_ = std::make_unique<WebContext>(
        WebContext{*reports_, *sessions_, *workspace_, config_, clock_, renderer_, {}});
    AddWebRoutes(*router_, *web_);
    approved_ = std::make_unique<PatchRevisionSource>(*store_, config_);
    advisories_ = std::make_unique<AdvisoryService>(*store_, clock_, config_, *approved_);
    AddCreditPageRoutes(*router_, *web_, *advisories_);
    report_ = SubmitReport("Overflow in SECRET_FUNCTION");
    DraftCredit c;
    c.email = "fiona@example.com";
    c.name = "Fiona <Fixer>";
    c.type = advisory::CreditType::kRemediationDeveloper;
    c.source = "patch-author";
    ASSERT_TRUE(advisories_->SetCredit(local_, report_.id, c).ok());
    token_ = MakeCreditLinkToken(
        totp_box_, {report_.id, "fiona@example.com", testing::kT0 + 10 * kMicrosPerDay});
  }
  void TearDown() override {
    router_.reset();
    web_.reset();
    advisories_.reset();
    WebTest::TearDown();
  }
  const DraftCredit& Fiona() {
    draft_ = *advisories_->Draft(report_.id);
    for (const DraftCredit& c : draft_.credits) {
      if (c.email == "fiona@example.com") return c;
    }
    static const DraftCredit none;
    return none;
  }
  HttpResponse Answer(const std::string& fields) {
    return Call("POST", "/credit/" + token_, "", "_csrf=" + CsrfToken(token_) + "&" + fields);
  }

  std::unique_ptr<PatchRevisionSource> approved_;
  std::unique_ptr<AdvisoryService> advisories_;
  Submitted report_;
  std::string token_;
  AdvisoryDraft draft_;
};

TEST_F(CreditPageWebTest, TheAuthorAnswersThroughTheirLinkAndSeesNothingOfTheReport) {
  HttpResponse page = Call("GET", "/credit/" + token_);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("How should we credit your fix?"), std::string::npos);
  EXPECT_NE(page.body.find("the fix for report " + report_.id + "."), std::string::npos);
  EXPECT_NE(page.body.find("value=\"Fiona &lt;Fixer&gt;\""), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("<Fixer>"), std::string::npos);
  EXPECT_EQ(page.body.find("SECRET"), std::string::npos);
  EXPECT_NE(page.body.find("action=\"/credit/" + token_ + "\""), std::string::npos);
  EXPECT_NE(page.body.find("value=\"named\" checked"), std::string::npos);
  EXPECT_NE(page.body.find("You have not answered yet."), std::string::npos);

  // Without the form's token: refused, nothing recorded.
  HttpResponse forged = Call("POST", "/credit/" + token_, "", "consent=declined");
  EXPECT_EQ(forged.status, 403);
  EXPECT_EQ(Fiona().consent, CreditConsent::kPending);

  HttpResponse saved = Answer("consent=anonymous");
  EXPECT_EQ(saved.status, 303) << saved.body;
  EXPECT_EQ(Header(saved, "Location"), "/credit/" + token_ + "?saved=1");
  EXPECT_EQ(Fiona().consent, CreditConsent::kAnonymous);
  page = Call("GET", "/credit/" + token_ + "?saved=1");
  EXPECT_NE(page.body.find("Saved."), std::string::npos);
  EXPECT_NE(page.body.find("value=\"anonymous\" checked"), std::string::npos);
  EXPECT_EQ(page.body.find("You have not answered yet."), std::string::npos);

  ASSERT_EQ(Answer("consent=named&name=Fiona+F.").status, 303);
  EXPECT_EQ(Fiona().consent, CreditConsent::kNamed);
  EXPECT_EQ(Fiona().name, "Fiona F.");
  EXPECT_EQ(store_->Events(report_.id)->back().actor,
            "credit-link:" + report_.id + "/fiona@example.com");

  // A refused answer: the page again, with the message and what was sent, as text.
  HttpResponse refused = Answer("consent=whatever&name=%FF%3Cb%3E");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("choose how to be credited: named, anonymous or not at all"),
            std::string::npos);
  EXPECT_NE(refused.body.find("value=\"\xEF\xBF\xBD&lt;b&gt;\""), std::string::npos)
      << refused.body;
  EXPECT_EQ(Fiona().consent, CreditConsent::kNamed);
}

TEST_F(CreditPageWebTest, TheLinkOpensNothingElseAndIsRefusedAlteredOrExpired) {
  // Not a tracking link: the report's page, thread and files stay closed to it.
  for (const std::string& path : {"/track/" + token_, "/track/" + token_ + "/files/1"}) {
    HttpResponse r = Call("GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find("this link is not valid"), std::string::npos) << path;
  }
  HttpResponse reply =
      Call("POST", "/track/" + token_ + "/reply", "", "_csrf=" + CsrfToken(token_) + "&body=hello");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(store_->Thread(report_.id)->size(), 0u);

  // A reporter's tracking link is no credit link either.
  HttpResponse with_capability = Call("GET", "/credit/" + report_.token);
  EXPECT_EQ(with_capability.status, 403);
  EXPECT_NE(with_capability.body.find("not allowed to answer the credit request of " + report_.id),
            std::string::npos);

  std::string altered = token_;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  HttpResponse bad = Call("GET", "/credit/" + altered);
  EXPECT_EQ(bad.status, 404);
  EXPECT_NE(bad.body.find("this link is not valid"), std::string::npos);
  EXPECT_EQ(Call("GET", "/credit/vgcr_" + std::string(2000, 'A')).status, 404);

  // The credit removed from the draft meanwhile: the link says so.
  AdvisoryDraft d = *advisories_->Draft(report_.id);
  ASSERT_TRUE(advisories_
                  ->Change(local_, report_.id, "advisory.credit",
                           [](const Report&, AdvisoryDraft& draft) {
                             std::erase_if(draft.credits, [](const DraftCredit& c) {
                               return c.email == "fiona@example.com";
                             });
                             return Status::Ok();
                           })
                  .ok());
  HttpResponse gone = Call("GET", "/credit/" + token_);
  EXPECT_EQ(gone.status, 409);
  EXPECT_NE(gone.body.find("there is no fix-author credit for fiona@example.com on " + report_.id +
                           " any more; write to the security team"),
            std::string::npos);

  clock_.Advance(10 * kMicrosPerDay);
  HttpResponse late = Call("GET", "/credit/" + token_);
  EXPECT_EQ(late.status, 403);
  EXPECT_NE(late.body.find("this credit link expired on " +
                           web::Utc(testing::kT0 + 10 * kMicrosPerDay).substr(0, 10)),
            std::string::npos)
      << late.body;
}

class CustomFormWebTest : public WebTest {
 protected:
  void SetUp() override {
    ReportForm form = KubernetesReportForm();
    form.fields.erase(form.fields.begin() + 3, form.fields.end());  // subject, steps, cluster
    form.fields[2].label = "Blast radius";
    form.fields[2].help = "Who is hit & how.";
    form.fields[2].required = true;
    config_.report_form = form;
    WebTest::SetUp();
  }
};

TEST_F(CustomFormWebTest, TheConfiguredFormIsWhatReportersSeeAndFill) {
  const std::string visitor = std::string(web::kVisitorCookie) + "=visitor-secret";
  HttpResponse form = Call("GET", "/report", visitor);
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("<label for=\"f-effects_cluster\">Blast radius <span class=\"req\""),
            std::string::npos);
  EXPECT_NE(form.body.find("Who is hit &amp; how."), std::string::npos);
  for (const char* absent : {"f-effects_applications", "f-workflows", "Effects on the cluster"}) {
    EXPECT_EQ(form.body.find(absent), std::string::npos) << absent;
  }
  HttpResponse landing = Call("GET", "/", visitor);
  EXPECT_NE(landing.body.find("Reproduction steps:\n(Exact steps"), std::string::npos);
  EXPECT_NE(landing.body.find("\nBlast radius:\n(Who is hit &amp; how. Required.)\n"),
            std::string::npos)
      << landing.body;

  const std::string csrf = "_csrf=" + CsrfToken("visitor-secret");
  HttpResponse refused =
      Call("POST", "/report", visitor, csrf + "&subject=Overflow&steps=run+it&effects_cluster=+");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("Blast radius (effects_cluster) is required"), std::string::npos);
  EXPECT_NE(refused.body.find("value=\"Overflow\""), std::string::npos);
  HttpResponse sent = Call(
      "POST", "/report", visitor,
      csrf + "&subject=Overflow&steps=run+it&effects_cluster=everyone" + "&workflows=not+asked");
  ASSERT_EQ(sent.status, 303) << sent.body;
  const std::string location = Header(sent, "Location");
  const std::string token = location.substr(7, location.find('?') - 7);
  HttpResponse page = Track(token);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Blast radius"), std::string::npos);
  EXPECT_NE(page.body.find("everyone"), std::string::npos);
  EXPECT_EQ(page.body.find("not asked"), std::string::npos);  // a field the form does not ask

  SubmitRequest mailed;  // as the mail gateway submits a mail read by its headings
  mailed.fields.subject = "By mail";
  mailed.fields.steps = "it crashes";
  mailed.free_text = true;
  EXPECT_TRUE(reports_->Submit(Principal{}, mailed).ok());
  mailed.free_text = false;
  EXPECT_EQ(reports_->Submit(Principal{}, mailed).status().message(),
            "Blast radius (effects_cluster) is required");
}

// A mail held from an unverified sender: on the staff page, marked and with a Release button;
// on the reporter's page, absent until released (then as the coordinator's message).
TEST_F(WebTest, AHeldMailIsShownToStaffOnlyAndReleasedFromThePage) {
  Submitted a = SubmitReport("Heap overflow");
  ASSERT_TRUE(
      reports_->HoldMessage("mallory@example.com", "Mallory", a.id, "Run <this> PoC", "unproven")
          .ok());
  NewSession m = Login("alice@example.org", "alice-password");
  const std::string cookie = std::string(kSessionCookie) + "=" + m.token;
  HttpResponse staff = Call("GET", "/reports/" + a.id, cookie);
  EXPECT_EQ(staff.status, 200);
  EXPECT_NE(staff.body.find("<span class=\"badge\">unverified sender, not relayed</span>"),
            std::string::npos);
  EXPECT_NE(staff.body.find("Run &lt;this&gt; PoC"), std::string::npos);
  EXPECT_NE(staff.body.find(">Release to everyone</button>"), std::string::npos);
  const std::string reporter = "vigil_track=" + a.token;
  HttpResponse before = Call("GET", "/track/" + a.id, reporter);
  EXPECT_EQ(before.status, 200);
  EXPECT_EQ(before.body.find("PoC"), std::string::npos);
  EXPECT_EQ(Call("POST", "/reports/" + a.id + "/release", cookie, "seq=1").status, 403);
  HttpResponse released = Call("POST", "/reports/" + a.id + "/release", cookie,
                               "_csrf=" + CsrfToken(m.token) + "&seq=1");
  EXPECT_EQ(released.status, 200);
  EXPECT_NE(released.body.find("Message 1 released to everyone on the report."), std::string::npos);
  HttpResponse after = Call("GET", "/track/" + a.id, reporter);
  EXPECT_NE(after.body.find("Released by alice@example.org from an unverified sender, "
                            "mallory@example.com:\n\nRun &lt;this&gt; PoC"),
            std::string::npos)
      << after.body;
  HttpResponse again = Call("POST", "/reports/" + a.id + "/release", cookie,
                            "_csrf=" + CsrfToken(m.token) + "&seq=1");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("message 1 of " + a.id + " is already released"), std::string::npos);
}

}  // namespace
}  // namespace vigil
