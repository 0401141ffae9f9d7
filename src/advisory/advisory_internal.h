// Helpers shared by the advisory exports (advisory.cc: validation and Markdown; advisory_json.cc:
// OSV, CVE JSON 5 and CSAF): limits, names, escaping, CVSS vectors and pretty JSON. Internal to
// the advisory module.
#pragma once

#include <array>
#include <boost/json.hpp>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "advisory/advisory.h"
#include "advisory/cvss3.h"
#include "advisory/cvss4.h"

namespace vigil::advisory::internal {

namespace json = boost::json;

inline constexpr std::size_t kMaxTitleLength = 256;      // CVE JSON 5 title limit
inline constexpr std::size_t kMaxDetailsLength = 16384;  // CVE JSON 5 supporting media limit
inline constexpr std::size_t kMaxDescriptionLength = 4096;

inline constexpr std::array<std::string_view, 10> kCreditTypeNames = {
    "finder",
    "reporter",
    "analyst",
    "coordinator",
    "remediation developer",
    "remediation reviewer",
    "remediation verifier",
    "tool",
    "sponsor",
    "other",
};

inline constexpr std::array<std::string_view, 10> kReferenceTypeNames = {
    "ADVISORY", "ARTICLE",    "DETECTION", "DISCUSSION", "REPORT",
    "FIX",      "INTRODUCED", "PACKAGE",   "EVIDENCE",   "WEB",
};

// The parsed CVSS vectors of an advisory that passed Validate.
struct ParsedCvss {
  std::optional<Cvss3Vector> v3;
  std::optional<Cvss4Vector> v4;
};

std::string Quoted(std::string_view text);
bool IsValidUtf8(std::string_view text);
bool IsHttpUrl(std::string_view url);
bool IsHex(std::string_view text);
bool IsCveId(std::string_view id);
bool IsUuid(std::string_view id);
ParsedCvss ParseVectors(const Advisory& advisory);
std::string UpperSeverity(double score);
/// The score of the v4.0 vector's base metrics alone (CVSS-B), which the "baseScore" field of
/// FIRST's JSON schema holds.
double Cvss4BaseScore(const Cvss4Vector& vector);
bool HasAny(const Cvss3Vector& vector, std::initializer_list<std::string_view> names);
/// FIRST's CVSS v3.x JSON object (cvss-v3.x.json): the required fields and the scores of the
/// groups the vector defines.
json::object Cvss3Json(const Cvss3Vector& vector);
json::object Cvss4Json(const Cvss4Vector& vector);
std::string FormatJsonNumber(double value);
/// Writes VALUE as indented JSON (two spaces), keys in insertion order.
void WritePretty(const json::value& value, int indent, std::string& out);
std::string Pretty(const json::value& value);
/// Cuts TEXT to at most LIMIT bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, std::size_t limit);
/// "introduced <= v < fixed" as a short human range: "< 2.3.2", ">= 2.4.0, < 2.4.3", ">= 1.0".
std::string HumanRange(const VersionRange& range);
/// A CSAF / purl-style "vers" range: "vers:semver/<2.3.2", "vers:semver/>=2.4.0|<2.4.3".
std::string VersRange(const AffectedPackage& package, const VersionRange& range);
/// OSV ids must carry the prefix of a known database (or "x_" for others): the advisory's own id
/// when it is a CVE or GHSA id, else its GHSA alias, else its CVE alias, else "x_" + its id.
std::string OsvId(const Advisory& a);
std::string ProductName(const AffectedPackage& package);
std::string CreditName(const Credit& credit);
/// Escapes TEXT for use inside a Markdown line: no emphasis, code, link, HTML, table cell or
/// strikethrough can start, and line breaks become spaces.
std::string EscapeInline(std::string_view text);
/// EscapeInline for a paragraph of its own: also keeps its first character from starting a
/// heading, list, quote, thematic break or table.
std::string EscapeParagraph(std::string_view text);
/// Whether a link destination starting at TEXT may stay a link: http(s), mailto, or a relative
/// reference (no scheme).
bool IsSafeDestination(std::string_view text);
/// One line of details outside fenced code: escapes "<" outside code spans (so no raw HTML
/// survives) and turns links with an unsafe destination into plain text.
std::string SanitizeDetailsLine(std::string_view line);
/// The details Markdown made safe to embed: fenced code blocks are copied as they are, other
/// lines go through SanitizeDetailsLine.
std::string SanitizeDetails(std::string_view details);

}  // namespace vigil::advisory::internal
