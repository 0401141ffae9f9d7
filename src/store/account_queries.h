// The account part of the store: accounts, API tokens, capability tokens, browser sessions and
// TOTP enrolments, and the queries that read them. Tokens are stored only as their hashes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/access.h"
#include "core/status.h"
#include "core/time.h"

namespace vigil {

struct Account {
  std::string email;
  std::string name;
  AccountRole role = AccountRole::kMember;
  std::string password_hash;  // libsodium Argon2id string; empty = no password login
  bool disabled = false;
  Instant created_at = 0;
};

struct ApiToken {
  std::string hash;  // the stored form (TokenHash in service/credentials.h); never the token
  std::string account_email;
  std::string label;
  Instant created_at = 0;
  Instant expires_at = 0;  // 0 = never
  Instant revoked_at = 0;  // 0 = not revoked
};

/// What a capability token resolves to.
struct CapabilityGrant {
  std::string report_id;
  std::string email;
  Role role = Role::kReporter;
  /// The report's state and when it closed (0 while open, or for a report closed before
  /// closing times were kept: then updated_at is the best bound).
  State state = State::kReceived;
  Instant closed_at = 0;
  Instant updated_at = 0;
};

/// A browser session. The cookie holds the token; only its hash is stored.
struct WebSession {
  std::string hash;  // the stored form of the session token (TokenHash)
  std::string account_email;
  Instant created_at = 0;
  Instant expires_at = 0;
  Instant revoked_at = 0;  // 0 = live
};

/// An account's TOTP secret (RFC 6238). Pending until the first code confirms it.
struct TotpEnrolment {
  std::string email;
  /// Opaque to the store: the service's sealed form of the secret (TotpSecretBox), or a clear
  /// Base32 secret in databases written before secrets were sealed (sealed at startup).
  std::string secret;
  bool enabled = false;
  int64_t last_step = 0;  // the last time step accepted (a code is never accepted twice)
};

/// A TOTP time step accepted for an account: recorded only if it is later than the last one.
struct TotpStepUse {
  std::string email;
  int64_t step = 0;
};

/// A request counted against a limit (failed logins, submissions per address), kept in the store
/// so that every instance on one database counts the same requests. Hits older than WINDOW no
/// longer count and are dropped.
struct LimitHit {
  std::string key;  // e.g. "login-ip:192.0.2.1", "submit:192.0.2.1"
  Instant window = 0;
  /// > 0: refused when KEY already has LIMIT hits within WINDOW: the whole batch fails with
  /// kRateLimited "limit reached for KEY" (and the hit is not recorded). 0: always recorded.
  int limit = 0;
};

/// How many hits a key has since a time, and when the oldest of them was.
struct HitCount {
  int64_t count = 0;
  Instant oldest = 0;  // 0 when there is none
};

/// Looks accounts and credentials up. Thread-safe; kUnavailable when storage fails.
class AccountQueries {
 public:
  virtual ~AccountQueries() = default;
  virtual Result<std::optional<Account>> FindAccount(const std::string& email) = 0;
  /// Every account, by email.
  virtual Result<std::vector<Account>> ListAccounts() = 0;
  /// By the stored form of the token (its hash).
  virtual Result<std::optional<ApiToken>> FindApiToken(const std::string& hash) = 0;
  /// The API tokens of account EMAIL, or of every account when EMAIL is empty, revoked and
  /// expired ones included, oldest first (ties by hash).
  virtual Result<std::vector<ApiToken>> ListApiTokens(const std::string& email) = 0;
  virtual Result<std::optional<CapabilityGrant>> FindCapability(const std::string& hash) = 0;
  virtual Result<std::optional<WebSession>> FindSession(const std::string& hash) = 0;
  virtual Result<std::optional<TotpEnrolment>> FindTotp(const std::string& email) = 0;
  /// The hits recorded for KEY (LimitHit) later than SINCE.
  virtual Result<HitCount> CountHits(const std::string& key, Instant since) = 0;
};

}  // namespace vigil
