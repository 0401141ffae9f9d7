// One-time passwords for second-factor login: HOTP (RFC 4226) and TOTP (RFC 6238), and the
// Base32 text form (RFC 4648) authenticator apps read secrets in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace vigil {

enum class TotpHash { kSha1, kSha256, kSha512 };

/// RFC 4648 Base32 without padding (upper case).
std::string Base32Encode(std::string_view bytes);
/// Decodes Base32, ignoring case, spaces and '=' padding; nullopt on any other character.
std::optional<std::string> Base32Decode(std::string_view text);

/// The HOTP value of KEY at COUNTER with DIGITS digits (6 to 9), zero-padded.
std::string Hotp(std::string_view key, uint64_t counter, int digits = 6,
                 TotpHash hash = TotpHash::kSha1);

/// The TOTP time step of T (Unix epoch, STEP_SECONDS long).
int64_t TotpStep(Instant t, int step_seconds = 30);
/// The TOTP code of KEY at T.
std::string Totp(std::string_view key, Instant t, int digits = 6, TotpHash hash = TotpHash::kSha1,
                 int step_seconds = 30);

/// Checks CODE against KEY at NOW, allowing one step of clock drift either way. Returns the
/// matching step, or nullopt. Comparison is constant-time. A caller must refuse a step not
/// greater than the last one it accepted (replay).
std::optional<int64_t> VerifyTotp(std::string_view key, std::string_view code, Instant now);

/// A fresh 160-bit secret (raw bytes).
std::string NewTotpSecret();

/// The otpauth:// URI authenticator apps scan (key URI format), for ACCOUNT at ISSUER.
std::string TotpUri(std::string_view issuer, std::string_view account,
                    std::string_view base32_secret);

}  // namespace vigil
