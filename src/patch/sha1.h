// Sha1: SHA-1 as git's object ids and `git patch-id` use it, through OpenSSL's SHA-1 functions.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace vigil::patch {

/// An incremental SHA-1. Copying is deleted; moving is fine.
///
/// Why not EVP: the first EVP digest in a process initialises OpenSSL's providers (reading
/// openssl.cnf, building the name map, registering every cipher): about 5 million instructions
/// and 60 page faults, as much as hashing the whole 1,000-patch benchmark mbox, paid by every
/// `vigil patch inspect`. OpenSSL's SHA1_* functions are the same implementation (with the CPU's
/// SHA instructions) without that set-up; they are deprecated in OpenSSL 3 but still provided.
class Sha1 {
 public:
  using Digest = std::array<unsigned char, 20>;

  Sha1();
  ~Sha1();
  Sha1(Sha1&&) noexcept;
  Sha1& operator=(Sha1&&) noexcept;
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  void Update(std::string_view bytes);
  /// The digest of everything added since construction or the last Finish; restarts the hash.
  Digest Finish();

  /// DIGEST in 40 lower-case hex digits.
  static std::string Hex(const Digest& digest);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vigil::patch
