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

/// PREFIX, a selector of 16 hex digits (see NewSelector), then 256 random bits in unpadded
/// base64url (43 characters): 63 characters in all. The selector is not secret; it only orders
/// the stored forms by creation time (see TokenHash).
std::string NewToken(std::string_view prefix);

/// 16 lower-case hex digits of a time in microseconds from the system clock, strictly increasing
/// within the process (two calls in one microsecond get consecutive values), so that no two are
/// ever equal in one process, whatever the threads and the clock do.
std::string NewSelector();

/// The id of a received mail in the inbox: NewSelector() (so a burst of mail appends to one end
/// of the index and ids sort by arrival) and 64 random bits in hex (unique across processes: a
/// `vigil ingest` beside the server): 32 lower-case hex digits.
std::string NewMailId();

/// A generated password: 128 random bits in unpadded base64url (22 characters).
std::string NewPassword();

/// The stored form of a token: its selector followed by the hex SHA-256 of the whole token. The
/// tables look tokens up by this form, so the selector makes a burst of new tokens append to one
/// leaf of each index instead of writing a random page per token (a random hash alone cost a
/// third of the database pages written per submission). A token without a selector (the 47
/// characters issued before selectors) is stored by its hash alone and still authenticates.
/// Tokens carry 256 random bits, so a fast hash is enough; the token itself is never stored or
/// logged.
std::string TokenHash(std::string_view token);

/// What events and logs may name a stored token by: the first 12 hex digits of its hash (never
/// the selector, which names only a time).
/// It is also an API token's public id, by which its owner and admins list and revoke it.
std::string TokenHashLabel(std::string_view stored);
/// True when ID has the form of a TokenHashLabel: 12 lower-case hex digits.
bool IsTokenHashLabel(std::string_view id);

/// Constant-time equality of two strings (length is not secret).
bool SecretEquals(std::string_view a, std::string_view b);

/// Argon2id hash of PASSWORD in libsodium's string format. Passwords must be 8 to 1024 bytes.
Result<std::string> HashPassword(std::string_view password);
/// True when PASSWORD matches HASH (constant-time inside libsodium).
bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace vigil
