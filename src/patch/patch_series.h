// ReadSeries: turns untrusted input (an mbox, one mail, or a plain diff) into the ordered list of
// patches `git am` would apply, each with its mailinfo fields, its patch-id and its parsed diff.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "patch/diff.h"
#include "patch/mailinfo.h"
#include "patch/mbox.h"

namespace vigil::patch {

/// Limits on one input. Every limit is configurable (vigil.toml [patch]).
struct SeriesLimits {
  MboxLimits mbox;
  DiffLimits diff;
};

/// One patch of a series.
struct SeriesPatch {
  int number = 1;        ///< 1-based position among the patches of the input.
  int count = 1;         ///< Number of patches in the input.
  MailInfo mail;         ///< What `git mailinfo -u` makes of the mail; mail.patch is the diff.
  std::string patch_id;  ///< `git patch-id --stable` of mail.patch.
  std::vector<FileDiff> files;  ///< mail.patch parsed.
  /// The Message-ID of the input's cover letter ("[PATCH 0/N]"), if it had one: replies to a
  /// series (its next revision) often point at the cover letter only.
  std::string cover_message_id;

  /// "patch 2/3": how messages name this patch.
  std::string Label() const {
    return "patch " + std::to_string(number) + "/" + std::to_string(count);
  }
};

/// How much of each patch ReadSeries keeps.
enum class SeriesContent {
  kComplete,  ///< Everything: mail.patch and every hunk's lines (what check and apply need).
  kSummary,   ///< mail.patch and every file's `hunks` are left empty (dropped as soon as the
              ///< patch-id and the files are known), so memory grows little with the input;
              ///< everything else (files and their counts, patch-id, errors) is as kComplete.
};

/// Reads every patch of INPUT in order, as `git am` would: the mbox is split like
/// `git mailsplit` (CRLF line ends become LF), each mail is read like `git mailinfo -u`. Cover
/// letters ("[PATCH 0/N]" without a diff, whatever their "---" part holds) are skipped, but their
/// Message-ID is kept in each patch's cover_message_id and their "change-id:" (b4 writes it there
/// for a series) becomes the mail.change_id of the patches that have none. Errors (the first one
/// found; K is the 1-based message number in the input):
///   the mbox errors of SplitMbox ("mbox: ...")
///   "message K: contains a NUL byte"
///   "message K: " + a ParseMail error (e.g. "cannot convert from X-UNKNOWN to UTF-8")
///   "message K: no patch found"           (a mail with no diff that is not a cover letter)
///   "patch K/N: " + a ParseDiff error     (e.g. "patch 1/2: hunk 1 of a.c: wrong line count")
///   "no patch found"                      (only cover letters)
Result<std::vector<SeriesPatch>> ReadSeries(std::string_view input, const SeriesLimits& limits = {},
                                            SeriesContent content = SeriesContent::kComplete);

}  // namespace vigil::patch
