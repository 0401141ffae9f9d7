// ParseDiff: reads a unified or git diff (the `patch` part of a mail) into files and hunks, with
// the checks `git apply` makes before it touches anything: hunk line counts, safe paths.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::patch {

/// What a file diff does to its file.
enum class FileStatus {
  kModified,    ///< content changes (possibly with a mode change)
  kAdded,       ///< "new file mode" or "--- /dev/null"
  kDeleted,     ///< "deleted file mode" or "+++ /dev/null"
  kRenamed,     ///< "rename from"/"rename to" (possibly with changes)
  kCopied,      ///< "copy from"/"copy to"
  kModeChange,  ///< only "old mode"/"new mode", no content change
};

/// Stable lower-case name: "modified", "added", "deleted", "renamed", "copied", "mode-change".
const char* FileStatusName(FileStatus status);

/// One "@@ -a,b +c,d @@" hunk.
struct Hunk {
  int old_start = 0;
  int old_count = 0;
  int new_start = 0;
  int new_count = 0;
  std::string section;     ///< Text after the closing "@@", without the leading space.
  std::string lines;       ///< The hunk's body lines (' ', '-', '+', '\'), each with its '\n'.
  size_t line_number = 0;  ///< 1-based line of the "@@" header in the input.
};

/// One file of a diff. Paths are unquoted (git's C-style quoting undone) and have their first
/// component ("a/", "b/") removed; a path is empty on the side that does not exist.
struct FileDiff {
  std::string old_path;
  std::string new_path;
  FileStatus status = FileStatus::kModified;
  std::string old_mode;  ///< e.g. "100644"; empty when the diff does not say.
  std::string new_mode;
  std::string old_id;  ///< From the "index" line, as written (possibly abbreviated).
  std::string new_id;
  int similarity = -1;           ///< "similarity index N%", or -1.
  bool binary = false;           ///< "GIT binary patch" or "Binary files ... differ".
  bool binary_has_data = false;  ///< "GIT binary patch" (applicable), not "Binary files differ".
  std::vector<Hunk> hunks;
  int insertions = 0;                ///< '+' lines of all hunks.
  int deletions = 0;                 ///< '-' lines of all hunks.
  bool old_missing_newline = false;  ///< "\ No newline at end of file" after a '-' or ' ' line.
  bool new_missing_newline = false;  ///< ... after a '+' or ' ' line.

  /// The path the file is known by: new_path, or old_path for a deletion.
  const std::string& path() const { return new_path.empty() ? old_path : new_path; }
};

/// Limits on untrusted diffs.
struct DiffLimits {
  size_t max_bytes = 50u << 20;  ///< The whole diff.
  size_t max_files = 10000;
  size_t max_path_bytes = 4096;
};

/// Parses every file diff of `text` (git or traditional unified diffs; text before the first
/// diff, such as a commit message or a diffstat, and after the last hunk, such as the "-- "
/// signature, is ignored). Errors (kInvalidArgument unless noted), N being a 1-based input line:
///   "diff is N bytes, over the limit of M" / "diff has more than M files" (kTooLarge)
///   "hunk K of PATH: wrong line count"     (the lines do not match the "@@" header's counts)
///   "hunk K of PATH: malformed header at line N"
///   "hunk without a file header at line N"
///   "diff header without file names at line N"
///   "malformed quoted path at line N"
///   "corrupt binary patch for PATH at line N"
///   "path \"P\" is absolute" / "path \"P\" has a \"..\" component" / "path \"P\" is empty"
///   "path is over the limit of M bytes at line N" (kTooLarge)
///   "no diff found"                        (the text has no file diff at all)
/// Callers that know the patch's place in its series prefix it: "patch 2/3: hunk 1 of ...".
Result<std::vector<FileDiff>> ParseDiff(std::string_view text, const DiffLimits& limits = {});

/// Undoes git's C-style path quoting ("a/\303\274 \"x\"" with the quotes). Returns false if
/// `quoted` is not a well-formed quoted string; `*rest` receives what follows the closing quote.
bool UnquoteCStyle(std::string_view quoted, std::string* out, std::string_view* rest);

}  // namespace vigil::patch
