// Secrets: random tokens, their stored form, and password hashing. Everything random comes from
// libsodium's randombytes; every comparison of secrets is constant-time.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil {

/// Prefixes tell credential kinds apart without a lookup.
inline constexpr char kApiTokenPrefix[] = "vgt_";
inline constexpr char kCapabilityPrefix[] = "vgc_";
inline constexpr char kSessionPrefix[] = "vgs_";

/// Initializes libsodium once; safe to call from any thread. Returns false if it cannot.
bool InitCrypto();

/// PREFIX followed by 256 random bits in unpadded base64url (43 characters).
std::string NewToken(std::string_view prefix);

/// The stored form of a token: hex SHA-256. Tokens carry 256 random bits, so a fast hash is
/// enough; the token itself is never stored or logged.
std::string TokenHash(std::string_view token);

/// Constant-time equality of two strings (length is not secret).
bool SecretEquals(std::string_view a, std::string_view b);

/// Argon2id hash of PASSWORD in libsodium's string format. Passwords must be 8 to 1024 bytes.
Result<std::string> HashPassword(std::string_view password);
/// True when PASSWORD matches HASH (constant-time inside libsodium).
bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace vigil
