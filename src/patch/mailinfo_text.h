// The text rules of git mailinfo that ParseMail builds on: git's ctype and trimming, charset
// conversion, RFC 2047 and transfer decoding, header and patch-break predicates, address and
// subject clean-up. Internal to the patch module (mailinfo.cc and its tests).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::patch::mailinfo_internal {

// git's ctype: isspace is exactly space, tab, LF and CR.
bool IsSpace(char c);

bool IsDigit(char c);

/// strcasestr(): position of `needle` in `hay`, ignoring ASCII case.
size_t FindIgnoreCase(std::string_view hay, std::string_view needle);

/// The part of `s` before its first NUL: what git's C-string functions see.
std::string_view CString(std::string_view s);

void RTrim(std::string* s);

void Trim(std::string* s);

/// git's cleanup_space(): every run of whitespace becomes one space.
void CleanupSpace(std::string* s);

bool IsUtf8Name(std::string_view name);

/// Converts `text` from `charset` to UTF-8 in place, as git's convert_to_utf8() with
/// metainfo_charset "UTF-8" (including its latin-1 fallback).
Status ConvertToUtf8(std::string* text, std::string_view charset_in);

int HexValue(char c);

/// git's decode_q_segment(): quoted-printable (RFC 2045), or the RFC 2047 "Q" form where '_' is a
/// space. Stops at a NUL or at "=\n"/a final "=" (a soft line break drops the rest).
std::string DecodeQ(std::string_view in, bool rfc2047);

/// git's decode_b_segment(): base64, skipping every byte that is not in the alphabet.
std::string DecodeB(std::string_view in);

/// git's decode_header(): decodes RFC 2047 encoded words of a header value in place, dropping
/// whitespace between two adjacent encoded words. On error the value is left as it was.
Status DecodeHeader(std::string* value, std::string_view name);

/// git's slurp_attr(): the value of `name` (e.g. "boundary=") in a Content-Type value.
bool SlurpAttr(std::string_view line, std::string_view name, std::string* attr);

bool HasAttrValue(std::string_view line, std::string_view name, std::string_view value);

/// git's is_rfc2822_header(): "From " and ">From " count, else a field name and a colon.
bool IsRfc2822Header(std::string_view line);

/// git's skip_header(): if `line` is "HDR:" (any case) returns true and the value after the colon
/// and any whitespace.
bool SkipHeader(std::string_view line, std::string_view hdr, std::string_view* value);

/// git's is_scissors_line().
bool IsScissorsLine(std::string_view line);

/// git's patchbreak(): the line where the message ends and the patch begins.
bool IsPatchBreak(std::string_view line);

/// git's is_format_patch_separator(): an escaped "From <sha> Mon Sep 17 00:00:00 2001" line.
bool IsFormatPatchSeparator(std::string_view line);

/// Copies the rest of a quoted string (`comment` false; the closing quote is dropped) or of a
/// comment (nested; its parentheses are kept) that begins before in[*i], undoing quoted pairs.
void CopyQuoted(std::string_view in, size_t* i, bool comment, std::string* out);

/// git's unquote_quoted_pair(): removes the quotes of quoted strings and the backslashes of
/// quoted pairs; comments keep their parentheses.
std::string UnquoteQuotedPair(std::string_view in);

/// git's get_sane_name(): the name, unless it is empty, too long or looks like an address.
std::string SaneName(const std::string& name, const std::string& email);

/// git's cleanup_subject().
void CleanupSubject(std::string* subject, bool keep_non_patch_brackets);

/// The value of header `name` in the raw (unfolded) header `line`, trimmed, or nothing.
bool RawHeaderValue(std::string_view line, std::string_view name, std::string* out);

std::vector<std::string> AngleIds(std::string_view s);

/// The value of the first "change-id:" line of `text` (b4 writes it below the "---").
std::string FindChangeId(std::string_view text);

}  // namespace vigil::patch::mailinfo_internal
