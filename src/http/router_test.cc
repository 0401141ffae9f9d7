// The authorization matrix (every principal against every route) and the API's answers to bad
// input, exercised through the router exactly as the server calls it.
#include "http/router.h"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <algorithm>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "http/advisory_api.h"
#include "http/mail_api.h"
#include "http/patch_api.h"
#include "http/report_api.h"
#include "http/work_queue.h"
#include "service/advisory_service.h"
#include "service/credentials.h"
#include "service/disclosure_service.h"
#include "service/mail_admin_service.h"
#include "service/patch_service.h"
#include "service/report_service.h"
#include "store/sqlite_store.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

enum class Expect { kAllowed, kUnauthenticated, kForbidden, kHidden };

class ApiTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    config_.maintainers = {"alice@example.org"};
    config_.submit_per_minute = 1000;
    config_.data_dir = dir_.path();
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    limiter_ = std::make_unique<RateLimiter>(*store_, clock_, config_.submit_per_minute);
    router_ = std::make_unique<Router>(*reports_, *limiter_);
    AddReportApiRoutes(*router_, *reports_, metrics_);
    mail_admin_ = std::make_unique<MailAdminService>(*store_, clock_);
    AddMailRoutes(*router_, *mail_admin_, config_);
    approved_ = std::make_unique<PatchRevisionSource>(*store_, config_);
    advisories_ = std::make_unique<AdvisoryService>(*store_, clock_, config_, *approved_);
    disclosure_ = std::make_unique<DisclosureService>(*store_, clock_, config_, *approved_,
                                                      *advisories_, nullptr);
    AddAdvisoryRoutes(*router_, *advisories_, *disclosure_);
    AddPatchRoutes(*router_, *patches_);

    auto account = [&](const char* email, AccountRole role) {
      EXPECT_TRUE(reports_->AddAccount(local_, email, "", role, "").ok());
      return *reports_->CreateApiToken(local_, email, "test", 30);
    };
    tokens_["maintainer"] = account("alice@example.org", AccountRole::kMaintainer);
    tokens_["admin"] = account("root@example.org", AccountRole::kAdmin);
    tokens_["member-collaborator"] = account("mia@example.org", AccountRole::kMember);
    tokens_["member-elsewhere"] = account("max@example.org", AccountRole::kMember);
    tokens_["disabled"] = account("dis@example.org", AccountRole::kMaintainer);
    EXPECT_TRUE(reports_->SetAccountDisabled(local_, "dis@example.org", true).ok());
    tokens_["expired"] = *reports_->CreateApiToken(local_, "alice@example.org", "short", 1);
    tokens_["revoked"] = account("rev@example.org", AccountRole::kAdmin);
    EXPECT_TRUE(reports_->RevokeApiToken(local_, tokens_["revoked"]).ok());

    SubmitRequest req;
    req.fields.subject = "Heap overflow";
    req.fields.steps = "send a long header";
    req.reporter_email = "rita@example.org";
    Submitted mine = *reports_->Submit(Principal{}, req);
    req.reporter_email = "otto@example.org";
    Submitted other = *reports_->Submit(Principal{}, req);
    id_ = mine.id;
    other_id_ = other.id;
    tokens_["reporter"] = mine.token;
    tokens_["reporter-elsewhere"] = other.token;
    tokens_["collaborator"] =
        reports_->Invite(local_, id_, "carl@example.org", "", Role::kCollaborator)->token;
    tokens_["collaborator-elsewhere"] =
        reports_->Invite(local_, other_id_, "cora@example.org", "", Role::kCollaborator)->token;
    tokens_["observer"] =
        reports_->Invite(local_, id_, "olga@example.org", "", Role::kObserver)->token;
    EXPECT_TRUE(reports_->Invite(local_, id_, "mia@example.org", "", Role::kCollaborator).ok());
    tokens_["anonymous"] = "";
    // A second token per account, for the matrix to revoke by id.
    for (const auto& [who, email] :
         std::map<std::string, std::string>{{"maintainer", "alice@example.org"},
                                            {"admin", "root@example.org"},
                                            {"member-collaborator", "mia@example.org"},
                                            {"member-elsewhere", "max@example.org"}}) {
      spare_ids_[who] =
          TokenHashLabel(TokenHash(*reports_->CreateApiToken(local_, email, "spare", 30)));
    }
    clock_.Advance(2 * kMicrosPerDay);  // the "expired" token is now past its day
  }

  void TearDown() override {
    router_.reset();
    disclosure_.reset();
    advisories_.reset();
    CloseServices();
  }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.target = target;
    if (!token.empty()) req.authorization = "Bearer " + token;
    if (!body.empty()) req.content_type = "application/json";
    req.body = body;
    req.client_address = "127.0.0.1";
    std::string route;
    return router_->Handle(req, &route);
  }

  Metrics metrics_;
  std::unique_ptr<PatchRevisionSource> approved_;
  std::unique_ptr<AdvisoryService> advisories_;
  std::unique_ptr<DisclosureService> disclosure_;
  std::unique_ptr<MailAdminService> mail_admin_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Router> router_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, std::string> spare_ids_;  // by principal: a token id of their account
  std::string id_, other_id_;
};

