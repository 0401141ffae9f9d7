// Browser sessions for accounts: password + optional TOTP login with throttling, logout
// (one session or all), password change, TOTP enrolment, role changes, and the CSRF tokens
// bound to a session (or to a capability link, or to an anonymous visitor's cookie).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/access.h"
#include "core/time.h"
#include "service/totp_secret_box.h"
#include "store/store.h"

namespace vigil {

struct LoginAttempt {
  std::string email;
  std::string password;
  std::string totp_code;  // required when the account enabled TOTP
  std::string client_address;
};

struct NewSession {
  std::string token;  // the cookie value; shown once, stored hashed
  Principal principal;
  Instant expires_at = 0;
};

/// What a pending TOTP enrolment shows the user.
struct TotpSetup {
  std::string secret_base32;
  std::string uri;  // otpauth://...
};

class SessionService {
 public:
  /// STORE, CLOCK, CONFIG and TOTP_BOX (which seals TOTP secrets at rest) must outlive the
  /// service. Thread-safe.
  SessionService(Store& store, const Clock& clock, const Config& config,
                 const TotpSecretBox& totp_box);

  /// Seals every TOTP secret still stored in clear (databases from before secrets were sealed),
  /// in one write with a "totp.secrets_sealed" event on the system chain naming the accounts
  /// (never the secrets). Returns how many were sealed; 0 writes nothing. Run at startup.
  Result<int> SealClearTotpSecrets();

  /// Checks the password (and the TOTP code when enabled) and starts a new session; the
  /// session presented with the request (PREVIOUS, may be empty) is revoked, so a session id
  /// never survives a login. Errors, all with the same text so nothing is learnt from them:
  /// kUnauthenticated "wrong email, password or code"; kRateLimited "too many failed logins;
  /// try again in N minutes" after too many failures for the account from the attempt's address
  /// (web.login_failures_per_account), or from that address on any account
  /// (web.login_failures_per_address). The address is the client's (behind trusted proxies, the
  /// one they name), so failures elsewhere never lock the owner out.
  Result<NewSession> Login(const LoginAttempt& attempt, std::string_view previous);
  /// Revokes the session with TOKEN (no error if it is unknown).
  Status Logout(std::string_view token);
  /// Revokes every session of PRINCIPAL's account.
  Status LogoutEverywhere(const Principal& principal);
  /// Changes the password after checking CURRENT; revokes every browser session of the account
  /// (this one included) and returns a new one. API tokens are not touched: they are separate
  /// credentials, listed and revoked by id (`vigil token`). A wrong CURRENT counts as a failed
  /// login from CLIENT_ADDRESS and the check waits like a login does, so this form cannot be used
  /// to guess the password faster than the login form. Errors: kRateLimited as Login;
  /// kUnauthenticated "the current password is wrong"; kInvalidArgument "the new password must
  /// be 8 to 1024 bytes long".
  Result<NewSession> ChangePassword(const Principal& principal, std::string_view current,
                                    std::string_view replacement,
                                    const std::string& client_address);

  /// Starts (or restarts) TOTP enrolment with a new secret; TOTP is not required until
  /// ConfirmTotp. Error kConflict when TOTP is already enabled.
  Result<TotpSetup> BeginTotp(const Principal& principal);
  /// The pending enrolment's setup, or nullopt.
  Result<std::optional<TotpSetup>> PendingTotp(const Principal& principal);
  /// Enables TOTP when CODE is valid for the pending secret. Error kInvalidArgument "the code
  /// does not match; check the device's clock and try the next code".
  Status ConfirmTotp(const Principal& principal, std::string_view code);
  /// Turns TOTP off (or drops a pending enrolment) after checking the password and, when TOTP
  /// is enabled, a current CODE of a step not used before: a stolen session alone, or with the
  /// password, cannot remove the second factor. Failures count as failed logins from
  /// CLIENT_ADDRESS and are throttled like them. Errors: kRateLimited as Login;
  /// kUnauthenticated "the current password is wrong" or "the two-factor code is wrong or was
  /// already used"; kNotFound "two-factor login is not set up".
  Status DisableTotp(const Principal& principal, std::string_view password, std::string_view code,
                     const std::string& client_address);
  Result<bool> TotpEnabled(const std::string& email);
  /// Removes EMAIL's TOTP enrolment for someone who lost their device (`vigil user
  /// totp-reset`): they log in with the password alone until they enrol again. A "totp.reset"
  /// event on the system chain names the account and who reset it. REQUIRES: ACTOR is
  /// authorized for Action::kAdminister. Errors: kNotFound "account EMAIL not found",
  /// "EMAIL has no two-factor login to reset".
  Status ResetTotp(const Principal& actor, const std::string& email);

  /// Changes EMAIL's role. REQUIRES: ACTOR is authorized for Action::kAdminister. Error
  /// kConflict when it would leave no active admin.
  Status SetAccountRole(const Principal& actor, const std::string& email, AccountRole role);

 private:
  Result<NewSession> StartSession(const Account& account, std::vector<NewEvent> events,
                                  WebWrites web);
  /// Records a failure for EMAIL from ADDRESS, and for ADDRESS, in the store.
  void RecordFailure(const std::string& email, const std::string& address);
  /// kRateLimited when EMAIL from ADDRESS, or ADDRESS, has too many recent failures.
  Status CheckThrottle(const std::string& email, const std::string& address);

  /// The Base32 secret of T, opened; nullopt when it does not open with this key for its account.
  std::optional<std::string> TotpKey(const TotpEnrolment& t) const;

  Store& store_;
  const Clock& clock_;
  const Config& config_;
  const TotpSecretBox& totp_box_;
};

/// The CSRF token of forms rendered for the holder of SECRET (a session token, a capability
/// token, or the anonymous visitor cookie): base64url HMAC-SHA256(SECRET, "vigil-csrf-v1").
/// Knowing it reveals nothing about SECRET; it changes whenever SECRET does (login rotates it).
std::string CsrfToken(std::string_view secret);
/// Constant-time check of PRESENTED against CsrfToken(SECRET); false for an empty SECRET.
bool CsrfTokenValid(std::string_view secret, std::string_view presented);

}  // namespace vigil
