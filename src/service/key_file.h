// Key files: secrets that live beside the database but outside it (the TOTP sealing key, the
// audit signing key), so a copy of the database alone yields neither.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "core/status.h"

namespace vigil {

/// What kind of key a file holds, for its messages and size check.
struct KeyFileKind {
  /// "TOTP key file", "audit key file".
  const char* name;
  /// The article before NAME: "a", "an".
  const char* article;
  /// The exact size of the file.
  size_t bytes;
  /// Makes a fresh key of BYTES bytes.
  std::function<std::string()> generate;
};

/// Reads the key file at PATH, or creates it when missing with KIND.generate(): created
/// exclusively with mode 0600 and fsynced (file and folder) before it is used; when another
/// process makes it meanwhile, theirs is read. Errors, each naming PATH (here for a TOTP key):
/// kInvalidArgument "PATH: the TOTP key file must be readable by its owner only (mode 0644);
/// run chmod 600 PATH", "PATH: a TOTP key file holds exactly 32 bytes, this one has N (restore
/// it from the backup)", "PATH: not a regular file"; kUnavailable when it cannot be read or made.
Result<std::string> LoadOrCreateKeyFile(const std::string& path, const KeyFileKind& kind);

}  // namespace vigil
