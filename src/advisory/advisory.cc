#include "advisory/advisory.h"

#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>
#include <utility>

#include "advisory/cvss.h"
#include "advisory/cvss3.h"
#include "advisory/cvss4.h"

namespace vigil::advisory {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxTitleLength = 256;      // CVE JSON 5 title limit
constexpr std::size_t kMaxDetailsLength = 16384;  // CVE JSON 5 supporting media limit
constexpr std::size_t kMaxDescriptionLength = 4096;

constexpr std::array<std::string_view, 10> kCreditTypeNames = {
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

constexpr std::array<std::string_view, 10> kReferenceTypeNames = {
    "ADVISORY", "ARTICLE",    "DETECTION", "DISCUSSION", "REPORT",
    "FIX",      "INTRODUCED", "PACKAGE",   "EVIDENCE",   "WEB",
};

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    int extra = 0;
    unsigned int code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) ||
        (extra == 3 && code < 0x10000) || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

bool IsHttpUrl(std::string_view url) {
  if (!url.starts_with("https://") && !url.starts_with("http://")) return false;
  if (url.size() <= 8) return false;
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '<' || c == '>' || c == '"' || c == '`') return false;
  }
  return true;
}

bool IsHex(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool IsCveId(std::string_view id) {
  if (!id.starts_with("CVE-") || id.size() < 13 || id[8] != '-') return false;
  for (std::size_t i = 4; i < id.size(); ++i) {
    if (i != 8 && (id[i] < '0' || id[i] > '9')) return false;
  }
  return id.size() - 9 >= 4;
}

bool IsUuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-')) return false;
    if (!dash && std::string_view("0123456789abcdefABCDEF").find(id[i]) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// The parsed CVSS vectors of an advisory that passed Validate.
struct ParsedCvss {
  std::optional<Cvss3Vector> v3;
  std::optional<Cvss4Vector> v4;
};

ParsedCvss ParseVectors(const Advisory& advisory) {
  ParsedCvss parsed;
  for (const std::string& text : advisory.cvss_vectors) {
    if (text.starts_with("CVSS:4.")) {
      Result<Cvss4Vector> v4 = Cvss4Vector::Parse(text);
      if (v4.ok()) parsed.v4 = *v4;
    } else {
      Result<Cvss3Vector> v3 = Cvss3Vector::Parse(text);
      if (v3.ok()) parsed.v3 = *v3;
    }
  }
  return parsed;
}

std::string UpperSeverity(double score) {
  std::string name(SeverityName(SeverityForScore(score)));
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// The score of the v4.0 vector's base metrics alone (CVSS-B), which the "baseScore" field of
// FIRST's JSON schema holds.
double Cvss4BaseScore(const Cvss4Vector& vector) {
  std::string base = "CVSS:4.0";
  for (std::string_view name : {"AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"}) {
    base += "/" + std::string(name) + ":" + std::string(vector.Value(name));
  }
  Result<Cvss4Vector> parsed = Cvss4Vector::Parse(base);
  return parsed.ok() ? parsed->Score() : vector.Score();
}

bool HasAny(const Cvss3Vector& vector, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (vector.Value(name) != "X") return true;
  }
  return false;
}

// FIRST's CVSS v3.x JSON object (cvss-v3.x.json): the required fields and the scores of the
// groups the vector defines.
json::object Cvss3Json(const Cvss3Vector& vector) {
  const Cvss3Scores scores = vector.Scores();
  json::object out;
  out["version"] = vector.version() == Cvss3Version::k30 ? "3.0" : "3.1";
  out["vectorString"] = vector.ToString();
  out["baseScore"] = scores.base;
  out["baseSeverity"] = UpperSeverity(scores.base);
  if (HasAny(vector, {"E", "RL", "RC"})) {
    out["temporalScore"] = scores.temporal;
    out["temporalSeverity"] = UpperSeverity(scores.temporal);
  }
  if (HasAny(vector, {"CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA"})) {
    out["environmentalScore"] = scores.environmental;
    out["environmentalSeverity"] = UpperSeverity(scores.environmental);
  }
  return out;
}

json::object Cvss4Json(const Cvss4Vector& vector) {
  const double base = Cvss4BaseScore(vector);
  json::object out;
  out["version"] = "4.0";
  out["vectorString"] = vector.ToString();
  out["baseScore"] = base;
  out["baseSeverity"] = UpperSeverity(base);
  return out;
}

std::string FormatJsonNumber(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// Writes VALUE as indented JSON (two spaces), keys in insertion order.
void WritePretty(const json::value& value, int indent, std::string& out) {
  const std::string pad(indent * 2, ' ');
  const std::string inner((indent + 1) * 2, ' ');
  switch (value.kind()) {
    case json::kind::object: {
      const json::object& object = value.get_object();
      if (object.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      bool first = true;
      for (const auto& [key, member] : object) {
        if (!first) out += ",\n";
        first = false;
        out += inner + json::serialize(json::string_view(key)) + ": ";
        WritePretty(member, indent + 1, out);
      }
      out += "\n" + pad + "}";
      return;
    }
    case json::kind::array: {
      const json::array& array = value.get_array();
      if (array.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      bool first = true;
      for (const json::value& element : array) {
        if (!first) out += ",\n";
        first = false;
        out += inner;
        WritePretty(element, indent + 1, out);
      }
      out += "\n" + pad + "]";
      return;
    }
    case json::kind::double_:
      out += FormatJsonNumber(value.get_double());
      return;
    default:
      out += json::serialize(value);
      return;
  }
}

std::string Pretty(const json::value& value) {
  std::string out;
  WritePretty(value, 0, out);
  out += '\n';
  return out;
}

// Cuts TEXT to at most LIMIT bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit - 3;  // room for "..."
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "...";
}

// "introduced <= v < fixed" as a short human range: "< 2.3.2", ">= 2.4.0, < 2.4.3", ">= 1.0".
std::string HumanRange(const VersionRange& range) {
  const bool from_start = range.introduced == "0";
  if (range.fixed.empty()) return from_start ? "all versions" : ">= " + range.introduced;
  if (from_start) return "< " + range.fixed;
  return ">= " + range.introduced + ", < " + range.fixed;
}

// A CSAF / purl-style "vers" range: "vers:semver/<2.3.2", "vers:semver/>=2.4.0|<2.4.3".
std::string VersRange(const AffectedPackage& package, const VersionRange& range) {
  std::string out = package.scheme == VersionScheme::kSemver ? "vers:semver/" : "vers:generic/";
  const bool from_start = range.introduced == "0";
  if (from_start && range.fixed.empty()) return out + "*";
  if (!from_start) out += ">=" + range.introduced;
  if (!from_start && !range.fixed.empty()) out += "|";
  if (!range.fixed.empty()) out += "<" + range.fixed;
  return out;
}

// OSV ids must carry the prefix of a known database (or "x_" for others): the advisory's own id
// when it is a CVE or GHSA id, else its GHSA alias, else its CVE alias, else "x_" + its id.
std::string OsvId(const Advisory& a) {
  if (a.id.starts_with("GHSA-") || a.id.starts_with("CVE-")) return a.id;
  for (std::string_view prefix : {"GHSA-", "CVE-"}) {
    for (const std::string& alias : a.aliases) {
      if (alias.starts_with(prefix)) return alias;
    }
  }
  return "x_" + a.id;
}

std::string ProductName(const AffectedPackage& package) {
  return package.product.empty() ? package.name : package.product;
}

std::string CreditName(const Credit& credit) {
  return credit.anonymous ? "Anonymous" : credit.name;
}

// ---------------------------------------------------------------------------------------------
// Markdown.

// Escapes TEXT for use inside a Markdown line: no emphasis, code, link, HTML, table cell or
// strikethrough can start, and line breaks become spaces.
std::string EscapeInline(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_[]<>&|~!").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// EscapeInline for a paragraph of its own: also keeps its first character from starting a
// heading, list, quote, thematic break or table.
std::string EscapeParagraph(std::string_view text) {
  std::string out = EscapeInline(text);
  const std::size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return out;
  out.erase(0, first);
  if (std::string_view("#+-=>").find(out[0]) != std::string_view::npos) {
    out.insert(0, "\\");
  } else if (std::isdigit(static_cast<unsigned char>(out[0]))) {
    const std::size_t after = out.find_first_not_of("0123456789");
    if (after != std::string::npos && (out[after] == '.' || out[after] == ')')) {
      out.insert(after, "\\");
    }
  }
  return out;
}

// Whether a link destination starting at TEXT may stay a link: http(s), mailto, or a relative
// reference (no scheme).
bool IsSafeDestination(std::string_view text) {
  std::size_t i = text.find_first_not_of(" \t");
  if (i == std::string_view::npos) return true;
  text.remove_prefix(i);
  if (text.starts_with("<")) text.remove_prefix(1);
  const std::size_t end = text.find_first_of(":/?#) \t>");
  if (end == std::string_view::npos || text[end] != ':') return true;  // no scheme
  std::string scheme(text.substr(0, end));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme == "http" || scheme == "https" || scheme == "mailto";
}

// One line of details outside fenced code: escapes "<" outside code spans (so no raw HTML
// survives) and turns links with an unsafe destination into plain text.
std::string SanitizeDetailsLine(std::string_view line) {
  // A link reference definition "[x]: dest" with an unsafe destination.
  const std::size_t indent = line.find_first_not_of(' ');
  if (indent != std::string_view::npos && indent <= 3 && line[indent] == '[') {
    const std::size_t close = line.find("]:", indent);
    if (close != std::string_view::npos && !IsSafeDestination(line.substr(close + 2))) {
      return std::string(line.substr(0, indent)) + "\\[" +
             SanitizeDetailsLine(line.substr(indent + 1));
    }
  }
  std::string out;
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (c == '`') {
      // A code span runs to the next backtick run of the same length; copy it untouched.
      std::size_t run = line.find_first_not_of('`', i);
      if (run == std::string_view::npos) run = line.size();
      const std::string_view fence = line.substr(i, run - i);
      std::size_t search = run;
      std::size_t close = std::string_view::npos;
      while ((search = line.find(fence, search)) != std::string_view::npos) {
        const std::size_t after = search + fence.size();
        if ((after >= line.size() || line[after] != '`') && line[search - 1] != '`') {
          close = search;
          break;
        }
        search = line.find_first_not_of('`', search);
        if (search == std::string_view::npos) break;
      }
      if (close != std::string_view::npos) {
        out += line.substr(i, close + fence.size() - i);
        i = close + fence.size();
        continue;
      }
      out += fence;
      i = run;
      continue;
    }
    if (c == '\\' && i + 1 < line.size()) {
      out += line.substr(i, 2);
      i += 2;
      continue;
    }
    if (c == '<') {
      out += "&lt;";
      ++i;
      continue;
    }
    if (c == ']' && i + 1 < line.size() && line[i + 1] == '(' &&
        !IsSafeDestination(line.substr(i + 2))) {
      out += "]\\(";
      i += 2;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

// The details Markdown made safe to embed: fenced code blocks are copied as they are, other
// lines go through SanitizeDetailsLine.
std::string SanitizeDetails(std::string_view details) {
  std::string out;
  std::string open_fence;  // the fence of the code block we are in, or empty
  std::size_t start = 0;
  while (start <= details.size()) {
    std::size_t end = details.find('\n', start);
    if (end == std::string_view::npos) end = details.size();
    std::string_view line = details.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t indent = line.find_first_not_of(' ');
    const std::string_view body =
        indent == std::string_view::npos ? std::string_view() : line.substr(indent);
    const bool fence_line = indent != std::string_view::npos && indent <= 3 &&
                            (body.starts_with("```") || body.starts_with("~~~"));
    if (!open_fence.empty()) {
      out += line;
      if (fence_line && body.starts_with(open_fence)) open_fence.clear();
    } else if (fence_line) {
      open_fence = std::string(body.substr(0, 3));
      out += line;
    } else {
      out += SanitizeDetailsLine(line);
    }
    out += '\n';
    if (end == details.size()) break;
    start = end + 1;
  }
  // An unclosed fence would swallow every section after the details.
  if (!open_fence.empty()) out += open_fence + "\n";
  return out;
}

}  // namespace

std::string_view CreditTypeName(CreditType type) {
  return kCreditTypeNames[static_cast<std::size_t>(type)];
}

Result<CreditType> ParseCreditType(std::string_view name) {
  for (std::size_t i = 0; i < kCreditTypeNames.size(); ++i) {
    if (kCreditTypeNames[i] == name) return static_cast<CreditType>(i);
  }
  return Status::Invalid("unknown credit type " + Quoted(name));
}

std::string_view ReferenceTypeName(ReferenceType type) {
  return kReferenceTypeNames[static_cast<std::size_t>(type)];
}

Result<ReferenceType> ParseReferenceType(std::string_view name) {
  for (std::size_t i = 0; i < kReferenceTypeNames.size(); ++i) {
    if (kReferenceTypeNames[i] == name) return static_cast<ReferenceType>(i);
  }
  return Status::Invalid("unknown reference type " + Quoted(name));
}

std::string CveId(const Advisory& advisory) {
  if (IsCveId(advisory.id)) return advisory.id;
  for (const std::string& alias : advisory.aliases) {
    if (IsCveId(alias)) return alias;
  }
  return "";
}

Status Validate(const Advisory& a) {
  if (a.id.empty()) return Status::Invalid("advisory id is required");
  if (a.id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_") !=
      std::string::npos) {
    return Status::Invalid("advisory id " + Quoted(a.id) +
                           " may contain only letters, digits, \".\", \"-\" and \"_\"");
  }
  for (const std::string& alias : a.aliases) {
    if (alias.empty() || alias.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                                                 "vwxyz0123456789.-_") != std::string::npos) {
      return Status::Invalid("advisory alias " + Quoted(alias) +
                             " may contain only letters, digits, \".\", \"-\" and \"_\"");
    }
  }
  if (a.title.empty()) return Status::Invalid("advisory title is required");
  if (a.title.size() > kMaxTitleLength) {
    return Status::Invalid("advisory title is longer than 256 characters");
  }
  if (a.title.find_first_of("\r\n") != std::string::npos) {
    return Status::Invalid("advisory title must be one line");
  }
  if (a.summary.empty()) return Status::Invalid("advisory summary is required");
  if (a.details.size() > kMaxDetailsLength) {
    return Status::Invalid("advisory details are longer than 16384 bytes");
  }
  for (const auto& [field, text] :
       {std::pair<std::string_view, const std::string&>{"title", a.title},
        {"summary", a.summary},
        {"details", a.details}}) {
    if (!IsValidUtf8(text)) {
      return Status::Invalid("advisory " + std::string(field) + " is not valid UTF-8");
    }
  }
  if (a.published <= 0) return Status::Invalid("advisory published time is required");
  if (a.modified < a.published) {
    return Status::Invalid("advisory modified time is before its published time");
  }
  if (a.affected.empty()) return Status::Invalid("advisory has no affected package");
  for (std::size_t i = 0; i < a.affected.size(); ++i) {
    const AffectedPackage& p = a.affected[i];
    const std::string where = "affected package " + std::to_string(i + 1);
    if (p.name.empty()) return Status::Invalid(where + " has no name");
    if (p.ecosystem.empty()) return Status::Invalid(where + " has no ecosystem");
    if (!IsValidUtf8(p.name) || !IsValidUtf8(p.product) || !IsValidUtf8(p.ecosystem)) {
      return Status::Invalid(where + " is not valid UTF-8");
    }
    if (!p.repo_url.empty() && !IsHttpUrl(p.repo_url)) {
      return Status::Invalid(where + " repository is not an http(s) URL: " + Quoted(p.repo_url));
    }
    if (p.ranges.empty()) return Status::Invalid(where + " has no version range");
    for (std::size_t r = 0; r < p.ranges.size(); ++r) {
      if (p.ranges[r].introduced.empty()) {
        return Status::Invalid(where + ": range " + std::to_string(r + 1) +
                               " has no introduced version");
      }
      for (const std::string* version : {&p.ranges[r].introduced, &p.ranges[r].fixed}) {
        if (version->find_first_of(" \t\r\n`|") != std::string::npos || !IsValidUtf8(*version)) {
          return Status::Invalid(where + ": range " + std::to_string(r + 1) +
                                 " has an invalid version " + Quoted(*version));
        }
      }
    }
    for (const std::string& commit : p.fixed_commits) {
      if (!IsHex(commit) || (commit.size() != 40 && commit.size() != 64)) {
        return Status::Invalid(where + ": commit " + Quoted(commit) +
                               " is not a full hexadecimal commit id");
      }
    }
    if (!p.fixed_commits.empty() && p.repo_url.empty()) {
      return Status::Invalid(where + " has fix commits but no repository URL");
    }
  }
  for (const Weakness& w : a.weaknesses) {
    if (!w.id.starts_with("CWE-") || w.id.size() < 5 || w.id[4] == '0' ||
        w.id.find_first_not_of("0123456789", 4) != std::string::npos || w.id.size() > 9) {
      return Status::Invalid("weakness " + Quoted(w.id) + " is not of the form CWE-<number>");
    }
    if (w.name.empty()) return Status::Invalid("weakness " + w.id + " has no name");
    if (!IsValidUtf8(w.name)) return Status::Invalid("weakness " + w.id + " is not valid UTF-8");
  }
  bool has_v3 = false, has_v4 = false;
  for (std::size_t i = 0; i < a.cvss_vectors.size(); ++i) {
    const std::string& text = a.cvss_vectors[i];
    const std::string where = "CVSS vector " + std::to_string(i + 1) + ": ";
    if (text.starts_with("CVSS:4.")) {
      Result<Cvss4Vector> v4 = Cvss4Vector::Parse(text);
      if (!v4.ok()) return Status::Invalid(where + v4.status().message());
      if (has_v4) return Status::Invalid("more than one CVSS v4.0 vector");
      has_v4 = true;
    } else {
      Result<Cvss3Vector> v3 = Cvss3Vector::Parse(text);
      if (!v3.ok()) return Status::Invalid(where + v3.status().message());
      if (has_v3) return Status::Invalid("more than one CVSS v3 vector");
      has_v3 = true;
    }
  }
  for (std::size_t i = 0; i < a.references.size(); ++i) {
    if (!IsHttpUrl(a.references[i].url)) {
      return Status::Invalid("reference " + std::to_string(i + 1) +
                             " is not an http(s) URL: " + Quoted(a.references[i].url));
    }
  }
  for (std::size_t i = 0; i < a.credits.size(); ++i) {
    const Credit& c = a.credits[i];
    const std::string where = "credit " + std::to_string(i + 1);
    if (!c.anonymous && c.name.empty()) return Status::Invalid(where + " has no name");
    if (!IsValidUtf8(c.name)) return Status::Invalid(where + " is not valid UTF-8");
    for (const std::string& contact : c.contacts) {
      if (contact.empty() || !IsValidUtf8(contact) ||
          contact.find_first_of("\r\n") != std::string::npos) {
        return Status::Invalid(where + " has an invalid contact " + Quoted(contact));
      }
    }
  }
  return Status::Ok();
}

Result<std::string> ToMarkdown(const Advisory& a) {
  VIGIL_RETURN_IF_ERROR(Validate(a));
  const ParsedCvss cvss = ParseVectors(a);
  std::string md = "# " + EscapeInline(a.title) + "\n\n";

  md += "- **ID:** " + EscapeInline(a.id) + "\n";
  if (!a.aliases.empty()) {
    std::string aliases;
    for (const std::string& alias : a.aliases) {
      aliases += (aliases.empty() ? "" : ", ") + EscapeInline(alias);
    }
    md += "- **Aliases:** " + aliases + "\n";
  }
  md += "- **Published:** " + FormatUtc(a.published) + "\n";
  if (a.modified != a.published) md += "- **Updated:** " + FormatUtc(a.modified) + "\n";
  if (cvss.v4) {
    md += "- **Severity:** " + std::string(SeverityName(SeverityForScore(cvss.v4->Score()))) +
          " (CVSS v4.0 " + FormatScore(cvss.v4->Score()) + ")\n";
  } else if (cvss.v3) {
    const double base = cvss.v3->Scores().base;
    md += "- **Severity:** " + std::string(SeverityName(SeverityForScore(base))) + " (CVSS v" +
          (cvss.v3->version() == Cvss3Version::k30 ? "3.0" : "3.1") + " " + FormatScore(base) +
          ")\n";
  }
  md += "\n## Summary\n\n" + EscapeParagraph(a.summary) + "\n";
  if (!a.details.empty()) {
    std::string details = SanitizeDetails(a.details);
    while (!details.empty() && details.back() == '\n') details.pop_back();
    md += "\n## Details\n\n" + details + "\n";
  }

  md += "\n## Affected versions\n\n";
  md += "| Package | Ecosystem | Affected versions | Fixed in |\n";
  md += "| --- | --- | --- | --- |\n";
  for (const AffectedPackage& p : a.affected) {
    for (const VersionRange& r : p.ranges) {
      // Versions hold no backtick, "|" or space (Validate), so a code span shows them as is.
      md += "| " + EscapeInline(p.name) + " | " + EscapeInline(p.ecosystem) + " | `" +
            HumanRange(r) + "` | " + (r.fixed.empty() ? "no fix yet" : "`" + r.fixed + "`") +
            " |\n";
    }
  }
  for (const AffectedPackage& p : a.affected) {
    if (p.fixed_commits.empty()) continue;
    md += "\nFixed by these commits in " + EscapeInline(p.repo_url) + ":\n\n";
    for (const std::string& commit : p.fixed_commits) md += "- `" + commit + "`\n";
  }

  if (cvss.v3 || cvss.v4) {
    md += "\n## Severity\n\n";
    if (cvss.v4) {
      const double score = cvss.v4->Score();
      md += "- CVSS v4.0 (" + std::string(cvss.v4->Nomenclature()) + "): **" + FormatScore(score) +
            " " + std::string(SeverityName(SeverityForScore(score))) + "** `" +
            cvss.v4->ToString() + "`\n";
    }
    if (cvss.v3) {
      const Cvss3Scores scores = cvss.v3->Scores();
      md += std::string("- CVSS v") + (cvss.v3->version() == Cvss3Version::k30 ? "3.0" : "3.1") +
            ": **" + FormatScore(scores.base) + " " +
            std::string(SeverityName(SeverityForScore(scores.base))) + "** `" +
            cvss.v3->ToString() + "`\n";
    }
  }
  if (!a.weaknesses.empty()) {
    md += "\n## Weaknesses\n\n";
    for (const Weakness& w : a.weaknesses) {
      md += "- " + w.id + ": " + EscapeInline(w.name) + "\n";
    }
  }
  if (!a.references.empty()) {
    md += "\n## References\n\n";
    for (const Reference& r : a.references) {
      md += "- <" + r.url + "> (" + std::string(ReferenceTypeName(r.type)) + ")\n";
    }
  }
  if (!a.credits.empty()) {
    md += "\n## Credits\n\n";
    for (const Credit& c : a.credits) {
      md += "- " + EscapeInline(CreditName(c)) + " (" + std::string(CreditTypeName(c.type)) + ")\n";
    }
  }
  return md;
}

Result<std::string> ToOsvJson(const Advisory& a) {
  VIGIL_RETURN_IF_ERROR(Validate(a));
  const ParsedCvss cvss = ParseVectors(a);
  json::object osv;
  osv["schema_version"] = "1.6.0";
  osv["id"] = OsvId(a);
  std::vector<std::string> aliases = a.aliases;
  if (osv["id"].as_string() != a.id) {
    std::erase(aliases, std::string(osv["id"].as_string()));
    aliases.insert(aliases.begin(), a.id);
  }
  osv["modified"] = FormatUtc(a.modified);
  osv["published"] = FormatUtc(a.published);
  if (!aliases.empty()) {
    json::array alias_array;
    for (const std::string& alias : aliases) alias_array.push_back(json::string(alias));
    osv["aliases"] = std::move(alias_array);
  }
  // OSV's summary is the one-line headline; the summary paragraph opens the details.
  osv["summary"] = a.title;
  osv["details"] = a.details.empty() ? a.summary : a.summary + "\n\n" + a.details;
  json::array severity;
  if (cvss.v3)
    severity.push_back(json::object{{"type", "CVSS_V3"}, {"score", cvss.v3->ToString()}});
  if (cvss.v4)
    severity.push_back(json::object{{"type", "CVSS_V4"}, {"score", cvss.v4->ToString()}});
  if (!severity.empty()) osv["severity"] = std::move(severity);

  json::array affected;
  for (const AffectedPackage& p : a.affected) {
    json::object entry;
    entry["package"] = {{"ecosystem", p.ecosystem}, {"name", p.name}};
    json::array events;
    for (const VersionRange& r : p.ranges) {
      events.push_back(json::object{{"introduced", r.introduced}});
      if (!r.fixed.empty()) events.push_back(json::object{{"fixed", r.fixed}});
    }
    json::array ranges;
    ranges.push_back(
        json::object{{"type", p.scheme == VersionScheme::kSemver ? "SEMVER" : "ECOSYSTEM"},
                     {"events", std::move(events)}});
    if (!p.fixed_commits.empty()) {
      json::array git_events;
      git_events.push_back(json::object{{"introduced", "0"}});
      for (const std::string& commit : p.fixed_commits)
        git_events.push_back(json::object{{"fixed", commit}});
      ranges.push_back(
          json::object{{"type", "GIT"}, {"repo", p.repo_url}, {"events", std::move(git_events)}});
    }
    entry["ranges"] = std::move(ranges);
    affected.push_back(std::move(entry));
  }
  osv["affected"] = std::move(affected);

  if (!a.references.empty()) {
    json::array references;
    for (const Reference& r : a.references) {
      references.push_back(json::object{{"type", ReferenceTypeName(r.type)}, {"url", r.url}});
    }
    osv["references"] = std::move(references);
  }
  if (!a.credits.empty()) {
    json::array credits;
    for (const Credit& c : a.credits) {
      json::object credit;
      credit["name"] = CreditName(c);
      if (!c.anonymous && !c.contacts.empty()) {
        json::array contacts;
        for (const std::string& contact : c.contacts) contacts.push_back(json::string(contact));
        credit["contact"] = std::move(contacts);
      }
      std::string type(CreditTypeName(c.type));
      for (char& ch : type) {
        ch = ch == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      credit["type"] = type;
      credits.push_back(std::move(credit));
    }
    osv["credits"] = std::move(credits);
  }
  if (!a.weaknesses.empty()) {
    json::array cwe_ids;
    for (const Weakness& w : a.weaknesses) cwe_ids.push_back(json::string(w.id));
    osv["database_specific"] = {{"cwe_ids", std::move(cwe_ids)}};
  }
  return Pretty(osv);
}

Result<std::string> ToCveJson(const Advisory& a, const Publisher& publisher) {
  VIGIL_RETURN_IF_ERROR(Validate(a));
  const std::string cve_id = CveId(a);
  if (cve_id.empty()) return Status::Invalid("advisory " + a.id + " has no CVE id");
  if (!IsUuid(publisher.cve_org_id)) {
    return Status::Invalid("publisher CVE org id is not a UUID: " + Quoted(publisher.cve_org_id));
  }
  const ParsedCvss cvss = ParseVectors(a);

  json::object metadata;
  metadata["cveId"] = cve_id;
  metadata["assignerOrgId"] = publisher.cve_org_id;
  if (!publisher.cve_short_name.empty()) metadata["assignerShortName"] = publisher.cve_short_name;
  metadata["state"] = "PUBLISHED";
  metadata["datePublished"] = FormatUtc(a.published);
  metadata["dateUpdated"] = FormatUtc(a.modified);

  json::object cna;
  json::object provider;
  provider["orgId"] = publisher.cve_org_id;
  if (!publisher.cve_short_name.empty()) provider["shortName"] = publisher.cve_short_name;
  provider["dateUpdated"] = FormatUtc(a.modified);
  cna["providerMetadata"] = std::move(provider);
  cna["datePublic"] = FormatUtc(a.published);
  cna["title"] = a.title;

  json::object description;
  description["lang"] = "en";
  description["value"] = TruncateUtf8(
      a.details.empty() ? a.summary : a.summary + "\n\n" + a.details, kMaxDescriptionLength);
  if (!a.details.empty()) {
    description["supportingMedia"] = {
        {{"type", "text/markdown"}, {"base64", false}, {"value", a.details}}};
  }
  cna["descriptions"] = {std::move(description)};

  json::array affected;
  for (const AffectedPackage& p : a.affected) {
    json::object product;
    product["vendor"] = publisher.name.empty() ? "n/a" : publisher.name;
    product["product"] = ProductName(p);
    product["packageName"] = p.name;
    if (!p.repo_url.empty()) product["repo"] = p.repo_url;
    json::array versions;
    for (const VersionRange& r : p.ranges) {
      json::object version;
      version["version"] = r.introduced;
      version["status"] = "affected";
      version["versionType"] = p.scheme == VersionScheme::kSemver ? "semver" : "custom";
      version["lessThan"] = r.fixed.empty() ? "*" : r.fixed;
      versions.push_back(std::move(version));
    }
    product["versions"] = std::move(versions);
    product["defaultStatus"] = "unaffected";
    affected.push_back(std::move(product));
  }
  cna["affected"] = std::move(affected);

  if (!a.weaknesses.empty()) {
    json::array problem_types;
    for (const Weakness& w : a.weaknesses) {
      json::object entry = {
          {"lang", "en"}, {"cweId", w.id}, {"description", w.id + ": " + w.name}, {"type", "CWE"}};
      problem_types.push_back(json::object{{"descriptions", {std::move(entry)}}});
    }
    cna["problemTypes"] = std::move(problem_types);
  }

  json::array metrics;
  auto metric = [](std::string_view key, json::object score) {
    json::object entry;
    entry["format"] = "CVSS";
    entry["scenarios"] = {{{"lang", "en"}, {"value", "GENERAL"}}};
    entry[key] = std::move(score);
    return entry;
  };
  if (cvss.v4) metrics.push_back(metric("cvssV4_0", Cvss4Json(*cvss.v4)));
  if (cvss.v3) {
    metrics.push_back(metric(cvss.v3->version() == Cvss3Version::k30 ? "cvssV3_0" : "cvssV3_1",
                             Cvss3Json(*cvss.v3)));
  }
  if (!metrics.empty()) cna["metrics"] = std::move(metrics);

  // CVE requires at least one reference: fall back to the fix commits' repository.
  json::array references;
  for (const Reference& r : a.references) {
    json::object reference;
    reference["url"] = r.url;
    std::string_view tag;
    switch (r.type) {
      case ReferenceType::kAdvisory:
        tag = "vendor-advisory";
        break;
      case ReferenceType::kFix:
        tag = "patch";
        break;
      case ReferenceType::kReport:
        tag = "issue-tracking";
        break;
      case ReferenceType::kEvidence:
        tag = "exploit";
        break;
      case ReferenceType::kPackage:
        tag = "product";
        break;
      default:
        break;
    }
    if (!tag.empty()) reference["tags"] = {tag};
    references.push_back(std::move(reference));
  }
  for (const AffectedPackage& p : a.affected) {
    if (references.empty() && !p.repo_url.empty())
      references.push_back(json::object{{"url", p.repo_url}});
  }
  if (references.empty()) return Status::Invalid("a CVE record needs at least one reference");
  cna["references"] = std::move(references);

  if (!a.credits.empty()) {
    json::array credits;
    for (const Credit& c : a.credits) {
      credits.push_back(
          {{"lang", "en"}, {"value", CreditName(c)}, {"type", CreditTypeName(c.type)}});
    }
    cna["credits"] = std::move(credits);
  }

  json::object record;
  record["dataType"] = "CVE_RECORD";
  record["dataVersion"] = "5.1";
  record["cveMetadata"] = std::move(metadata);
  record["containers"] = {{"cna", std::move(cna)}};
  return Pretty(record);
}

Result<std::string> ToCsafJson(const Advisory& a, const Publisher& publisher) {
  VIGIL_RETURN_IF_ERROR(Validate(a));
  if (publisher.name.empty()) return Status::Invalid("publisher name is required");
  if (!IsHttpUrl(publisher.namespace_url)) {
    return Status::Invalid("publisher namespace is not an http(s) URL: " +
                           Quoted(publisher.namespace_url));
  }
  const ParsedCvss cvss = ParseVectors(a);

  // Product tree: vendor / product name / one version range per affected range and one version
  // per fixed version. Product ids are numbered in that order.
  int next_id = 1;
  auto new_id = [&next_id] {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "CSAFPID-%04d", next_id++);
    return std::string(buffer);
  };
  json::array product_branches;
  json::array known_affected, fixed;
  json::array remediations;
  for (const AffectedPackage& p : a.affected) {
    const std::string product = ProductName(p);
    json::array version_branches;
    for (const VersionRange& r : p.ranges) {
      const std::string affected_id = new_id();
      const std::string range = VersRange(p, r);
      version_branches.push_back(
          {{"category", "product_version_range"},
           {"name", range},
           {"product", {{"name", product + " " + HumanRange(r)}, {"product_id", affected_id}}}});
      known_affected.push_back(json::string(affected_id));
      if (r.fixed.empty()) continue;
      const std::string fixed_id = new_id();
      version_branches.push_back(
          {{"category", "product_version"},
           {"name", r.fixed},
           {"product", {{"name", product + " " + r.fixed}, {"product_id", fixed_id}}}});
      fixed.push_back(json::string(fixed_id));
      json::object remediation;
      remediation["category"] = "vendor_fix";
      remediation["details"] = "Upgrade " + product + " to version " + r.fixed + " or later.";
      remediation["product_ids"] = {json::string(affected_id)};
      if (!p.repo_url.empty() && !p.fixed_commits.empty()) {
        std::string url = p.repo_url;
        if (url.starts_with("https://github.com/") || url.starts_with("https://gitlab.com/")) {
          url += "/commit/" + p.fixed_commits.front();
        }
        remediation["url"] = url;
      }
      remediations.push_back(std::move(remediation));
    }
    product_branches.push_back(json::object{{"category", "product_name"},
                                            {"name", product},
                                            {"branches", std::move(version_branches)}});
  }
  json::object product_tree;
  product_tree["branches"] = {{{"category", "vendor"},
                               {"name", publisher.name},
                               {"branches", std::move(product_branches)}}};

  json::object document;
  document["category"] = "csaf_security_advisory";
  document["csaf_version"] = "2.0";
  document["lang"] = "en";
  document["title"] = a.title;
  json::object pub;
  pub["category"] = "vendor";
  pub["name"] = publisher.name;
  pub["namespace"] = publisher.namespace_url;
  if (!publisher.contact.empty()) pub["contact_details"] = publisher.contact;
  document["publisher"] = std::move(pub);
  json::object tracking;
  tracking["id"] = a.id;
  tracking["status"] = "final";
  tracking["version"] = "1";
  tracking["initial_release_date"] = FormatUtc(a.published);
  tracking["current_release_date"] = FormatUtc(a.modified);
  tracking["revision_history"] = {
      {{"date", FormatUtc(a.published)}, {"number", "1"}, {"summary", "Initial public release."}}};
  tracking["generator"] = {{"engine", {{"name", "Vigil"}}}};
  if (!a.aliases.empty()) {
    json::array aliases;
    for (const std::string& alias : a.aliases) aliases.push_back(json::string(alias));
    tracking["aliases"] = std::move(aliases);
  }
  document["tracking"] = std::move(tracking);
  json::array notes;
  notes.push_back(json::object{{"category", "summary"}, {"title", "Summary"}, {"text", a.summary}});
  if (!a.details.empty()) {
    notes.push_back(
        json::object{{"category", "details"}, {"title", "Details"}, {"text", a.details}});
  }
  if (cvss.v4) {
    // CSAF 2.0 has no place for a CVSS v4.0 score; keep it readable for humans.
    notes.push_back(
        {{"category", "other"},
         {"title", "CVSS v4.0"},
         {"text", cvss.v4->ToString() + " (score " + FormatScore(cvss.v4->Score()) + ", " +
                      std::string(SeverityName(SeverityForScore(cvss.v4->Score()))) + ")"}});
  }
  document["notes"] = std::move(notes);
  if (!a.references.empty()) {
    json::array references;
    for (const Reference& r : a.references) {
      references.push_back(
          json::object{{"category", "external"},
                       {"summary", std::string(ReferenceTypeName(r.type)) + " reference"},
                       {"url", r.url}});
    }
    document["references"] = std::move(references);
  }
  if (!a.credits.empty()) {
    json::array acknowledgments;
    for (const Credit& c : a.credits) {
      acknowledgments.push_back(
          {{"names", {json::string(CreditName(c))}}, {"summary", CreditTypeName(c.type)}});
    }
    document["acknowledgments"] = std::move(acknowledgments);
  }
  if (cvss.v3) {
    document["aggregate_severity"] = {
        {"text", SeverityName(SeverityForScore(cvss.v3->Scores().base))}};
  }

  json::object vulnerability;
  const std::string cve_id = CveId(a);
  if (!cve_id.empty()) vulnerability["cve"] = cve_id;
  json::array ids;
  for (const std::string& id : [&] {
         std::vector<std::string> all = {a.id};
         all.insert(all.end(), a.aliases.begin(), a.aliases.end());
         return all;
       }()) {
    if (id == cve_id) continue;
    const std::string system = id.starts_with("GHSA-") ? "GitHub Security Advisory" : "Vigil";
    ids.push_back(json::object{{"system_name", system}, {"text", id}});
  }
  if (!ids.empty()) vulnerability["ids"] = std::move(ids);
  if (!a.weaknesses.empty()) {
    // CSAF 2.0 carries a single CWE per vulnerability: the first one.
    vulnerability["cwe"] = {{"id", a.weaknesses.front().id}, {"name", a.weaknesses.front().name}};
  }
  vulnerability["title"] = a.title;
  vulnerability["notes"] = {{{"category", "description"}, {"text", a.summary}}};
  json::object status;
  status["known_affected"] = known_affected;
  if (!fixed.empty()) status["fixed"] = fixed;
  vulnerability["product_status"] = std::move(status);
  if (!remediations.empty()) vulnerability["remediations"] = std::move(remediations);
  if (cvss.v3) {
    vulnerability["scores"] = {{{"cvss_v3", Cvss3Json(*cvss.v3)}, {"products", known_affected}}};
  }
  json::object csaf;
  csaf["document"] = std::move(document);
  csaf["product_tree"] = std::move(product_tree);
  csaf["vulnerabilities"] = {std::move(vulnerability)};
  return Pretty(csaf);
}

}  // namespace vigil::advisory
