#include "patch/mailinfo_text.h"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/text.h"

namespace vigil::patch::mailinfo_internal {

// git's ctype: isspace is exactly space, tab, LF and CR.
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

/// strcasestr(): position of `needle` in `hay`, ignoring ASCII case.
size_t FindIgnoreCase(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return std::string_view::npos;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (EqualsIgnoreCase(hay.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

/// The part of `s` before its first NUL: what git's C-string functions see.
std::string_view CString(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

void RTrim(std::string* s) {
  size_t n = s->size();
  while (n > 0 && IsSpace((*s)[n - 1])) --n;
  s->resize(n);
}

void Trim(std::string* s) {
  RTrim(s);
  size_t n = 0;
  while (n < s->size() && IsSpace((*s)[n])) ++n;
  s->erase(0, n);
}

/// git's cleanup_space(): every run of whitespace becomes one space.
void CleanupSpace(std::string* s) {
  std::string out;
  out.reserve(s->size());
  for (size_t i = 0; i < s->size(); ++i) {
    if (IsSpace((*s)[i])) {
      out.push_back(' ');
      while (i + 1 < s->size() && IsSpace((*s)[i + 1])) ++i;
    } else {
      out.push_back((*s)[i]);
    }
  }
  s->swap(out);
}

bool IsUtf8Name(std::string_view name) {
  return EqualsIgnoreCase(name, "utf-8") || EqualsIgnoreCase(name, "utf8");
}

/// Converts `text` from `charset` to UTF-8 in place, as git's convert_to_utf8() with
/// metainfo_charset "UTF-8" (including its latin-1 fallback).
Status ConvertToUtf8(std::string* text, std::string_view charset_in) {
  std::string charset(CString(charset_in));
  if (charset.empty() || IsUtf8Name(charset)) return Status::Ok();
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1) && EqualsIgnoreCase(charset, "latin-1")) {
    cd = iconv_open("UTF-8", "ISO-8859-1");
  }
  const Status failure = Status::Invalid("cannot convert from " + charset + " to UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) return failure;
  std::string out(text->size() * 4 + 16, '\0');
  char* in_ptr = text->data();
  size_t in_left = text->size();
  size_t done = 0;
  bool ok = true;
  for (;;) {
    char* out_ptr = out.data() + done;
    size_t out_left = out.size() - done;
    size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    done = out.size() - out_left;
    if (rc != static_cast<size_t>(-1)) {
      if (in_left == 0) {
        // Flush any shift state.
        out_ptr = out.data() + done;
        out_left = out.size() - done;
        iconv(cd, nullptr, nullptr, &out_ptr, &out_left);
        done = out.size() - out_left;
        break;
      }
      continue;
    }
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    ok = false;
    break;
  }
  iconv_close(cd);
  if (!ok) return failure;
  out.resize(done);
  text->swap(out);
  return Status::Ok();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// git's decode_q_segment(): quoted-printable (RFC 2045), or the RFC 2047 "Q" form where '_' is a
/// space. Stops at a NUL or at "=\n"/a final "=" (a soft line break drops the rest).
std::string DecodeQ(std::string_view in, bool rfc2047) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size() && in[i] != '\0'; ++i) {
    char c = in[i];
    if (c == '=') {
      if (i + 1 >= in.size() || in[i + 1] == '\n' || in[i + 1] == '\0') break;
      int hi = HexValue(in[i + 1]);
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    if (rfc2047 && c == '_') c = ' ';
    out.push_back(c);
  }
  return out;
}

/// git's decode_b_segment(): base64, skipping every byte that is not in the alphabet.
std::string DecodeB(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  int pos = 0;
  unsigned acc = 0;
  for (size_t i = 0; i < in.size() && in[i] != '\0'; ++i) {
    char ch = in[i];
    unsigned c;
    if (ch == '+') {
      c = 62;
    } else if (ch == '/') {
      c = 63;
    } else if (ch >= 'A' && ch <= 'Z') {
      c = static_cast<unsigned>(ch - 'A');
    } else if (ch >= 'a' && ch <= 'z') {
      c = static_cast<unsigned>(ch - 'a' + 26);
    } else if (ch >= '0' && ch <= '9') {
      c = static_cast<unsigned>(ch - '0' + 52);
    } else {
      continue;
    }
    switch (pos++) {
      case 0:
        acc = c << 2;
        break;
      case 1:
        out.push_back(static_cast<char>(acc | (c >> 4)));
        acc = (c & 15) << 4;
        break;
      case 2:
        out.push_back(static_cast<char>(acc | (c >> 2)));
        acc = (c & 3) << 6;
        break;
      default:
        out.push_back(static_cast<char>(acc | c));
        acc = 0;
        pos = 0;
        break;
    }
  }
  return out;
}

/// git's decode_header(): decodes RFC 2047 encoded words of a header value in place, dropping
/// whitespace between two adjacent encoded words. On error the value is left as it was.
Status DecodeHeader(std::string* value, std::string_view name) {
  const std::string& it = *value;
  const Status malformed = Status::Invalid(std::string(name) + ": malformed RFC 2047 encoded word");
  std::string out;
  size_t in = 0;
  for (;;) {
    size_t ep = it.find("=?", in);
    if (ep == std::string::npos) break;
    if (in != ep) {
      size_t scan = in;
      while (scan < ep && IsSpace(it[scan])) ++scan;
      if (scan != ep || in == 0) out.append(it, in, ep - in);
    }
    ep += 2;
    size_t cp = it.find('?', ep);
    if (ep >= it.size() || cp == std::string::npos || cp + 3 > it.size()) return malformed;
    std::string charset = it.substr(ep, cp - ep);
    char encoding = it[cp + 1];
    if (encoding == '\0' || it[cp + 2] != '?') return malformed;
    size_t end = it.find("?=", cp + 3);
    if (end == std::string::npos) return malformed;
    std::string_view piece(it.data() + cp + 3, end - cp - 3);
    std::string decoded;
    switch (LowerAsciiChar(encoding)) {
      case 'b':
        decoded = DecodeB(piece);
        break;
      case 'q':
        decoded = DecodeQ(piece, true);
        break;
      default:
        return malformed;
    }
    VIGIL_RETURN_IF_ERROR(ConvertToUtf8(&decoded, charset));
    out += decoded;
    in = end + 2;
  }
  out.append(CString(std::string_view(it).substr(std::min(in, it.size()))));
  value->swap(out);
  return Status::Ok();
}

/// git's slurp_attr(): the value of `name` (e.g. "boundary=") in a Content-Type value.
bool SlurpAttr(std::string_view line, std::string_view name, std::string* attr) {
  attr->clear();
  line = CString(line);
  size_t ap = FindIgnoreCase(line, name);
  if (ap == std::string_view::npos) return false;
  ap += name.size();
  std::string_view ends = "; \t";
  if (ap < line.size() && line[ap] == '"') {
    ++ap;
    ends = "\"";
  }
  std::string_view rest = line.substr(ap);
  size_t sz = rest.find_first_of(ends);
  attr->assign(rest.substr(0, sz));
  return true;
}

bool HasAttrValue(std::string_view line, std::string_view name, std::string_view value) {
  std::string attr;
  return SlurpAttr(line, name, &attr) && EqualsIgnoreCase(CString(attr), value);
}

/// git's is_rfc2822_header(): "From " and ">From " count, else a field name and a colon.
bool IsRfc2822Header(std::string_view line) {
  line = CString(line);
  if (line.starts_with("From ") || line.starts_with(">From ")) return true;
  for (char ch : line) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == ':') return true;
    if ((c >= 33 && c <= 57) || (c >= 59 && c <= 126)) continue;
    break;
  }
  return false;
}

/// git's skip_header(): if `line` is "HDR:" (any case) returns true and the value after the colon
/// and any whitespace.
bool SkipHeader(std::string_view line, std::string_view hdr, std::string_view* value) {
  line = CString(line);
  if (!StartsWithIgnoreCase(line, hdr) || line.size() <= hdr.size() || line[hdr.size()] != ':') {
    return false;
  }
  size_t p = hdr.size() + 1;
  while (p < line.size() && IsSpace(line[p])) ++p;
  *value = line.substr(p);
  return true;
}

/// git's is_scissors_line().
bool IsScissorsLine(std::string_view line) {
  line = CString(line);
  int scissors = 0, gap = 0, perforation = 0;
  bool in_perforation = false;
  size_t first = std::string_view::npos, last = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (IsSpace(c)) {
      if (in_perforation) {
        ++perforation;
        ++gap;
      }
      continue;
    }
    last = i;
    if (first == std::string_view::npos) first = i;
    if (c == '-') {
      in_perforation = true;
      ++perforation;
      continue;
    }
    std::string_view rest = line.substr(i);
    if (rest.starts_with(">8") || rest.starts_with("8<") || rest.starts_with(">%") ||
        rest.starts_with("%<")) {
      in_perforation = true;
      perforation += 2;
      scissors += 2;
      ++i;
      continue;
    }
    in_perforation = false;
  }
  int visible = first == std::string_view::npos ? 0 : static_cast<int>(last - first + 1);
  return scissors && visible >= 8 && visible < perforation * 3 && gap * 2 < perforation;
}

/// git's patchbreak(): the line where the message ends and the patch begins.
bool IsPatchBreak(std::string_view line) {
  std::string_view c = CString(line);
  if (c.starts_with("diff -") || c.starts_with("Index: ")) return true;
  if (line.size() < 4 || !c.starts_with("---")) return false;
  // git reads the terminating NUL when the line is exactly 4 bytes long.
  if (line[3] == ' ' && !IsSpace(line.size() > 4 ? line[4] : '\0')) return true;
  for (size_t i = 3; i < line.size(); ++i) {
    if (line[i] == '\n') return true;
    if (!IsSpace(line[i])) break;
  }
  return false;
}

/// git's is_format_patch_separator(): an escaped "From <sha> Mon Sep 17 00:00:00 2001" line.
bool IsFormatPatchSeparator(std::string_view line) {
  static constexpr std::string_view kSample =
      "From e6807f3efca28b30decfecb1732a56c7db1137ee Mon Sep 17 00:00:00 2001\n";
  if (line.size() != kSample.size() || !line.starts_with("From ")) return false;
  for (size_t i = 5; i < 45; ++i) {
    if (!IsDigit(line[i]) && !(line[i] >= 'a' && line[i] <= 'f')) return false;
  }
  return line.substr(45) == kSample.substr(45);
}

/// Copies the rest of a quoted string (`comment` false; the closing quote is dropped) or of a
/// comment (nested; its parentheses are kept) that begins before in[*i], undoing quoted pairs.
void CopyQuoted(std::string_view in, size_t* i, bool comment, std::string* out) {
  bool literal = false;
  int depth = 1;
  while (*i < in.size()) {
    char d = in[(*i)++];
    if (literal) {
      literal = false;
    } else if (d == '\\') {
      literal = true;
      continue;
    } else if (!comment && d == '"') {
      return;
    } else if (comment && (d == '(' || d == ')')) {
      out->push_back(d);
      depth += d == '(' ? 1 : -1;
      if (depth == 0) return;
      continue;
    }
    out->push_back(d);
  }
}

/// git's unquote_quoted_pair(): removes the quotes of quoted strings and the backslashes of
/// quoted pairs; comments keep their parentheses.
std::string UnquoteQuotedPair(std::string_view in) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i++];
    if (c == '"') {
      CopyQuoted(in, &i, /*comment=*/false, &out);
    } else if (c == '(') {
      out.push_back('(');
      CopyQuoted(in, &i, /*comment=*/true, &out);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// git's get_sane_name(): the name, unless it is empty, too long or looks like an address.
std::string SaneName(const std::string& name, const std::string& email) {
  if (name.empty() || name.size() > 60 || name.find_first_of("@<>") != std::string::npos) {
    return email;
  }
  return name;
}

/// git's cleanup_subject().
void CleanupSubject(std::string* subject, bool keep_non_patch_brackets) {
  size_t at = 0;
  while (at < subject->size()) {
    char c = (*subject)[at];
    if (c == 'r' || c == 'R') {
      if (subject->size() <= at + 3) break;
      if (((*subject)[at + 1] == 'e' || (*subject)[at + 1] == 'E') && (*subject)[at + 2] == ':') {
        subject->erase(at, 3);
        continue;
      }
      break;
    }
    if (c == ' ' || c == '\t' || c == ':') {
      subject->erase(at, 1);
      continue;
    }
    if (c == '[') {
      size_t ket = subject->find(']', at);
      if (ket == std::string::npos) break;
      size_t remove = ket - at + 1;
      if (!keep_non_patch_brackets ||
          (remove >= 7 && subject->substr(at, remove).find("PATCH") != std::string::npos)) {
        subject->erase(at, remove);
      } else {
        at += remove;
        if (at < subject->size() && IsSpace((*subject)[at])) ++at;
      }
      continue;
    }
    break;
  }
  Trim(subject);
}

/// The value of header `name` in the raw (unfolded) header `line`, trimmed, or nothing.
bool RawHeaderValue(std::string_view line, std::string_view name, std::string* out) {
  std::string_view v;
  if (!SkipHeader(line, name, &v)) return false;
  out->assign(v);
  Trim(out);
  return true;
}

std::vector<std::string> AngleIds(std::string_view s) {
  std::vector<std::string> ids;
  size_t pos = 0;
  while ((pos = s.find('<', pos)) != std::string_view::npos) {
    size_t end = s.find('>', pos);
    if (end == std::string_view::npos) break;
    ids.emplace_back(s.substr(pos, end - pos + 1));
    pos = end + 1;
  }
  return ids;
}

/// The value of the first "change-id:" line of `text` (b4 writes it below the "---").
std::string FindChangeId(std::string_view text) {
  // Looks only at the colons (rare in a patch) rather than at every line: "change-id" (any case)
  // must come right before one, at the start of a line.
  static constexpr std::string_view kName = "change-id";
  for (size_t colon = text.find(':'); colon != std::string_view::npos;
       colon = text.find(':', colon + 1)) {
    if (colon < kName.size()) continue;
    const size_t start = colon - kName.size();
    if (start > 0 && text[start - 1] != '\n') continue;
    if (!EqualsIgnoreCase(text.substr(start, kName.size()), kName)) continue;
    const size_t nl = text.find('\n', colon);
    std::string_view value;
    if (SkipHeader(text.substr(start, nl == std::string_view::npos ? nl : nl - start), kName,
                   &value)) {
      std::string id(value);
      Trim(&id);
      if (!id.empty()) return id;
    }
  }
  return {};
}

}  // namespace vigil::patch::mailinfo_internal
