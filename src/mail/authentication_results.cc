#include "mail/authentication_results.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include "core/text.h"

namespace vigil::mail {
namespace {

constexpr size_t kMaxFields = 64;
constexpr size_t kMaxFieldBytes = 8 << 10;

// Removes RFC 5322 comments, "(...)" with nesting and quoted pairs, outside quoted strings.
std::string WithoutComments(std::string_view v) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\\' && i + 1 < v.size() && (depth > 0 || quoted)) {
      if (depth == 0) out.append(v.substr(i, 2));
      ++i;
    } else if (quoted) {
      out += c;
      if (c == '"') quoted = false;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
      if (depth == 0) out += ' ';
    } else if (depth == 0) {
      if (c == '"') quoted = true;
      out += c;
    }
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<AuthResultsField> ParseField(std::string_view value) {
  const std::string clean = WithoutComments(value);
  std::vector<std::string_view> parts = Split(clean, ';');
  std::vector<std::string_view> id = Words(parts.front());
  if (id.empty()) return std::nullopt;
  AuthResultsField f;
  f.authserv_id = LowerAscii(id.front());
  // "authserv-id [version]": anything more and the results cannot be trusted to mean what they
  // say, but the field still names its authserv-id (and so hides any lower one with that id).
  if (id.size() > 2) return f;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::vector<std::string_view> words = Words(parts[i]);
    if (words.empty()) continue;
    const size_t eq = words.front().find('=');
    if (eq == std::string_view::npos) continue;  // "none", or junk
    AuthResult r;
    r.method = LowerAscii(words.front().substr(0, eq));
    r.result = LowerAscii(words.front().substr(eq + 1));
    const size_t slash = r.method.find('/');  // "dkim/1"
    if (slash != std::string::npos) r.method.resize(slash);
    for (size_t w = 1; w < words.size(); ++w) {
      const size_t e = words[w].find('=');
      if (e == std::string_view::npos) continue;  // "reason" words and the like
      std::string v(words[w].substr(e + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      r.properties.emplace_back(LowerAscii(words[w].substr(0, e)), v);
    }
    f.results.push_back(std::move(r));
  }
  return f;
}

// DOMAIN equals PARENT or is a subdomain of it (both lower case).
bool WithinDomain(std::string_view domain, std::string_view parent) {
  if (parent.empty() || parent.find('.') == std::string_view::npos) return false;
  return domain == parent || (domain.size() > parent.size() && domain.ends_with(parent) &&
                              domain[domain.size() - parent.size() - 1] == '.');
}

}  // namespace

std::vector<AuthResultsField> ParseAuthenticationResults(std::string_view raw) {
  std::vector<AuthResultsField> out;
  size_t pos = 0;
  std::string field;  // the unfolded field being read
  bool in_field = false;
  auto finish = [&] {
    if (in_field && out.size() < kMaxFields) {
      if (std::optional<AuthResultsField> f = ParseField(field)) out.push_back(std::move(*f));
    }
    in_field = false;
    field.clear();
  };
  while (pos < raw.size()) {
    size_t nl = raw.find('\n', pos);
    if (nl == std::string_view::npos) nl = raw.size();
    std::string_view line = raw.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header
    if (line.front() == ' ' || line.front() == '\t') {
      if (in_field && field.size() + line.size() <= kMaxFieldBytes) {
        field += ' ';
        field += Trim(line, kBlanks);
      }
      continue;
    }
    finish();
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (LowerAscii(Trim(line.substr(0, colon), kBlanks)) != "authentication-results") continue;
    in_field = true;
    field = std::string(Trim(line.substr(colon + 1), kBlanks)).substr(0, kMaxFieldBytes);
  }
  finish();
  return out;
}

bool AuthenticatesDomain(std::string_view raw, std::string_view authserv_id,
                         std::string_view from_domain) {
  const std::string id = LowerAscii(authserv_id);
  const std::string domain = LowerAscii(from_domain);
  if (id.empty() || domain.empty()) return false;
  for (const AuthResultsField& f : ParseAuthenticationResults(raw)) {
    if (f.authserv_id != id) continue;
    for (const AuthResult& r : f.results) {
      if (r.result != "pass") continue;
      for (const auto& [name, value] : r.properties) {
        std::string v = LowerAscii(value);
        if (r.method == "dmarc" && name == "header.from" && v == domain) return true;
        if (r.method != "dkim") continue;
        if (name == "header.i") v = v.substr(v.find('@') + 1);  // npos + 1 == 0: whole value
        if ((name == "header.d" || name == "header.i") && WithinDomain(domain, v)) return true;
      }
    }
    return false;  // the topmost field of that id said no: a lower one is not asked
  }
  return false;
}

std::string RemoveAuthenticationResults(std::string_view raw, std::string_view authserv_id,
                                        int* removed) {
  const std::string id = LowerAscii(authserv_id);
  int count = 0;
  std::string out;
  out.reserve(raw.size());
  // Lines exactly as ParseAuthenticationResults reads them (without the newline and one CR), so
  // that nothing it would read as a field of ID is left behind.
  auto line_at = [raw](size_t pos, size_t* next) {
    size_t nl = raw.find('\n', pos);
    if (nl == std::string_view::npos) nl = raw.size();
    *next = nl + 1;
    std::string_view line = raw.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  size_t pos = 0;
  bool dropping = false;  // inside a field being removed (its folded lines go too)
  while (pos < raw.size()) {
    size_t next = 0;
    const std::string_view line = line_at(pos, &next);
    const std::string_view whole = raw.substr(pos, std::min(next, raw.size()) - pos);
    if (line.empty()) break;  // the end of the header: the rest is copied as it is
    if (line.front() == ' ' || line.front() == '\t') {
      if (!dropping) out.append(whole);
      pos = next;
      continue;
    }
    dropping = false;
    const size_t colon = line.find(':');
    if (!id.empty() && colon != std::string_view::npos &&
        LowerAscii(Trim(line.substr(0, colon), kBlanks)) == "authentication-results") {
      // The field unfolded as the parser unfolds it; it names its authserv-id first.
      std::string field =
          std::string(Trim(line.substr(colon + 1), kBlanks)).substr(0, kMaxFieldBytes);
      for (size_t at = next; at < raw.size();) {
        size_t after = 0;
        const std::string_view more = line_at(at, &after);
        if (more.empty() || (more.front() != ' ' && more.front() != '\t')) break;
        if (field.size() + more.size() <= kMaxFieldBytes) {
          field += ' ';
          field += Trim(more, kBlanks);
        }
        at = after;
      }
      std::optional<AuthResultsField> f = ParseField(field);
      if (f && f->authserv_id == id) {
        dropping = true;
        ++count;
        pos = next;
        continue;
      }
    }
    out.append(whole);
    pos = next;
  }
  if (pos < raw.size()) out.append(raw.substr(pos));
  if (removed) *removed = count;
  return out;
}

}  // namespace vigil::mail
