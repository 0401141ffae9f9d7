#include "patch/mailinfo.h"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "core/text.h"
#include "patch/mailinfo_text.h"

namespace vigil::patch {
namespace {

using namespace mailinfo_internal;

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
