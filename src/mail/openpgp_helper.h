// Decryption of untrusted mail in a child process. librnp, given a compression bomb, stops at the
// output cap but leaves the process larger than it found it: measured in `vigil serve`, a first
// bomb under an 8 MiB cap kept 24 MiB and every later one about 1.3 MiB more. So the server runs
// each decryption in a short-lived child (`vigil-full __decrypt-mail`), whose memory, whatever
// the library does with it, is gone when it exits; a crash of the library costs the child only.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil::mail {

/// The argument that makes `vigil-full` run DecryptHelperMain.
inline constexpr char kDecryptHelperCommand[] = "__decrypt-mail";

/// Runs PROGRAM (the `vigil-full` executable) as `PROGRAM __decrypt-mail MAX_BYTES` with
/// SECRET_KEY (armored) and MESSAGE on its stdin and returns its plaintext. Errors: those of
/// ProjectKey::Decrypt, with the same codes and messages; kUnavailable "decryption helper: ..."
/// when the child cannot be run, dies or takes longer than 60 seconds.
Result<std::string> DecryptInChild(const std::string& program, std::string_view secret_key,
                                   std::string_view message, size_t max_bytes);

/// The child's side: reads "<key length>\n<key><message>" from stdin, writes the plaintext to
/// stdout and returns 0, or writes "<code>\n<message>" to file descriptor 3 and returns 65
/// (its stderr, where the library writes some messages of its own, is /dev/null).
int DecryptHelperMain(const char* max_bytes);

}  // namespace vigil::mail
