// SplitMbox: cuts an mbox into messages the way `git mailsplit -b` (as run by `git am`) does.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::patch {

/// Size limits on untrusted mbox input. Every limit is inclusive.
struct MboxLimits {
  size_t max_input_bytes = 50u << 20;    ///< The whole input.
  size_t max_messages = 10000;           ///< Messages in one mbox.
  size_t max_message_bytes = 20u << 20;  ///< One message after splitting.
};

struct MboxOptions {
  bool mboxrd = false;  ///< `--mboxrd`: turn ">From ", ">>From ", ... lines back into one '>' less.
  bool keep_cr = false;  ///< `--keep-cr`: keep CRLF line ends (git am's default converts to LF).
  MboxLimits limits;
};

/// True if `line` (with its '\n') is an mbox separator as git mailsplit's is_from_line() sees
/// it: "From " and something that ends like a date with a year after 1990.
bool IsMboxFromLine(std::string_view line);

/// Splits `input` into messages, each beginning with its own "From " line, exactly as
/// `git mailsplit -b` writes them to files (CRLF turned into LF unless keep_cr, mboxrd
/// un-escaping). Leading whitespace is skipped. Input that does not begin with a "From " line is
/// one bare message (an RFC 5322 message without envelope, or a plain diff). NUL bytes are kept,
/// as git keeps them. Errors (kInvalidArgument unless noted):
///   "mbox: input is empty"
///   "mbox: input is N bytes, over the limit of M" (kTooLarge)
///   "mbox: more than M messages" (kTooLarge)
///   "mbox: message K is over the limit of M bytes" (kTooLarge)
///   "mbox: message K is empty" (a "From " line followed by nothing)
///   "mbox: message K is truncated: its last line has no newline"
Result<std::vector<std::string>> SplitMbox(std::string_view input, const MboxOptions& options = {});

/// Like SplitMbox, but hands each message to `visit` in order instead of collecting copies: a
/// message that needs no change (no CRLF to convert, no mboxrd escape) is a view into `input`.
/// The view is valid only during the call. Returns the first error, of splitting or of `visit`;
/// messages before the one in error have been visited.
Status ForEachMboxMessage(std::string_view input, const MboxOptions& options,
                          const std::function<Status(std::string_view message)>& visit);

}  // namespace vigil::patch
