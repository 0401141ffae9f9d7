// ParseMail: the rules of `git mailinfo -u` (mailinfo.c of git 2.39+), which split one mail into
// author, subject, commit message and patch, plus the commit message `git am` records from them.
// See ../shared/GIT-CONTRACT.md, "Reading a mail" and "What git am records".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::patch {

/// The options of `git mailinfo` that Vigil supports. Output is always UTF-8 (`-u`).
struct MailinfoOptions {
  bool keep_subject = false;             ///< `-k`: do not clean the subject at all.
  bool keep_non_patch_brackets = false;  ///< `-b`: strip only [...] groups that contain "PATCH".
  bool scissors = false;                 ///< `--scissors`: drop everything above a "-- >8 --" line.
  bool inbody_headers = true;            ///< false for `--no-inbody-headers`.
  bool message_id = false;               ///< `--message-id`: add "Message-ID: ..." to the body.
  /// `--quoted-cr=strip`: remove the CR of CRLF line ends found after transfer decoding (git's
  /// default, `warn`, keeps them).
  bool strip_quoted_cr = false;
};

/// Where a patch sits in its series, from the subject prefix: "[PATCH v2 3/7]" is version 2,
/// index 3, total 7; no prefix is 1/1 v1; a cover letter is index 0.
struct SeriesPosition {
  int version = 1;
  int index = 1;
  int total = 1;
  bool rfc = false;  ///< "RFC" appeared in the prefix.
  bool operator==(const SeriesPosition&) const = default;
};

/// What `git mailinfo` extracts from one mail, and what `git am` makes of it.
struct MailInfo {
  std::string author;   ///< "Author:" of the info output (a name, or the email if no usable name).
  std::string email;    ///< "Email:".
  std::string subject;  ///< "Subject:", cleaned.
  std::string date;     ///< "Date:", as sent (after whitespace clean-up).
  std::string body;     ///< The `msg` file: the message below the headers, up to the patch.
  std::string patch;    ///< The `patch` file: from the first patch-break line to the end.
  std::string info;     ///< The exact stdout of `git mailinfo` (Author/Email/Subject/Date lines).
  /// The commit message exactly as `git am` records it: stripspace(subject + "\n\n" + body).
  std::string message;

  std::string raw_subject;              ///< The mail's Subject: header, decoded, before cleaning.
  SeriesPosition series;                ///< From raw_subject.
  std::string change_id;                ///< The value of a "change-id:" line (b4), or empty.
  std::string message_id;               ///< Message-ID: header, trimmed (with its angle brackets).
  std::string in_reply_to;              ///< In-Reply-To: header, trimmed.
  std::vector<std::string> references;  ///< The <...> ids of References:, in order.
};

/// Parses one mail as `git mailinfo -u [options]` does (input as `git mailsplit` writes it, see
/// SplitMbox; a bare message or plain diff is fine). The fields of MailInfo equal git's output
/// files byte for byte. Errors (kInvalidArgument), where git mailinfo fails too:
///   "empty message"
///   "cannot convert from CHARSET to UTF-8"               (unknown charset or invalid bytes)
///   "HEADER: malformed RFC 2047 encoded word"            (e.g. a stray "=?")
///   "a NUL byte in 'HEADER' is not allowed"
///   "too many nested MIME multiparts"
Result<MailInfo> ParseMail(std::string_view mail, const MailinfoOptions& options = {});

/// git's strbuf_stripspace() without comment stripping: trailing whitespace removed from every
/// line, runs of blank lines collapsed to one, no leading or trailing blank lines; the result is
/// empty or ends with '\n'.
std::string StripSpace(std::string_view text);

/// Parses the leading bracket groups of a subject ("[RFC PATCH v3 2/5] foo").
SeriesPosition ParseSeriesPosition(std::string_view subject);

}  // namespace vigil::patch
