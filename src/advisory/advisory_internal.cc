#include <cctype>
#include <charconv>
#include <cstdio>
#include <utility>

#include "advisory/advisory_internal.h"
#include "advisory/cvss.h"
#include "core/text.h"

namespace vigil::advisory::internal {

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
  return std::string(Utf8Prefix(text, limit - 3)) + "...";  // room for "..."
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

}  // namespace vigil::advisory::internal
