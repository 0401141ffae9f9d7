#include "patch/trailers.h"

#include <array>
#include "core/text.h"

namespace vigil::patch {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

template <size_t N>
bool OneOf(const std::string& lname, const std::array<std::string_view, N>& names) {
  for (std::string_view n : names) {
    if (lname == n) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 2> kIgnored = {"phone", "email"};
constexpr std::array<std::string_view, 3> kHeaders = {"subject", "date", "from"};
constexpr std::array<std::string_view, 3> kLinks = {"link", "buglink", "closes"};
constexpr std::array<std::string_view, 9> kNonPerson = {"link",         "buglink",   "closes",
                                                        "fixes",        "subject",   "date",
                                                        "obsoleted-by", "change-id", "base-commit"};

/// "Name: value" with a name of a word character and then non-spaces, and a non-empty value
/// (b4's ^\s*(\w\S+):\s+(\S.*)).
bool SplitTrailerLine(std::string_view line, std::string_view* name, std::string_view* value) {
  size_t p = 0;
  while (p < line.size() && IsSpace(line[p])) ++p;
  if (p >= line.size() || !IsWordChar(line[p])) return false;
  size_t start = p;
  // The name runs to the last ':' that is followed by whitespace, among non-space characters.
  size_t end = start;
  while (end < line.size() && !IsSpace(line[end])) ++end;
  for (size_t colon = end; colon > start + 1;) {
    --colon;
    if (line[colon] != ':') continue;
    if (colon + 1 >= line.size() || !IsSpace(line[colon + 1])) continue;
    std::string_view rest = line.substr(colon + 1);
    size_t v = 0;
    while (v < rest.size() && IsSpace(rest[v])) ++v;
    if (v >= rest.size()) return false;
    *name = line.substr(start, colon - start);
    *value = rest.substr(v);
    return true;
  }
  return false;
}

bool LooksLikeAddress(std::string_view value) {
  // b4: \S+@\S+\.\S+
  for (size_t at = value.find('@'); at != std::string_view::npos; at = value.find('@', at + 1)) {
    if (at == 0 || IsSpace(value[at - 1])) continue;
    size_t end = at + 1;
    while (end < value.size() && !IsSpace(value[end])) ++end;
    std::string_view domain = value.substr(at + 1, end - at - 1);
    size_t dot = domain.find('.', 1);
    if (dot != std::string_view::npos && dot + 1 < domain.size()) return true;
  }
  return false;
}

/// Fills person_name/email of a person trailer and normalises its value; tolerates mail
/// clients' "<a@b<mailto:a@b>>" junk.
void ParsePerson(Trailer* t) {
  std::string_view v = t->value;
  size_t lt = v.find('<');
  if (lt != std::string_view::npos) {
    size_t end = v.find_first_of("<>", lt + 1);
    std::string_view email = v.substr(lt + 1, end == std::string_view::npos ? end : end - lt - 1);
    std::string_view name = Trim(v.substr(0, lt), kAsciiSpace);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    t->email = std::string(Trim(email, kAsciiSpace));
    t->person_name = std::string(name);
  } else {
    // A bare address, possibly with text around it.
    size_t at = v.find('@');
    size_t start = v.rfind(' ', at);
    start = start == std::string_view::npos ? 0 : start + 1;
    size_t end = v.find(' ', at);
    t->email = std::string(v.substr(start, end == std::string_view::npos ? end : end - start));
    std::string name = std::string(Trim(v.substr(0, start), kAsciiSpace));
    t->person_name = name;
  }
  t->value = t->person_name.empty() ? t->email : t->person_name + " <" + t->email + ">";
}

/// Joins the two-line forms b4 repairs: "Tag: Long Name\n<email>" and
/// "Fixes: sha (subject\nwrapped)".
std::vector<std::string> Unwrap(const std::vector<std::string_view>& lines) {
  std::vector<std::string> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line(lines[i]);
    if (i + 1 < lines.size()) {
      std::string_view name, value;
      std::string_view next = lines[i + 1];
      if (SplitTrailerLine(line, &name, &value) && line[0] != ' ') {
        bool email_next = next.starts_with('<') && next.ends_with('>') &&
                          next.find('>') == next.size() - 1 && value.find('<') == value.npos;
        bool fixes_next = value.find('(') != value.npos && value.find(')') == value.npos &&
                          next.find(')') != next.npos && !next.empty() && !IsSpace(next[0]);
        if (email_next || fixes_next) {
          line += " ";
          line += next;
          ++i;
        }
      }
    }
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace

std::vector<Trailer> ParseTrailers(std::string_view text, TrailerSource source) {
  std::vector<std::string_view> raw;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    while (line.ends_with('\r')) line.remove_suffix(1);
    if (line == "-- ") break;  // the signature
    raw.push_back(line);
  }
  std::vector<Trailer> trailers;
  bool others = false;
  for (const std::string& line : Unwrap(raw)) {
    std::string_view name, value;
    if (!SplitTrailerLine(line, &name, &value)) {
      if (!Trim(line, kAsciiSpace).empty()) others = true;
      continue;
    }
    std::string lname = LowerAscii(name);
    if (OneOf(lname, kIgnored)) continue;
    if (others && OneOf(lname, kHeaders)) continue;
    const bool has_address = LooksLikeAddress(value);
    if (source == TrailerSource::kFollowup) {
      bool ascii = true;
      for (char c : name) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
      if (!ascii) continue;
      if (!has_address && !OneOf(lname, kNonPerson)) continue;
      if ((value.find("http://") != value.npos || value.find("https://") != value.npos) &&
          !OneOf(lname, kLinks)) {
        continue;
      }
    }
    Trailer t;
    t.name = std::string(name);
    t.value = std::string(Trim(value, kAsciiSpace));
    // A trailing " # remark" (b4's "extinfo").
    size_t hash = t.value.rfind(" #");
    if (hash != std::string::npos && hash > 0 && t.value.find('#', hash + 2) == std::string::npos) {
      t.comment = std::string(Trim(std::string_view(t.value).substr(hash + 2), kAsciiSpace));
      t.value = std::string(Trim(std::string_view(t.value).substr(0, hash), kAsciiSpace));
    }
    if (has_address && !OneOf(lname, kNonPerson)) ParsePerson(&t);
    trailers.push_back(std::move(t));
  }
  return trailers;
}

bool TrailerMatchesSender(const Trailer& trailer, std::string_view sender_email) {
  return !trailer.email.empty() &&
         LowerAscii(trailer.email) == LowerAscii(Trim(sender_email, kAsciiSpace));
}

bool IsApprovalTrailer(const Trailer& trailer) {
  std::string lname = LowerAscii(trailer.name);
  return lname == "reviewed-by" || lname == "acked-by" || lname == "tested-by";
}

}  // namespace vigil::patch
