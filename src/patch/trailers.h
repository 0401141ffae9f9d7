// ParseTrailers: the "Token: value" trailers of a commit message or of a review reply
// ("Reviewed-by: A U Thor <a@example.com>"), read with b4's rules for follow-up mails.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::patch {

/// One trailer line.
struct Trailer {
  std::string name;   ///< As written, e.g. "Reviewed-by".
  std::string value;  ///< Normalised: "Name <email>" or "email" for a person; else as written.
  std::string person_name;  ///< For a person trailer: the name part (may be empty).
  std::string email;        ///< For a person trailer: the address; empty otherwise.
  std::string comment;      ///< A trailing " # ..." remark, without the "# ".
  bool operator==(const Trailer&) const = default;
};

/// How ParseTrailers reads its text.
enum class TrailerSource {
  kCommitMessage,  ///< Any "Token: value" line of the message.
  kFollowup,       ///< A reply: only person trailers (with an address) and the known non-person
                   ///< ones (Fixes, Link, Closes, ...); URLs only in link trailers; ASCII names.
};

/// Returns the trailers of `text` in order. Quoted lines ("> ...") are never trailers; nothing
/// below a "-- " signature line counts; "Name\n<email>" and "Fixes: sha (subject\nwrapped)"
/// split over two lines are joined; "Phone:"/"Email:" lines are ignored, and so are
/// "From:"/"Subject:"/"Date:" lines once other text has been seen. Never fails.
std::vector<Trailer> ParseTrailers(std::string_view text, TrailerSource source);

/// True when `trailer` names the sender of the mail it came from: its address equals
/// `sender_email`, ignoring case. (A `Reviewed-by:` counts only when the reviewer sent it.)
bool TrailerMatchesSender(const Trailer& trailer, std::string_view sender_email);

/// True for the trailers that record a review: Reviewed-by, Acked-by, Tested-by (any case).
bool IsApprovalTrailer(const Trailer& trailer);

}  // namespace vigil::patch
