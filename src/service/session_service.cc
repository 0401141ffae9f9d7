#include "service/session_service.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include "core/log_line.h"
#include "service/credentials.h"
#include "service/totp.h"

namespace vigil {
namespace {

constexpr Instant kThrottleWindow = 15 * 60 * kMicrosPerSecond;
constexpr int kMaxAttemptBytes = 1024;

std::string Json(const boost::json::object& o) { return boost::json::serialize(o); }

// A fixed Argon2id hash verified when the account does not exist, so that a login for an
// unknown email takes as long as one with a wrong password.
const std::string& DummyHash() {
  static const std::string hash = *HashPassword("vigil-no-such-account-password");
  return hash;
}

}  // namespace

std::string CsrfToken(std::string_view secret) {
  static constexpr std::string_view kLabel = "vigil-csrf-v1";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(), mac, &len);
  char out[64];
  sodium_bin2base64(out, sizeof out, mac, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

bool CsrfTokenValid(std::string_view secret, std::string_view presented) {
  if (secret.empty() || presented.empty()) return false;
  return SecretEquals(CsrfToken(secret), presented);
}

SessionService::SessionService(Store& store, const Clock& clock, const Config& config,
                               const TotpSecretBox& totp_box)
    : store_(store), clock_(clock), config_(config), totp_box_(totp_box) {
  InitCrypto();
}

std::optional<std::string> SessionService::TotpKey(const TotpEnrolment& t) const {
  std::optional<std::string> base32 = totp_box_.Open(t.email, t.secret);
  return base32 ? Base32Decode(*base32) : std::nullopt;
}

Result<int> SessionService::SealClearTotpSecrets() {
  Result<std::vector<Account>> accounts = store_.ListAccounts();
  VIGIL_RETURN_IF_ERROR(accounts.status());
  WriteBatch b;
  boost::json::array sealed;
  for (const Account& a : *accounts) {
    Result<std::optional<TotpEnrolment>> t = store_.FindTotp(a.email);
    VIGIL_RETURN_IF_ERROR(t.status());
    if (!t->has_value() || TotpSecretBox::IsSealed((*t)->secret)) continue;
    TotpEnrolment row = **t;
    row.secret = totp_box_.Seal(row.email, row.secret);
    b.web.totp.push_back(std::move(row));
    sealed.push_back(boost::json::value(a.email));
  }
  if (sealed.empty()) return 0;
  const int n = static_cast<int>(sealed.size());
  b.now = clock_.Now();
  b.events.push_back({kSystemChain, b.now, "system", "totp.secrets_sealed",
                      Json({{"accounts", std::move(sealed)}})});
  VIGIL_RETURN_IF_ERROR(store_.Write(std::move(b)).status());
  return n;
}

namespace {

// The failures against EMAIL are counted per address: an attacker's guesses slow down only the
// attacker, never the account's owner elsewhere (who would otherwise be locked out at will).
std::string AccountKey(const std::string& email, const std::string& address) {
  // Bounded: an address is short, and no account has an email longer than 254 bytes.
  return "login-account:" + address + " " + email.substr(0, 320);
}

std::string AddressKey(const std::string& address) { return "login-address:" + address; }

}  // namespace

// Failures are counted in the store, so that every instance on one database throttles the same
// logins (an attacker spreading guesses over instances gains nothing).
Status SessionService::CheckThrottle(const std::string& email, const std::string& address) {
  const Instant now = clock_.Now();
  Instant wait_until = 0;
  auto over = [&](const std::string& key, int limit) -> Status {
    Result<HitCount> hits = store_.CountHits(key, now - kThrottleWindow);
    VIGIL_RETURN_IF_ERROR(hits.status());
    if (limit > 0 && hits->count >= limit) {
      wait_until = std::max(wait_until, hits->oldest + kThrottleWindow);
    }
    return Status::Ok();
  };
  VIGIL_RETURN_IF_ERROR(over(AccountKey(email, address), config_.login_failures_per_account));
  VIGIL_RETURN_IF_ERROR(over(AddressKey(address), config_.login_failures_per_address));
  if (wait_until == 0) return Status::Ok();
  const int64_t minutes = (wait_until - now + 60 * kMicrosPerSecond - 1) / (60 * kMicrosPerSecond);
  return Status::RateLimited("too many failed logins; try again in " + std::to_string(minutes) +
                             (minutes == 1 ? " minute" : " minutes"));
}

void SessionService::RecordFailure(const std::string& email, const std::string& address) {
  WriteBatch b;
  b.now = clock_.Now();
  b.web.limit_hits.push_back({AccountKey(email, address), kThrottleWindow, 0});
  b.web.limit_hits.push_back({AddressKey(address), kThrottleWindow, 0});
  if (Status s = store_.Write(std::move(b)).status(); !s.ok()) {
    spdlog::warn("{}", LogLine("login: a failed login could not be counted",
                               {{"address", address}, {"error", s.message()}}));
  }
}

Result<NewSession> SessionService::StartSession(const Account& account,
                                                std::vector<NewEvent> events, WebWrites web) {
  NewSession out;
  out.token = NewToken(kSessionPrefix);
  const Instant now = clock_.Now();
  WebSession s;
  s.hash = TokenHash(out.token);
  s.account_email = account.email;
  s.created_at = now;
  s.expires_at = now + config_.session_hours * 3600 * kMicrosPerSecond;
  WriteBatch b;
  b.now = now;
  b.web = std::move(web);
  b.web.sessions.push_back(s);
  b.events = std::move(events);
  // The event names the session by a prefix of its hash, never by the token.
  b.events.push_back({kSystemChain, now, "user:" + account.email, "session.started",
                      Json({{"session_hash_prefix", TokenHashLabel(s.hash)}})});
  VIGIL_RETURN_IF_ERROR(store_.Write(std::move(b)).status());
  out.principal.kind = Principal::Kind::kAccount;
  out.principal.email = account.email;
  out.principal.account_role = account.role;
  out.expires_at = s.expires_at;
  return out;
}

Result<NewSession> SessionService::Login(const LoginAttempt& in, std::string_view previous) {
  const Status wrong = Status::Unauthenticated("wrong email, password or code");
  const std::string email = LowerAscii(in.email);
  if (email.size() > 254 || in.password.size() > kMaxAttemptBytes || in.totp_code.size() > 16) {
    return wrong;
  }
  VIGIL_RETURN_IF_ERROR(CheckThrottle(email, in.client_address));
  Result<std::optional<Account>> account = store_.FindAccount(email);
  VIGIL_RETURN_IF_ERROR(account.status());
  const bool usable =
      account->has_value() && !(*account)->disabled && !(*account)->password_hash.empty();
  const bool password_ok =
      VerifyPassword(usable ? (*account)->password_hash : DummyHash(), in.password) && usable;
  if (!password_ok) {
    RecordFailure(email, in.client_address);
    return wrong;
  }
  Result<std::optional<TotpEnrolment>> totp = store_.FindTotp(email);
  VIGIL_RETURN_IF_ERROR(totp.status());
  WebWrites web;
  if (totp->has_value() && (*totp)->enabled) {
    std::optional<std::string> key = TotpKey(**totp);
    std::optional<int64_t> step = key ? VerifyTotp(*key, in.totp_code, clock_.Now()) : std::nullopt;
    if (!step || *step <= (*totp)->last_step) {
      RecordFailure(email, in.client_address);
      return wrong;
    }
    // Checked again by the store inside the write: of two logins racing with one code, one wins.
    web.totp_steps.push_back({email, *step});
  }
  if (!previous.empty()) web.revoke_session_hashes.push_back(TokenHash(previous));
  Result<NewSession> started = StartSession(**account, {}, std::move(web));
  if (started.status().code() == Code::kConflict) {
    RecordFailure(email, in.client_address);
    return wrong;
  }
  return started;
}

Status SessionService::Logout(std::string_view token) {
  if (token.empty()) return Status::Ok();
  const std::string hash = TokenHash(token);
  Result<std::optional<WebSession>> s = store_.FindSession(hash);
  VIGIL_RETURN_IF_ERROR(s.status());
  if (!s->has_value() || (*s)->revoked_at != 0) return Status::Ok();
  WriteBatch b;
  b.now = clock_.Now();
  b.web.revoke_session_hashes.push_back(hash);
  b.events.push_back({kSystemChain, b.now, "user:" + (*s)->account_email, "session.ended",
                      Json({{"session_hash_prefix", TokenHashLabel(hash)}})});
  return store_.Write(std::move(b)).status();
}

Status SessionService::LogoutEverywhere(const Principal& p) {
  WriteBatch b;
  b.now = clock_.Now();
  b.web.revoke_sessions_of = p.email;
  b.events.push_back({kSystemChain, b.now, p.AuditName(), "session.ended_all", "{}"});
  return store_.Write(std::move(b)).status();
}

Result<NewSession> SessionService::ChangePassword(const Principal& p, std::string_view current,
                                                  std::string_view replacement,
                                                  const std::string& client_address) {
  if (current.size() > kMaxAttemptBytes)
    return Status::Unauthenticated("the current password is wrong");
  VIGIL_RETURN_IF_ERROR(CheckThrottle(p.email, client_address));
  Result<std::optional<Account>> account = store_.FindAccount(p.email);
  VIGIL_RETURN_IF_ERROR(account.status());
  if (!account->has_value()) return Status::NotFound("account " + p.email + " not found");
  if ((*account)->password_hash.empty() || !VerifyPassword((*account)->password_hash, current)) {
    RecordFailure(p.email, client_address);
    return Status::Unauthenticated("the current password is wrong");
  }
  if (replacement.size() < 8 || replacement.size() > 1024) {
    return Status::Invalid("the new password must be 8 to 1024 bytes long");
  }
  Result<std::string> hash = HashPassword(replacement);
  VIGIL_RETURN_IF_ERROR(hash.status());
  Account a = **account;
  a.password_hash = *hash;
  // The account row and the revocation of every old session go in the new session's batch.
  WebWrites web;
  web.revoke_sessions_of = a.email;
  std::vector<NewEvent> events;
  events.push_back({kSystemChain, clock_.Now(), p.AuditName(), "account.password_changed",
                    Json({{"email", a.email}})});
  // Revocation runs after the insert inside one batch; the new session is inserted after it
  // by a second write so it is not revoked with the others.
  WriteBatch b;
  b.now = clock_.Now();
  b.accounts.push_back(a);
  b.web = std::move(web);
  b.events = std::move(events);
  VIGIL_RETURN_IF_ERROR(store_.Write(std::move(b)).status());
  return StartSession(a, {}, {});
}

Result<TotpSetup> SessionService::BeginTotp(const Principal& p) {
  Result<std::optional<TotpEnrolment>> existing = store_.FindTotp(p.email);
  VIGIL_RETURN_IF_ERROR(existing.status());
  if (existing->has_value() && (*existing)->enabled) {
    return Status::Conflict("two-factor login is already enabled");
  }
  TotpEnrolment t;
  t.email = p.email;
  const std::string base32 = Base32Encode(NewTotpSecret());
  t.secret = totp_box_.Seal(p.email, base32);
  WriteBatch b;
  b.web.totp.push_back(t);
  b.events.push_back({kSystemChain, clock_.Now(), p.AuditName(), "totp.enrolment_started",
                      Json({{"email", p.email}})});
  VIGIL_RETURN_IF_ERROR(store_.Write(std::move(b)).status());
  return TotpSetup{base32, TotpUri(config_.project_name + " Vigil", p.email, base32)};
}

Result<std::optional<TotpSetup>> SessionService::PendingTotp(const Principal& p) {
  Result<std::optional<TotpEnrolment>> existing = store_.FindTotp(p.email);
  VIGIL_RETURN_IF_ERROR(existing.status());
  if (!existing->has_value() || (*existing)->enabled) return std::optional<TotpSetup>();
  std::optional<std::string> opened = totp_box_.Open(p.email, (*existing)->secret);
  if (!opened) return std::optional<TotpSetup>();  // sealed with another key: start again
  const std::string& s = *opened;
  return std::optional<TotpSetup>(
      TotpSetup{s, TotpUri(config_.project_name + " Vigil", p.email, s)});
}

Status SessionService::ConfirmTotp(const Principal& p, std::string_view code) {
  Result<std::optional<TotpEnrolment>> existing = store_.FindTotp(p.email);
  VIGIL_RETURN_IF_ERROR(existing.status());
  if (!existing->has_value() || (*existing)->enabled) {
    return Status::Conflict("there is no pending two-factor enrolment");
  }
  std::optional<std::string> key = TotpKey(**existing);
  std::optional<int64_t> step = key ? VerifyTotp(*key, code, clock_.Now()) : std::nullopt;
  if (!step) {
    return Status::Invalid(
        "the code does not match; check the device's clock and try the next "
        "code");
  }
  TotpEnrolment t = **existing;
  t.enabled = true;
  t.last_step = *step;
  WriteBatch b;
  b.web.totp.push_back(t);
  b.events.push_back(
      {kSystemChain, clock_.Now(), p.AuditName(), "totp.enabled", Json({{"email", p.email}})});
  return store_.Write(std::move(b)).status();
}

Status SessionService::DisableTotp(const Principal& p, std::string_view password,
                                   std::string_view code, const std::string& client_address) {
  const Status wrong_password = Status::Unauthenticated("the current password is wrong");
  const Status wrong_code =
      Status::Unauthenticated("the two-factor code is wrong or was already used");
  if (password.size() > kMaxAttemptBytes) return wrong_password;
  VIGIL_RETURN_IF_ERROR(CheckThrottle(p.email, client_address));
  Result<std::optional<Account>> account = store_.FindAccount(p.email);
  VIGIL_RETURN_IF_ERROR(account.status());
  if (!account->has_value() || (*account)->password_hash.empty() ||
      !VerifyPassword((*account)->password_hash, password)) {
    RecordFailure(p.email, client_address);
    return wrong_password;
  }
  Result<std::optional<TotpEnrolment>> totp = store_.FindTotp(p.email);
  VIGIL_RETURN_IF_ERROR(totp.status());
  if (!totp->has_value()) return Status::NotFound("two-factor login is not set up");
  if ((*totp)->enabled) {
    std::optional<std::string> key = TotpKey(**totp);
    std::optional<int64_t> step =
        key && code.size() <= 16 ? VerifyTotp(*key, code, clock_.Now()) : std::nullopt;
    if (!step || *step <= (*totp)->last_step) {
      RecordFailure(p.email, client_address);
      return wrong_code;
    }
  }
  WriteBatch b;
  b.web.delete_totp.push_back(p.email);
  b.events.push_back(
      {kSystemChain, clock_.Now(), p.AuditName(), "totp.disabled", Json({{"email", p.email}})});
  return store_.Write(std::move(b)).status();
}

Status SessionService::ResetTotp(const Principal& actor, const std::string& email) {
  const std::string who = LowerAscii(email);
  Result<std::optional<Account>> account = store_.FindAccount(who);
  VIGIL_RETURN_IF_ERROR(account.status());
  if (!account->has_value()) return Status::NotFound("account " + email + " not found");
  Result<std::optional<TotpEnrolment>> totp = store_.FindTotp(who);
  VIGIL_RETURN_IF_ERROR(totp.status());
  if (!totp->has_value()) return Status::NotFound(who + " has no two-factor login to reset");
  WriteBatch b;
  b.web.delete_totp.push_back(who);
  b.events.push_back({kSystemChain, clock_.Now(), actor.AuditName(), "totp.reset",
                      Json({{"email", who}, {"was_enabled", (*totp)->enabled}})});
  return store_.Write(std::move(b)).status();
}

Result<bool> SessionService::TotpEnabled(const std::string& email) {
  Result<std::optional<TotpEnrolment>> t = store_.FindTotp(email);
  VIGIL_RETURN_IF_ERROR(t.status());
  return t->has_value() && (*t)->enabled;
}

Status SessionService::SetAccountRole(const Principal& actor, const std::string& email,
                                      AccountRole role) {
  Result<std::optional<Account>> existing = store_.FindAccount(LowerAscii(email));
  VIGIL_RETURN_IF_ERROR(existing.status());
  if (!existing->has_value()) return Status::NotFound("account " + email + " not found");
  if ((*existing)->role == AccountRole::kAdmin && role != AccountRole::kAdmin) {
    Result<std::vector<Account>> all = store_.ListAccounts();
    VIGIL_RETURN_IF_ERROR(all.status());
    const auto admins = std::count_if(all->begin(), all->end(), [](const Account& a) {
      return a.role == AccountRole::kAdmin && !a.disabled;
    });
    if (admins <= 1) return Status::Conflict("cannot remove the last active admin");
  }
  Account a = **existing;
  a.role = role;
  WriteBatch b;
  b.accounts.push_back(a);
  b.events.push_back({kSystemChain, clock_.Now(), actor.AuditName(), "account.role_changed",
                      Json({{"email", a.email}, {"role", AccountRoleName(role)}})});
  return store_.Write(std::move(b)).status();
}

}  // namespace vigil