// What each principal may do, by the action a route is authorized for.
Expect Expected(const std::string& who, std::optional<Action> action) {
  if (!action || *action == Action::kSubmit) {
    // Public routes; a submission with a bad credential is refused rather than made anonymous.
    const std::set<std::string> bad = {"disabled", "expired", "revoked"};
    return action && bad.count(who) ? Expect::kUnauthenticated : Expect::kAllowed;
  }
  if (who == "anonymous" || who == "disabled" || who == "expired" || who == "revoked") {
    return Expect::kUnauthenticated;
  }
  const bool staff = who == "maintainer" || who == "admin";
  switch (*action) {
    case Action::kList:
      return Expect::kAllowed;
    case Action::kMetrics:
      return staff ? Expect::kAllowed : Expect::kForbidden;
    case Action::kAdminister:
      return who == "admin" ? Expect::kAllowed : Expect::kForbidden;
    case Action::kManageTokens: {
      // Accounts (their own tokens; admins everyone's), not capabilities.
      const std::set<std::string> accounts = {"maintainer", "admin", "member-collaborator",
                                              "member-elsewhere"};
      return accounts.count(who) ? Expect::kAllowed : Expect::kForbidden;
    }
    default:
      break;
  }
  const std::set<std::string> on_report = {"reporter", "collaborator", "observer",
                                           "member-collaborator"};
  if (!staff && !on_report.count(who)) return Expect::kHidden;
  switch (*action) {
    case Action::kRead:
    case Action::kPost:
      return Expect::kAllowed;
    case Action::kTriage:
    case Action::kAudit:
      return staff ? Expect::kAllowed : Expect::kForbidden;
    case Action::kWithdraw:
      return who == "reporter" ? Expect::kAllowed : Expect::kForbidden;
    case Action::kSubmitPatch:
      return who == "observer" ? Expect::kForbidden : Expect::kAllowed;
    case Action::kApprovePatch:
      return staff ? Expect::kAllowed : Expect::kForbidden;
    case Action::kManageParticipants:
      // The admin, and the maintainer as the report's coordinator (assigned by then).
      return staff ? Expect::kAllowed : Expect::kForbidden;
    default:
      return Expect::kForbidden;
  }
}

