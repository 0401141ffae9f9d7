#include "patch/mailinfo.h"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include "core/text.h"

namespace vigil::patch {
namespace {

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

// The headers git mailinfo reports, in output order.
enum Header { kFrom = 0, kSubject = 1, kDate = 2, kHeaderCount = 3 };
constexpr std::array<std::string_view, kHeaderCount> kHeaderNames = {"From", "Subject", "Date"};

enum class TransferEncoding { kNone, kQuotedPrintable, kBase64 };

/// Reads the mail line by line as git's strbuf_getwholeline()/strbuf_getline_lf() do.
class LineInput {
 public:
  explicit LineInput(std::string_view text) : text_(text) {}
  /// The next byte, or -1 at the end.
  int Peek() const { return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1; }
  void Skip() { ++pos_; }
  /// The next line with its '\n' (if any); false at the end (`line` is then empty).
  bool GetWholeLine(std::string* line) {
    line->clear();
    if (pos_ >= text_.size()) return false;
    size_t nl = text_.find('\n', pos_);
    size_t end = nl == std::string_view::npos ? text_.size() : nl + 1;
    line->assign(text_.substr(pos_, end - pos_));
    pos_ = end;
    return true;
  }
  /// Everything not read yet; the input is then at its end.
  std::string_view TakeRest() {
    std::string_view rest = text_.substr(std::min(pos_, text_.size()));
    pos_ = text_.size();
    return rest;
  }
  /// The next line without its '\n'; false at the end.
  bool GetLineLf(std::string* line) {
    if (!GetWholeLine(line)) return false;
    if (!line->empty() && line->back() == '\n') line->pop_back();
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

/// One run of git's mailinfo() over one mail. The members mirror git's struct mailinfo.
class MailinfoRun {
 public:
  MailinfoRun(std::string_view mail, const MailinfoOptions& options)
      : options_(options), in_(mail) {}

  Result<MailInfo> Run();

 private:
  bool ReadOneHeaderLine(std::string* line);
  bool CheckHeader(const std::string& line, std::optional<std::string>* hdr, bool overwrite);
  bool ParseHeader(std::string_view line, std::string_view hdr, std::string* value);
  void HandleContentType(const std::string& value);
  void HandleBody(std::string* line);
  bool FindBoundary(std::string* line);
  bool IsMultipartBoundary(std::string_view line) const;
  bool HandleBoundary(std::string* line);
  void DecodeTransferEncoding(std::string* line) const;
  void HandleFilterFlowed(std::string* line, std::string* prev);
  void HandleFilter(std::string* line);
  bool HandleCommitMsg(std::string* line);
  bool CheckInbodyHeader(const std::string& line);
  bool IsInbodyHeader(std::string_view line) const;
  void FlushInbodyHeaderAccum();
  void HandleFrom(std::string_view from, MailInfo* info);
  void SetError(Status status) {
    if (error_.ok()) error_ = std::move(status);
  }

  const MailinfoOptions& options_;
  LineInput in_;
  std::array<std::optional<std::string>, kHeaderCount> p_hdr_;  // the mail's headers
  std::array<std::optional<std::string>, kHeaderCount> s_hdr_;  // in-body headers
  std::vector<std::string> boundaries_;                         // innermost last
  std::string charset_;
  TransferEncoding transfer_encoding_ = TransferEncoding::kNone;
  bool format_flowed_ = false;
  bool delsp_ = false;
  int filter_stage_ = 0;
  bool header_stage_ = true;
  std::string inbody_header_accum_;
  std::string log_message_;
  std::string patch_;
  size_t patch_lines_ = 0;
  std::optional<std::string> message_id_;
  std::string raw_message_id_, raw_in_reply_to_, raw_references_;
  Status error_;
};

bool MailinfoRun::ReadOneHeaderLine(std::string* line) {
  if (!in_.GetLineLf(line)) return false;
  RTrim(line);
  if (line->empty() || !IsRfc2822Header(*line)) {
    line->push_back('\n');
    return false;
  }
  std::string continuation;
  for (;;) {
    int peek = in_.Peek();
    if (peek != ' ' && peek != '\t') break;
    if (!in_.GetLineLf(&continuation)) break;
    continuation[0] = ' ';
    RTrim(&continuation);
    *line += continuation;
  }
  return true;
}

bool MailinfoRun::ParseHeader(std::string_view line, std::string_view hdr, std::string* value) {
  std::string_view v;
  if (!SkipHeader(line, hdr, &v)) return false;
  value->assign(v);
  Status st = DecodeHeader(value, hdr);
  if (!st.ok()) SetError(std::move(st));
  return true;
}

bool MailinfoRun::CheckHeader(const std::string& line, std::optional<std::string>* hdr,
                              bool overwrite) {
  std::string value;
  for (int i = 0; i < kHeaderCount; ++i) {
    if ((!hdr[i] || overwrite) && ParseHeader(line, kHeaderNames[i], &value)) {
      hdr[i] = value;
      return true;
    }
  }
  if (ParseHeader(line, "Content-Type", &value)) {
    HandleContentType(value);
    return true;
  }
  if (ParseHeader(line, "Content-Transfer-Encoding", &value)) {
    if (FindIgnoreCase(CString(value), "base64") != std::string::npos) {
      transfer_encoding_ = TransferEncoding::kBase64;
    } else if (FindIgnoreCase(CString(value), "quoted-printable") != std::string::npos) {
      transfer_encoding_ = TransferEncoding::kQuotedPrintable;
    } else {
      transfer_encoding_ = TransferEncoding::kNone;
    }
    return true;
  }
  if (ParseHeader(line, "Message-ID", &value)) {
    if (options_.message_id) message_id_ = value;
    return true;
  }
  return false;
}

void MailinfoRun::HandleContentType(const std::string& value) {
  format_flowed_ = HasAttrValue(value, "format=", "flowed");
  delsp_ = HasAttrValue(value, "delsp=", "yes");
  std::string boundary;
  if (SlurpAttr(value, "boundary=", &boundary)) {
    // git keeps at most 4 nested boundaries (MAX_BOUNDARIES is 5 with slot 0 unused).
    if (boundaries_.size() + 1 >= 5) {
      SetError(Status::Invalid("too many nested MIME multiparts"));
      return;
    }
    boundaries_.push_back("--" + boundary);
  }
  SlurpAttr(value, "charset=", &charset_);
}

bool MailinfoRun::IsMultipartBoundary(std::string_view line) const {
  const std::string& top = boundaries_.back();
  return top.size() <= line.size() && line.compare(0, top.size(), top) == 0;
}

bool MailinfoRun::FindBoundary(std::string* line) {
  while (in_.GetLineLf(line)) {
    if (!boundaries_.empty() && IsMultipartBoundary(*line)) return true;
  }
  return false;
}

bool MailinfoRun::HandleBoundary(std::string* line) {
  for (;;) {
    const std::string& top = boundaries_.back();
    if (line->size() >= top.size() + 2 && line->compare(top.size(), 2, "--") == 0) {
      // The end of this multipart: pop it, then skip to the enclosing one's next boundary.
      boundaries_.pop_back();
      std::string newline = "\n";
      HandleFilter(&newline);
      if (!error_.ok()) return false;
      if (!FindBoundary(line)) return false;
      continue;
    }
    break;
  }
  transfer_encoding_ = TransferEncoding::kNone;
  charset_.clear();
  while (ReadOneHeaderLine(line)) CheckHeader(*line, p_hdr_.data(), false);
  if (!in_.GetLineLf(line)) return false;
  line->push_back('\n');
  return true;
}

void MailinfoRun::DecodeTransferEncoding(std::string* line) const {
  switch (transfer_encoding_) {
    case TransferEncoding::kQuotedPrintable:
      *line = DecodeQ(*line, false);
      break;
    case TransferEncoding::kBase64:
      *line = DecodeB(*line);
      break;
    case TransferEncoding::kNone:
      break;
  }
}

void MailinfoRun::HandleBody(std::string* line) {
  std::string prev;
  if (!boundaries_.empty() && !FindBoundary(line)) return;
  do {
    if (!boundaries_.empty() && IsMultipartBoundary(*line)) {
      if (!prev.empty()) {
        HandleFilter(&prev);
        prev.clear();
      }
      if (!HandleBoundary(line)) return;
    }
    DecodeTransferEncoding(line);
    if (transfer_encoding_ != TransferEncoding::kNone) {
      line->insert(0, prev);
      prev.clear();
      // The decoded text may hold several lines; a last one without '\n' waits for the next.
      size_t pos = 0;
      std::string piece;
      while (pos < line->size()) {
        size_t nl = line->find('\n', pos);
        if (nl == std::string::npos) {
          prev.append(*line, pos);
          break;
        }
        piece.assign(*line, pos, nl + 1 - pos);
        pos = nl + 1;
        HandleFilterFlowed(&piece, &prev);
      }
    } else {
      HandleFilterFlowed(line, &prev);
    }
    if (!error_.ok()) break;
    if (filter_stage_ == 1 && boundaries_.empty() &&
        transfer_encoding_ == TransferEncoding::kNone && !format_flowed_ &&
        !options_.strip_quoted_cr && prev.empty()) {
      // In the patch of a plain (not multipart, not encoded, not flowed) body every remaining
      // line would go to HandleFilter unchanged: take them at once (patch_lines_ is already
      // positive, which is all it is used for).
      patch_.append(in_.TakeRest());
      break;
    }
  } while (in_.GetWholeLine(line));
  if (!prev.empty()) HandleFilter(&prev);
  FlushInbodyHeaderAccum();
}

void MailinfoRun::HandleFilterFlowed(std::string* line, std::string* prev) {
  if (!format_flowed_ || line->empty()) {
    if (options_.strip_quoted_cr && line->ends_with("\r\n")) line->erase(line->size() - 2, 1);
    HandleFilter(line);
    return;
  }
  size_t len = line->size();
  if ((*line)[len - 1] == '\n') {
    --len;
    if (len > 0 && (*line)[len - 1] == '\r') --len;
  }
  // The signature separator "-- " stays as it is.
  if (len == 3 && line->starts_with("-- ")) {
    if (!prev->empty()) {
      HandleFilter(prev);
      prev->clear();
    }
    HandleFilter(line);
    return;
  }
  // Unstuff a space-stuffed line.
  if (len > 0 && (*line)[0] == ' ') {
    line->erase(0, 1);
    --len;
  }
  // A flowed line continues on the next one; keep it without its soft line break.
  if (len > 0 && (*line)[len - 1] == ' ') {
    prev->append(*line, 0, len - (delsp_ ? 1 : 0));
    return;
  }
  line->insert(0, *prev);
  prev->clear();
  HandleFilter(line);
}

void MailinfoRun::HandleFilter(std::string* line) {
  if (filter_stage_ == 0) {
    if (!HandleCommitMsg(line)) return;
    filter_stage_ = 1;
  }
  patch_ += *line;
  ++patch_lines_;
}

bool MailinfoRun::IsInbodyHeader(std::string_view line) const {
  std::string_view value;
  for (int i = 0; i < kHeaderCount; ++i) {
    if (!s_hdr_[i] && SkipHeader(line, kHeaderNames[i], &value)) return true;
  }
  return false;
}

void MailinfoRun::FlushInbodyHeaderAccum() {
  if (inbody_header_accum_.empty()) return;
  CheckHeader(inbody_header_accum_, s_hdr_.data(), false);
  inbody_header_accum_.clear();
}

bool MailinfoRun::CheckInbodyHeader(const std::string& line) {
  if (!inbody_header_accum_.empty() && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    if (options_.scissors && IsScissorsLine(line)) {
      // A scissors line is not a continuation of the header above it.
      FlushInbodyHeaderAccum();
      return false;
    }
    if (inbody_header_accum_.back() == '\n') inbody_header_accum_.pop_back();
    inbody_header_accum_ += line;
    return true;
  }
  FlushInbodyHeaderAccum();
  if (line.starts_with(">From") && line.size() > 5 && IsSpace(line[5])) {
    return IsFormatPatchSeparator(std::string_view(line).substr(1));
  }
  if (line.starts_with("[PATCH]") && line.size() > 7 && IsSpace(line[7])) {
    s_hdr_[kSubject] = line;
    return true;
  }
  if (IsInbodyHeader(line)) {
    inbody_header_accum_ += line;
    return true;
  }
  return false;
}

bool MailinfoRun::HandleCommitMsg(std::string* line) {
  if (header_stage_ && (line->empty() || *line == "\n")) {
    if (!inbody_header_accum_.empty()) {
      FlushInbodyHeaderAccum();
      header_stage_ = false;
    }
    return false;
  }
  if (options_.inbody_headers && header_stage_) {
    header_stage_ = CheckInbodyHeader(*line);
    if (header_stage_) return false;
  } else {
    header_stage_ = false;  // only the leading blank lines are dropped
  }
  Status st = ConvertToUtf8(line, charset_);
  if (!st.ok()) {
    SetError(std::move(st));
    return false;
  }
  if (options_.scissors && IsScissorsLine(*line)) {
    log_message_.clear();
    header_stage_ = true;
    for (auto& h : s_hdr_) h.reset();
    return false;
  }
  if (IsPatchBreak(*line)) {
    if (message_id_) log_message_ += "Message-ID: " + *message_id_ + "\n";
    return true;
  }
  log_message_ += *line;
  return false;
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

void MailinfoRun::HandleFrom(std::string_view from_in, MailInfo* info) {
  std::string from(CString(from_in));
  std::string f = UnquoteQuotedPair(from);
  size_t at = f.find('@');
  if (at == std::string::npos) {
    // git's parse_bogus_from(): "John Doe <johndoe>".
    size_t bra = from.find('<');
    if (bra == std::string::npos) return;
    size_t ket = from.find('>', bra);
    if (ket == std::string::npos) return;
    info->email = from.substr(bra + 1, ket - bra - 1);
    std::string name = from.substr(0, bra);
    Trim(&name);
    info->author = SaneName(name, info->email);
    return;
  }
  // The address is the word around '@', possibly delimited by <>.
  while (at > 0) {
    char c = f[at - 1];
    if (IsSpace(c)) break;
    if (c == '<') {
      f[at - 1] = ' ';
      break;
    }
    --at;
  }
  size_t el = f.find_first_of(" \n\t\r\v\f>", at);
  if (el == std::string::npos) el = f.size();
  el -= at;
  info->email = f.substr(at, el);
  f.erase(at, el + (at + el < f.size() ? 1 : 0));
  CleanupSpace(&f);
  Trim(&f);
  if (!f.empty() && f.front() == '(' && f.back() == ')') {
    f.erase(0, 1);
    f.pop_back();
  }
  info->author = SaneName(f, info->email);
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

Result<MailInfo> MailinfoRun::Run() {
  // Leading whitespace is skipped; nothing else is an empty patch.
  // (C's isspace() here, which also knows \v and \f.)
  for (int c = in_.Peek(); c == ' ' || (c >= '\t' && c <= '\r'); c = in_.Peek()) in_.Skip();
  if (in_.Peek() < 0) return Status::Invalid("empty message");

  std::string line;
  while (ReadOneHeaderLine(&line)) {
    CheckHeader(line, p_hdr_.data(), true);
    RawHeaderValue(line, "Message-ID", &raw_message_id_);
    RawHeaderValue(line, "In-Reply-To", &raw_in_reply_to_);
    RawHeaderValue(line, "References", &raw_references_);
  }
  HandleBody(&line);
  if (!error_.ok()) return error_;

  MailInfo info;
  if (p_hdr_[kSubject]) info.raw_subject = *p_hdr_[kSubject];
  info.body = std::move(log_message_);
  info.patch = std::move(patch_);
  for (int i = 0; i < kHeaderCount; ++i) {
    std::optional<std::string>* hdr = nullptr;
    if (patch_lines_ > 0 && s_hdr_[i]) {
      hdr = &s_hdr_[i];
    } else if (p_hdr_[i]) {
      hdr = &p_hdr_[i];
    } else {
      continue;
    }
    std::string& value = **hdr;
    if (value.find('\0') != std::string::npos) {
      return Status::Invalid("a NUL byte in '" + std::string(kHeaderNames[i]) + "' is not allowed");
    }
    if (i == kSubject) {
      if (!options_.keep_subject) {
        CleanupSubject(&value, options_.keep_non_patch_brackets);
        CleanupSpace(&value);
      }
      info.subject = value;
      size_t pos = 0;
      for (;;) {
        size_t nl = value.find('\n', pos);
        info.info += "Subject: " + value.substr(pos, nl == std::string::npos ? nl : nl - pos);
        info.info += "\n";
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
    } else if (i == kFrom) {
      CleanupSpace(&value);
      HandleFrom(value, &info);
      info.info += "Author: " + info.author + "\nEmail: " + info.email + "\n";
    } else {
      CleanupSpace(&value);
      info.date = value;
      info.info += "Date: " + value + "\n";
    }
  }
  info.info += "\n";

  // git am: the subject lines of the info output, a blank line, the body; then stripspace.
  std::string message;
  size_t pos = 0;
  for (;;) {
    size_t nl = info.subject.find('\n', pos);
    if (!message.empty()) message += '\n';
    message += info.subject.substr(pos, nl == std::string::npos ? nl : nl - pos);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  message += "\n\n";
  message += info.body;
  info.message = StripSpace(message);

  info.series = ParseSeriesPosition(info.raw_subject);
  info.change_id = FindChangeId(info.body);
  if (info.change_id.empty()) info.change_id = FindChangeId(info.patch);
  info.message_id = raw_message_id_;
  info.in_reply_to = raw_in_reply_to_;
  info.references = AngleIds(raw_references_);
  return info;
}

}  // namespace

Result<MailInfo> ParseMail(std::string_view mail, const MailinfoOptions& options) {
  return MailinfoRun(mail, options).Run();
}

std::string StripSpace(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  size_t empties = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t nl = text.find('\n', i);
    size_t len = nl == std::string_view::npos ? text.size() - i : nl - i + 1;
    size_t keep = len;
    while (keep > 0 && IsSpace(text[i + keep - 1])) --keep;
    if (keep > 0) {
      if (empties > 0 && !out.empty()) out.push_back('\n');
      empties = 0;
      out.append(text.substr(i, keep));
      out.push_back('\n');
    } else {
      ++empties;
    }
    i += len;
  }
  return out;
}

SeriesPosition ParseSeriesPosition(std::string_view subject) {
  SeriesPosition pos;
  size_t at = 0;
  auto parse_int = [](std::string_view s, int* value) {
    if (s.empty() || s.size() > 6) return false;
    int v = 0;
    for (char c : s) {
      if (!IsDigit(c)) return false;
      v = v * 10 + (c - '0');
    }
    *value = v;
    return true;
  };
  while (at < subject.size()) {
    char c = subject[at];
    if (c == ' ' || c == '\t' || c == ':') {
      ++at;
      continue;
    }
    if ((c == 'r' || c == 'R') && subject.size() > at + 3 &&
        (subject[at + 1] == 'e' || subject[at + 1] == 'E') && subject[at + 2] == ':') {
      at += 3;
      continue;
    }
    if (c != '[') break;
    size_t ket = subject.find(']', at);
    if (ket == std::string_view::npos) break;
    std::string_view group = subject.substr(at + 1, ket - at - 1);
    at = ket + 1;
    size_t p = 0;
    while (p < group.size()) {
      while (p < group.size() && (IsSpace(group[p]) || group[p] == ',')) ++p;
      size_t end = p;
      while (end < group.size() && !IsSpace(group[end]) && group[end] != ',') ++end;
      std::string_view word = group.substr(p, end - p);
      p = end;
      if (word.empty()) continue;
      int a = 0, b = 0;
      size_t slash = word.find('/');
      if (EqualsIgnoreCase(word, "RFC")) {
        pos.rfc = true;
      } else if ((word[0] == 'v' || word[0] == 'V') && parse_int(word.substr(1), &a) && a > 0) {
        pos.version = a;
      } else if (slash != std::string_view::npos && parse_int(word.substr(0, slash), &a) &&
                 parse_int(word.substr(slash + 1), &b) && b > 0 && a <= b) {
        pos.index = a;
        pos.total = b;
      }
    }
  }
  return pos;
}

}  // namespace vigil::patch
