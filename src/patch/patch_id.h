// PatchId: Vigil's own implementation of `git patch-id` (builtin/patch-id.c of git 2.39), the
// identity that pre-approvals are pinned to. See ../shared/GIT-CONTRACT.md, "Patch identity".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::patch {

/// The two modes of `git patch-id`.
enum class PatchIdMode {
  kStable,    ///< `--stable`: one SHA-1 per file chunk, summed; file order does not matter.
  kUnstable,  ///< `--unstable`: one SHA-1 over the whole patch (git's default).
};

/// One line of `git patch-id` output.
struct PatchIdEntry {
  std::string patch_id;   ///< 40 lower-case hex digits.
  std::string commit_id;  ///< The 40 hex digits of the `From <id>`/`commit <id>` line that
                          ///< preceded the patch, lower-cased; 40 zeros when there was none.
  bool operator==(const PatchIdEntry&) const = default;
};

/// Computes what `git patch-id --stable` (or `--unstable`) prints for `text`, which may be an
/// mbox, `git format-patch` or `git log -p` output, or a bare diff: one entry per patch that has
/// a diff, in input order. Never fails, whatever the text (git does not either). Runs in time
/// linear in the input without per-line allocations.
Result<std::vector<PatchIdEntry>> ComputePatchIds(std::string_view text,
                                                  PatchIdMode mode = PatchIdMode::kStable);

}  // namespace vigil::patch