TEST_F(ApiTest, AuthorizationMatrixOverEveryRoute) {
  int unique = 0;
  // A valid body per route, so that an allowed call fails, if at all, on the report's state.
  auto body_for = [&](const std::string& pattern) -> std::string {
    const std::string n = std::to_string(unique++);
    if (pattern == "/api/v1/reports") return R"({"subject":"s","steps":"x"})";
    if (pattern.ends_with("/assign")) return R"({"coordinator":"alice@example.org"})";
    if (pattern.ends_with("/reject")) return R"({"reason":"no"})";
    if (pattern.ends_with("/duplicate")) return R"({"of":")" + other_id_ + "\"}";
    if (pattern.ends_with("/classify")) return R"({"level":2})";
    if (pattern.ends_with("/embargo")) return R"({"end":"2026-10-01T00:00:00Z","reason":"r"})";
    if (pattern.ends_with("/participants")) {
      return R"({"email":"p)" + n + R"(@example.org","role":"observer"})";
    }
    if (pattern.ends_with("/messages")) return R"({"body":"hello"})";
    // Nobody to remove or relink: an allowed call is refused for the email (400), nothing else.
    if (pattern.ends_with("/participants/remove") || pattern.ends_with("/participants/relink") ||
        pattern.ends_with("/participants/unbounce")) {
      return R"({"email":"nobody@example.org"})";
    }
    // The disclose module's routes (advisory_api.cc).
    if (pattern.ends_with("/advisory")) return R"({"title":"Heap overflow )" + n + "\"}";
    if (pattern.ends_with("/advisory/credits")) {
      return R"({"name":"N )" + n + R"(","type":"analyst","consent":"named"})";
    }
    if (pattern.ends_with("/advisory/consent")) return R"({"consent":"anonymous"})";
    if (pattern.ends_with("/advisory/id")) return R"({"id":"CVE-2026-12345"})";
    if (pattern.ends_with("/plan")) {
      return R"({"slot":"2026-12-08T15:00:00Z","on_duty":"alice@example.org"})";
    }
    if (pattern.ends_with("/redaction")) return R"({"title":"t","text":"x"})";
    if (pattern.ends_with("/plan/unschedule")) return R"({"reason":"r"})";
    if (pattern == "/api/v1/accounts")
      return R"({"email":"a)" + n + R"(@example.org","role":"member"})";
    if (pattern == "/api/v1/tokens") return R"({"account":"mia@example.org"})";
    if (pattern.ends_with("/keys")) return R"({"email":"carl@example.org","key":"not a key"})";
    return "";
  };
  int checked = 0;
  for (const Endpoint& route : router_->routes()) {
    for (const auto& [who, token] : tokens_) {
      std::string target = route.pattern;
      if (auto pos = target.find("{id}"); pos != std::string::npos) target.replace(pos, 4, id_);
      if (auto pos = target.find("{n}"); pos != std::string::npos) target.replace(pos, 3, "1");
      // Message 1 exists (POST /messages comes first) and is not held: an allowed release gets
      // 409.
      if (auto pos = target.find("{seq}"); pos != std::string::npos) target.replace(pos, 5, "1");
      if (auto pos = target.find("{revision}"); pos != std::string::npos) {
        target.replace(pos, 10, "s1v1");  // none exists: an allowed call gets 400, not 404
      }
      if (auto pos = target.find("{token_id}"); pos != std::string::npos) {
        // The caller's own spare token: an allowed call revokes it (once: one route).
        const auto spare = spare_ids_.find(who);
        target.replace(pos, 10, spare == spare_ids_.end() ? "0123456789ab" : spare->second);
      }
      HttpResponse r = Call(route.method, target, token, body_for(route.pattern));
      const Expect want = Expected(who, route.action);
      SCOPED_TRACE(who + " " + route.method + " " + route.pattern + " -> " +
                   std::to_string(r.status) + " " + r.body);
      switch (want) {
        case Expect::kAllowed:
          EXPECT_TRUE(r.status != 401 && r.status != 403 && r.status != 404 && r.status < 500);
          break;
        case Expect::kUnauthenticated:
          EXPECT_EQ(r.status, 401);
          EXPECT_EQ(r.body, "{\"error\":{\"code\":\"unauthenticated\",\"message\":\"" +
                                std::string(token.empty() ? "authentication required"
                                                          : "invalid credentials") +
                                "\"}}\n");
          break;
        case Expect::kForbidden:
          EXPECT_EQ(r.status, 403);
          break;
        case Expect::kHidden:
          EXPECT_EQ(r.status, 404);
          EXPECT_EQ(r.body, "{\"error\":{\"code\":\"not_found\",\"message\":\"report " + id_ +
                                " not found\"}}\n");
          break;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(router_->routes().size() * tokens_.size()));
  EXPECT_GE(router_->routes().size(), 30u);
}

TEST_F(ApiTest, OpenApiDescribesEveryRoute) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/docs/openapi.yaml");
  const std::string spec((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(spec.empty());
  for (const Endpoint& e : router_->routes()) {
    if (e.credential != CredentialSource::kBearer) continue;  // HTML pages are not the API
    std::string method = e.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const size_t at = spec.find("\n  " + e.pattern + ":\n");
    EXPECT_NE(at, std::string::npos) << e.pattern << " is not in docs/openapi.yaml";
    if (at == std::string::npos) continue;
    const size_t next = spec.find("\n  /", at + 1);
    EXPECT_NE(spec.substr(at, next - at).find("\n    " + method + ":"), std::string::npos)
        << e.method << " " << e.pattern << " is not in docs/openapi.yaml";
  }
}

TEST_F(ApiTest, TokensAreListedAndRevokedByIdOverTheApi) {
  const std::string mia = tokens_["member-collaborator"], admin = tokens_["admin"];
  auto id = [](const std::string& token) { return TokenHashLabel(TokenHash(token)); };
  auto Text = [](const boost::json::value& v) { return std::string(v.as_string()); };
  auto error = [](const std::string& code, const std::string& message) {
    return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}\n";
  };

  // An admin issues a token without a lifetime: it gets web.api_token_days (90).
  HttpResponse made = Call("POST", "/api/v1/tokens", admin, R"({"account":"mia@example.org"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string fresh = std::string(boost::json::parse(made.body).at("token").as_string());
  EXPECT_EQ(made.body, "{\"token\":\"" + fresh + "\",\"id\":\"" + id(fresh) + "\"}\n");
  HttpResponse forever =
      Call("POST", "/api/v1/tokens", admin, R"({"account":"mia@example.org","expires_days":0})");
  ASSERT_EQ(forever.status, 201);
  EXPECT_EQ(Text(boost::json::parse(forever.body).at("warning")), "this API token never expires");

  // Mia lists her own tokens, oldest first; neither list holds a hash beyond the id.
  HttpResponse list = Call("GET", "/api/v1/tokens", mia);
  ASSERT_EQ(list.status, 200) << list.body;
  const boost::json::array items = boost::json::parse(list.body).at("tokens").as_array();
  ASSERT_EQ(items.size(), 4u);  // "test", "spare", the fresh one, the one that never expires
  EXPECT_EQ(Text(items[0].at("id")), id(mia));
  EXPECT_EQ(Text(items[0].at("account")), "mia@example.org");
  EXPECT_EQ(Text(items[0].at("label")), "test");
  EXPECT_EQ(Text(items[0].at("created_at")), FormatUtc(testing::kT0));
  EXPECT_EQ(Text(items[0].at("expires_at")), FormatUtc(testing::kT0 + 30 * kMicrosPerDay));
  EXPECT_TRUE(items[0].at("revoked_at").is_null());
  EXPECT_EQ(Text(items[0].at("state")), "live");
  EXPECT_EQ(Text(items[2].at("id")), id(fresh));
  EXPECT_EQ(Text(items[2].at("expires_at")), FormatUtc(clock_.Now() + 90 * kMicrosPerDay));
  EXPECT_TRUE(items[3].at("expires_at").is_null());
  HttpResponse everyone = Call("GET", "/api/v1/tokens", admin);
  for (const auto& [who, token] : tokens_) {
    if (!token.starts_with("vgt_")) continue;
    EXPECT_EQ(list.body.find(TokenHash(token).substr(16 + 12)), std::string::npos) << who;
    EXPECT_EQ(everyone.body.find(TokenHash(token).substr(16 + 12)), std::string::npos) << who;
    EXPECT_NE(everyone.body.find(id(token)), std::string::npos) << who;
  }
  EXPECT_EQ(Call("GET", "/api/v1/tokens?email=mia%40example.org", admin).body, list.body);
  EXPECT_EQ(Call("GET", "/api/v1/tokens?email=mia@example.org", mia).body, list.body);
  HttpResponse others = Call("GET", "/api/v1/tokens?email=alice@example.org", mia);
  EXPECT_EQ(others.status, 404);
  EXPECT_EQ(others.body, error("not_found", "account alice@example.org not found"));

  // Someone else's token id is as unknown as one that does not exist.
  HttpResponse foreign = Call("DELETE", "/api/v1/tokens/" + id(tokens_["maintainer"]), mia);
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(foreign.body, error("not_found", "no API token with id " + id(tokens_["maintainer"])));
  HttpResponse unknown = Call("DELETE", "/api/v1/tokens/0123456789ab", mia);
  EXPECT_EQ(unknown.body, error("not_found", "no API token with id 0123456789ab"));
  HttpResponse bad = Call("DELETE", "/api/v1/tokens/xyz", mia);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, error("invalid_argument", "an API token id is 12 hex digits"));

  // Mia revokes her fresh token; the admin the one that never expires.
  HttpResponse gone = Call("DELETE", "/api/v1/tokens/" + id(fresh), mia);
  EXPECT_EQ(gone.status, 200);
  EXPECT_EQ(gone.body, "{\"id\":\"" + id(fresh) + "\",\"state\":\"revoked\"}\n");
  EXPECT_EQ(Call("GET", "/api/v1/whoami", fresh).status, 401);
  HttpResponse twice = Call("DELETE", "/api/v1/tokens/" + id(fresh), mia);
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(twice.body, error("conflict", "API token " + id(fresh) + " is already revoked"));
  const std::string never = std::string(boost::json::parse(forever.body).at("token").as_string());
  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/" + id(never), admin).status, 200);
  HttpResponse after = Call("GET", "/api/v1/tokens", mia);
  const boost::json::array states = boost::json::parse(after.body).at("tokens").as_array();
  EXPECT_EQ(Text(states[2].at("state")), "revoked");
  EXPECT_EQ(Text(states[2].at("revoked_at")), FormatUtc(clock_.Now()));
  EXPECT_EQ(Text(states[3].at("state")), "revoked");

  // A capability is no account.
  HttpResponse cap = Call("GET", "/api/v1/tokens", tokens_["reporter"]);
  EXPECT_EQ(cap.status, 403);
  EXPECT_EQ(cap.body, error("permission_denied", "not allowed to manage API tokens"));
}

TEST_F(ApiTest, MailAdminRoutes) {
  const std::string admin = tokens_["admin"];
  HttpResponse list = Call("GET", "/api/v1/mail/outbox?state=pending", admin);
  ASSERT_EQ(list.status, 200);
  const boost::json::value parsed = boost::json::parse(list.body);
  const auto& rows = parsed.at("outbox").as_array();
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].at("kind").as_string(), "embargo-reminder");
  EXPECT_EQ(rows[0].as_object().if_contains("body"), nullptr);  // bodies stay out of listings
  EXPECT_EQ(Call("GET", "/api/v1/mail/outbox?state=lost", admin).body,
            "{\"error\":{\"code\":\"invalid_argument\",\"message\":\"state must be pending, "
            "sending, sent or dead\"}}\n");
  EXPECT_EQ(Call("POST", "/api/v1/mail/outbox/x1/retry", admin).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/mail/outbox/999999/retry", admin).status, 404);
  // One mail in full: for the admin, and through its report for whoever may triage it.
  const int64_t n = rows[0].at("id").as_int64();
  const std::string report = std::string(rows[0].at("report_id").as_string());
  HttpResponse shown = Call("GET", "/api/v1/mail/outbox/" + std::to_string(n), admin);
  ASSERT_EQ(shown.status, 200) << shown.body;
  const boost::json::value mail = boost::json::parse(shown.body);
  const std::string text = std::string(mail.at("text").as_string());
  EXPECT_NE(text.find("To: " + std::string(rows[0].at("recipient").as_string()) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Subject: [" + report + "] "), std::string::npos) << text;
  EXPECT_NE(text.find("\n\n"), std::string::npos);
  EXPECT_EQ(mail.at("encrypted").as_bool(), false);
  HttpResponse via_report = Call("GET", "/api/v1/reports/" + report + "/mail/" + std::to_string(n),
                                 tokens_["maintainer"]);
  EXPECT_EQ(via_report.status, 200);
  EXPECT_EQ(via_report.body, shown.body);
  const std::string elsewhere = report == id_ ? other_id_ : id_;
  HttpResponse wrong_report = Call(
      "GET", "/api/v1/reports/" + elsewhere + "/mail/" + std::to_string(n), tokens_["maintainer"]);
  EXPECT_EQ(wrong_report.status, 404);
  EXPECT_EQ(boost::json::parse(wrong_report.body).at("error").at("message").as_string(),
            "no outbox mail " + std::to_string(n) + " about " + elsewhere);
  EXPECT_EQ(Call("GET", "/api/v1/mail/outbox/999999", admin).body,
            "{\"error\":{\"code\":\"not_found\",\"message\":\"no outbox mail 999999\"}}\n");
  EXPECT_EQ(Call("GET", "/api/v1/mail/outbox/" + std::to_string(n), tokens_["maintainer"]).status,
            403);
  HttpResponse outsider = Call("POST", "/api/v1/reports/" + id_ + "/keys", tokens_["maintainer"],
                               R"({"email":"eve@example.org","key":"x"})");
  EXPECT_EQ(outsider.status, 400);
  EXPECT_EQ(boost::json::parse(outsider.body).at("error").at("message").as_string(),
            "eve@example.org is not a participant of " + id_);
  HttpResponse not_a_key = Call("POST", "/api/v1/reports/" + id_ + "/keys", tokens_["maintainer"],
                                R"({"email":"carl@example.org","key":"x"})");
  EXPECT_EQ(not_a_key.status, 400);
}

TEST_F(ApiTest, HiddenReportsLookLikeMissingOnes) {
  HttpResponse exists = Call("GET", "/api/v1/reports/" + id_, tokens_["reporter-elsewhere"]);
  HttpResponse missing =
      Call("GET", "/api/v1/reports/SEC-2026-9999", tokens_["reporter-elsewhere"]);
  EXPECT_EQ(exists.status, 404);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(
      missing.body,
      "{\"error\":{\"code\":\"not_found\",\"message\":\"report SEC-2026-9999 not found\"}}\n");
  // A capability token with one wrong character is just invalid.
  std::string wrong = tokens_["reporter"];
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(Call("GET", "/api/v1/reports/" + id_, wrong).status, 401);
}

TEST_F(ApiTest, ListsAreFilteredByVisibility) {
  auto count = [&](const std::string& who) {
    HttpResponse r = Call("GET", "/api/v1/reports", tokens_[who]);
    return boost::json::parse(r.body).at("reports").as_array().size();
  };
  EXPECT_EQ(count("maintainer"), 2u);
  EXPECT_EQ(count("reporter"), 1u);
  EXPECT_EQ(count("collaborator-elsewhere"), 1u);
  EXPECT_EQ(count("member-collaborator"), 1u);
  EXPECT_EQ(count("member-elsewhere"), 0u);
}

// The list pages with an opaque cursor, within filters and a search, each page authorised as
// the whole list is; the last page has no cursor; a cursor that was not given out is refused.
TEST_F(ApiTest, TheReportListPagesWithACursorWithinFiltersAndSearch) {
  std::vector<std::string> ids = {other_id_, id_};  // newest first: same instant, id decides
  for (int i = 0; i < 5; ++i) {
    SubmitRequest req;
    req.fields.subject =
        i % 2 ? "Token leak in the scheduler " + std::to_string(i) : "Crash " + std::to_string(i);
    req.fields.steps = "steps";
    Result<Submitted> s = reports_->Submit(Principal{}, req);
    ASSERT_TRUE(s.ok());
    ids.insert(ids.begin(), s->id);
  }
  std::sort(ids.rbegin(), ids.rend());
  ASSERT_TRUE(reports_->Assign(local_, ids[1], "alice@example.org").ok());
  auto all_pages = [&](const std::string& who, const std::string& filters) {
    std::vector<std::string> seen;
    std::string cursor;
    for (int n = 0; n < 20; ++n) {
      HttpResponse r = Call(
          "GET", "/api/v1/reports?limit=2" + filters + (cursor.empty() ? "" : "&cursor=" + cursor),
          tokens_[who]);
      EXPECT_EQ(r.status, 200) << r.body;
      const boost::json::object page = boost::json::parse(r.body).as_object();
      for (const auto& item : page.at("reports").as_array()) {
        seen.emplace_back(item.at("id").as_string());
      }
      if (page.at("next_cursor").is_null()) break;
      cursor = std::string(page.at("next_cursor").as_string());
      EXPECT_EQ(page.at("reports").as_array().size(), 2u);
    }
    return seen;
  };
  EXPECT_EQ(all_pages("maintainer", ""), ids);
  EXPECT_EQ(all_pages("maintainer", "&coordinator=alice@example.org"),
            std::vector<std::string>{ids[1]});
  std::vector<std::string> unassigned = ids;
  unassigned.erase(unassigned.begin() + 1);
  EXPECT_EQ(all_pages("maintainer", "&coordinator=none"), unassigned);
  EXPECT_EQ(all_pages("maintainer", "&q=token%20sched").size(), 2u);
  const bool still_received = reports_->Show(ids[1])->state == State::kReceived;
  EXPECT_EQ(all_pages("maintainer", "&level=none&state=received"),
            still_received ? ids : unassigned);
  EXPECT_EQ(all_pages("maintainer", "&updated_since=2099-01-01T00:00:00Z").size(), 0u);
  // Someone who sees one report sees that one on every page, whatever the filters.
  EXPECT_EQ(all_pages("member-collaborator", ""), std::vector<std::string>{id_});
  EXPECT_EQ(all_pages("reporter-elsewhere", ""), std::vector<std::string>{other_id_});
  EXPECT_TRUE(all_pages("member-elsewhere", "").empty());

  auto error = [&](const std::string& query) {
    HttpResponse r = Call("GET", "/api/v1/reports?" + query, tokens_["maintainer"]);
    EXPECT_EQ(r.status, 400) << query;
    return std::string(boost::json::parse(r.body).at("error").at("message").as_string());
  };
  const std::string bad_cursor =
      "the cursor is not valid: pass the next_cursor of the previous page as is";
  EXPECT_EQ(error("cursor=not-a-cursor!"), bad_cursor);
  EXPECT_EQ(error("cursor=" + EncodeReportCursor({1, "../etc"})), bad_cursor);
  EXPECT_EQ(error("cursor=" + std::string(200, 'A')), bad_cursor);
  EXPECT_EQ(error("limit=0"), "limit must be 1 to 1000");
  EXPECT_EQ(error("level=8"), "level must be 1 to 7, or none (not classified)");
  EXPECT_EQ(error("updated_since=yesterday"),
            "updated_since must be a UTC time like 2026-12-01T00:00:00Z");
  EXPECT_EQ(error("q=" + std::string(257, 'a')), "the search is longer than 256 bytes");
  Result<ReportCursor> back = DecodeReportCursor(EncodeReportCursor({42, "SEC-2026-0001"}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->created_at, 42);
  EXPECT_EQ(back->id, "SEC-2026-0001");
}

TEST_F(ApiTest, BadInputGetsExactErrors) {
  const std::string m = tokens_["maintainer"];
  const std::string url = "/api/v1/reports/" + id_;
  struct Case {
    std::string method, target, body;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/v1/reports", "{", 400, "request body is not valid JSON"},
      {"POST", "/api/v1/reports", "[1]", 400, "request body must be a JSON object"},
      {"POST", "/api/v1/reports", R"({"subject":"s","steps":"x","extra":1})", 400,
       "unknown field \"extra\""},
      {"POST", "/api/v1/reports", R"({"subject":5,"steps":"x"})", 400,
       "field \"subject\" must be a string"},
      {"POST", "/api/v1/reports", R"({"steps":"x"})", 400, "subject is required"},
      {"POST", url + "/classify", R"({"level":"2"})", 400, "field \"level\" must be an integer"},
      {"POST", url + "/classify", R"({"level":9})", 400, "level must be 1 to 7, got 9"},
      {"POST", url + "/classify", R"({})", 400, "field \"level\" is required"},
      {"POST", url + "/confirm", "", 409,
       "cannot confirm " + id_ + ": it is received; confirm needs triage"},
      {"POST", url + "/embargo", R"({"end":"tomorrow"})", 400,
       "invalid UTC time \"tomorrow\": expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"},
      {"POST", url + "/participants", R"({"email":"x@example.org","role":"boss"})", 400,
       "role must be reporter, maintainer, collaborator or observer"},
      {"GET", "/api/v1/reports/SEC-2026-0404", "", 404, "report SEC-2026-0404 not found"},
      {"GET", "/api/v1/reports/..%2F..%2Fetc", "", 404, "report ../../etc not found"},
      {"GET", "/api/v1/reports?state=lost", "", 400, "unknown state \"lost\""},
      {"GET", "/api/v1/reports?limit=0", "", 400, "limit must be 1 to 1000"},
      {"GET", "/api/v1/reports?limit=5x", "", 400, "limit must be 1 to 1000"},
      {"GET", "/api/v1/nothing", "", 404, "no such endpoint"},
      {"DELETE", url, "", 405, "method not allowed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target + " " + c.body);
    HttpResponse r = Call(c.method, c.target, m, c.body);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(boost::json::parse(r.body).at("error").at("message").as_string(), c.message);
  }
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/reports";
  req.content_type = "text/plain";
  req.body = "subject=x";
  std::string route;
  EXPECT_EQ(router_->Handle(req, &route).body,
            "{\"error\":{\"code\":\"invalid_argument\",\"message\":\"Content-Type must be "
            "application/json\"}}\n");
}

TEST_F(ApiTest, SubmissionsAreRateLimitedPerAddress) {
  RateLimiter tight(*store_, clock_, 2);
  Router router(*reports_, tight);
  AddReportApiRoutes(router, *reports_, metrics_);
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/reports";
  req.content_type = "application/json";
  req.body = R"({"subject":"s","steps":"x"})";
  req.client_address = "192.0.2.7";
  std::string route;
  EXPECT_EQ(router.Handle(req, &route).status, 201);
  EXPECT_EQ(router.Handle(req, &route).status, 201);
  HttpResponse limited = router.Handle(req, &route);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.back(), (std::pair<std::string, std::string>{"Retry-After", "60"}));
  req.client_address = "192.0.2.8";
  EXPECT_EQ(router.Handle(req, &route).status, 201);
  clock_.Advance(59 * kMicrosPerSecond);
  req.client_address = "192.0.2.7";
  EXPECT_EQ(router.Handle(req, &route).status, 429);
  clock_.Advance(1 * kMicrosPerSecond);
  req.client_address = "192.0.2.7";
  EXPECT_EQ(router.Handle(req, &route).status, 201);
}

// A level-4 report goes public only redacted and with its public issue: the publish route is
// the disclosure service's public route, never a bare state change.
// Uploads and rechecks run on the work queue, never on the caller's thread, under limits per
// token and per address; a full queue and a busy report are refused at once, with Retry-After.
TEST_F(ApiTest, PatchWorkIsQueuedBoundedAndLimited) {
  RateLimiter limiter(*store_, clock_, 3);
  WorkQueue queue(/*threads=*/1, /*capacity=*/2);
  Router router(*reports_, *limiter_);
  AddPatchRoutes(router, *patches_, {&queue, &limiter});
  auto upload = [&](const std::string& id, const std::string& address = "127.0.0.1") {
    HttpRequest req;
    req.method = "POST";
    req.target = "/api/v1/reports/" + id + "/patches";
    req.authorization = "Bearer " + tokens_["maintainer"];
    req.content_type = "text/plain";
    req.body = "not a patch\n";
    req.client_address = address;
    std::string route;
    return router.Handle(req, &route);
  };
  auto retry_after = [](const HttpResponse& r) {
    for (const auto& [name, value] : r.headers) {
      if (name == "Retry-After") return value;
    }
    return std::string();
  };
  // Run on the queue: the answer is the patch engine's.
  HttpResponse done = upload(id_);
  EXPECT_EQ(done.status, 400) << done.body;
  // The report's previous upload still being checked: 429.
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  auto blocked = [open]() -> std::function<void()> {
    open.wait();
    return {};
  };
  ASSERT_EQ(queue.Post(id_, blocked), WorkQueue::Posted::kQueued);
  HttpResponse busy = upload(id_);
  EXPECT_EQ(busy.status, 429);
  EXPECT_EQ(busy.body,
            "{\"error\":{\"code\":\"rate_limited\",\"message\":\"a patch upload or "
            "recheck of " +
                id_ + " is being checked; retry when it is done\"}}\n");
  EXPECT_EQ(retry_after(busy), "2");
  // Two jobs queued or running: the next is refused, 503.
  ASSERT_EQ(queue.Post("elsewhere", blocked), WorkQueue::Posted::kQueued);
  HttpResponse full = upload(other_id_);
  EXPECT_EQ(full.status, 503);
  EXPECT_NE(full.body.find("patch checks are busy (2 queued or running); retry shortly"),
            std::string::npos)
      << full.body;
  EXPECT_EQ(retry_after(full), "5");
  gate.set_value();
  while (queue.Depth() != 0) std::this_thread::yield();
  // Three a minute for the token: the fourth call, from another address, is refused before it
  // reaches the queue.
  HttpResponse limited = upload(id_, "192.0.2.7");
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("too many patch uploads and rechecks; retry in "), std::string::npos)
      << limited.body;
  EXPECT_FALSE(retry_after(limited).empty());
}

TEST_F(ApiTest, PublishGoesOnlyThroughRedactionAndThePublicIssue) {
  const std::string m = tokens_["maintainer"];
  const std::string url = "/api/v1/reports/" + id_;
  EXPECT_EQ(Call("POST", url + "/assign", m, R"({"coordinator":"alice@example.org"})").status, 200);
  EXPECT_EQ(Call("POST", url + "/confirm", m).status, 200);
  EXPECT_EQ(Call("POST", url + "/classify", m, R"({"level":4})").status, 200);
  auto message = [](const HttpResponse& r) {
    return std::string(boost::json::parse(r.body).at("error").at("message").as_string());
  };
  HttpResponse bad = Call("POST", url + "/publish", m, R"({"publish_closed":"yes"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(message(bad), "field \"publish_closed\" must be a boolean");
  HttpResponse unredacted = Call("POST", url + "/publish", m);
  EXPECT_EQ(unredacted.status, 409);
  EXPECT_EQ(message(unredacted),
            "cannot open a public issue for " + id_ + ": redact its public title and text first");
  EXPECT_EQ(Call("POST", url + "/redaction", m,
                 R"({"title":"Crash on long headers","text":"A long header crashes the parser."})")
                .status,
            200);
  HttpResponse no_forge = Call("POST", url + "/publish", m);
  EXPECT_EQ(no_forge.status, 409);
  EXPECT_EQ(message(no_forge), "cannot open a public issue for " + id_ +
                                   ": no forge configured ([disclosure] forge_api_url)");
  EXPECT_EQ(boost::json::parse(Call("GET", url, m).body).at("state").as_string(), "confirmed");
}

TEST_F(ApiTest, FullWorkflowOverTheApi) {
  const std::string m = tokens_["maintainer"];
  const std::string url = "/api/v1/reports/" + id_;
  EXPECT_EQ(Call("POST", url + "/assign", m, R"({"coordinator":"alice@example.org"})").status, 200);
  EXPECT_EQ(Call("POST", url + "/confirm", m).status, 200);
  HttpResponse classified = Call("POST", url + "/classify", m, R"({"level":1})");
  EXPECT_EQ(classified.status, 200);
  auto report = boost::json::parse(classified.body);
  EXPECT_EQ(report.at("state").as_string(), "fixing");
  EXPECT_EQ(report.at("route").as_string(), "embargoed");
  EXPECT_EQ(Call("POST", url + "/messages", tokens_["reporter"], R"({"body":"thanks"})").status,
            201);
  auto thread = boost::json::parse(Call("GET", url + "/thread", tokens_["collaborator"]).body);
  EXPECT_EQ(thread.at("messages").as_array().size(), 1u);
  auto events = boost::json::parse(Call("GET", url + "/events", m).body);
  // submitted, 3 invitations, assigned, confirmed, classified, message.
  EXPECT_EQ(events.at("events").as_array().size(), 8u);
  HttpResponse metrics = Call("GET", "/metrics", m);
  EXPECT_NE(metrics.body.find("vigil_reports{state=\"fixing\"} 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("vigil_outbox_pending "), std::string::npos);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST_F(ApiTest, AdvisoryDraftOverTheApi) {
  const std::string url = "/api/v1/reports/" + id_ + "/advisory";
  // Participants read the draft, proposed from the report with the reporter as a pending credit.
  HttpResponse draft = Call("GET", url, tokens_["reporter"]);
  ASSERT_EQ(draft.status, 200) << draft.body;
  auto d = boost::json::parse(draft.body);
  EXPECT_EQ(d.at("title").as_string(), "Heap overflow");
  ASSERT_EQ(d.at("credits").as_array().size(), 1u);
  EXPECT_EQ(d.at("credits").at(0).at("email").as_string(), "rita@example.org");
  EXPECT_EQ(d.at("credits").at(0).at("consent").as_string(), "pending");
  // Only staff edit; the exports' validation gives the exact error.
  EXPECT_EQ(Call("POST", url, tokens_["collaborator"], R"({"title":"x"})").status, 403);
  HttpResponse bad = Call("POST", url, tokens_["maintainer"], R"({"cvss":["CVSS:3.1/AV:N"]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(boost::json::parse(bad.body).at("error").at("message").as_string(),
            "CVSS vector 1: missing CVSS v3 base metric \"AC\"");
  HttpResponse edited = Call("POST", url, tokens_["maintainer"],
                             R"({"cvss":["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"],)"
                             R"("ranges":[{"introduced":"0","fixed":"1.4.2"}]})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(boost::json::parse(edited.body).at("scores").at(0).at("scores").as_string(),
            "base 9.8 (Critical), temporal 9.8 (Critical), environmental 9.8 (Critical)");
  // The reporter gives their own consent; a person without a credit cannot.
  HttpResponse named =
      Call("POST", url + "/consent", tokens_["reporter"], R"({"consent":"named"})");
  EXPECT_EQ(named.status, 400);
  EXPECT_EQ(boost::json::parse(named.body).at("error").at("message").as_string(),
            "a named credit needs a name; ask the coordinator to add it");
  EXPECT_EQ(
      Call("POST", url + "/consent", tokens_["reporter"], R"({"consent":"anonymous"})").status,
      200);
  HttpResponse none = Call("POST", url + "/consent", tokens_["observer"], R"({"consent":"named"})");
  EXPECT_EQ(none.status, 409);
  EXPECT_EQ(boost::json::parse(none.body).at("error").at("message").as_string(),
            "no credit for olga@example.org on " + id_);
  HttpResponse osv = Call("GET", url + "/export?format=osv", tokens_["reporter"]);
  ASSERT_EQ(osv.status, 200) << osv.body;
  auto record = boost::json::parse(osv.body);
  EXPECT_EQ(record.at("id").as_string(), "x_" + id_);
  EXPECT_EQ(record.at("credits").at(0).at("name").as_string(), "Anonymous");
  EXPECT_EQ(Call("GET", url + "/export?format=pdf", tokens_["reporter"]).status, 400);
  // Set-id: the advisory is then published under the CVE id.
  HttpResponse cve = Call("POST", url + "/id", tokens_["maintainer"], R"({"id":"CVE-2026-1"})");
  EXPECT_EQ(boost::json::parse(cve.body).at("error").at("message").as_string(),
            "\"CVE-2026-1\" is neither a CVE id (CVE-2026-12345) nor a GHSA id "
            "(GHSA-xxxx-xxxx-xxxx)");
  EXPECT_EQ(Call("POST", url + "/id", tokens_["maintainer"], R"({"id":"CVE-2026-4242"})").status,
            200);
  record = boost::json::parse(Call("GET", url + "/export?format=osv", tokens_["maintainer"]).body);
  EXPECT_EQ(record.at("id").as_string(), "CVE-2026-4242");
}

}  // namespace
}  // namespace vigil
