#include "patch/patch_id.h"

#include <array>
#include <cstring>
#include <memory>

#include "patch/sha1.h"

namespace vigil::patch {
namespace {

using Digest = Sha1::Digest;

constexpr std::string_view kZeroId = "0000000000000000000000000000000000000000";

constexpr bool IsGitSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// 1 for the bytes patch-id hashes, 0 for git whitespace.
constexpr std::array<unsigned char, 256> kKeep = [] {
  std::array<unsigned char, 256> keep{};
  for (int c = 0; c < 256; ++c) keep[static_cast<size_t>(c)] = IsGitSpace(c) ? 0 : 1;
  return keep;
}();
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// True when `s` starts with 40 hex digits (git's get_oid_hex for SHA-1), which it copies,
/// lower-cased, to `out`.
bool ParseObjectId(std::string_view s, std::string* out) {
  if (s.size() < 40) return false;
  for (size_t i = 0; i < 40; ++i) {
    if (HexValue(s[i]) < 0) return false;
  }
  out->assign(s.substr(0, 40));
  for (char& c : *out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return true;
}

/// Mimics atoi() on digits: the value of the leading decimal digits of `s`.
int LeadingNumber(std::string_view s, size_t* digits) {
  size_t n = 0;
  long long value = 0;
  while (n < s.size() && IsDigit(s[n])) {
    if (value < (1LL << 40)) value = value * 10 + (s[n] - '0');
    ++n;
  }
  *digits = n;
  return static_cast<int>(value);
}

/// git's scan_hunk_header(): sets the old and new line counts of "@@ -a,b +c,d @@" (a missing
/// count is 1), leaving what it could not parse unchanged, exactly as git does.
void ScanHunkHeader(std::string_view line, int* before, int* after) {
  std::string_view q = line.substr(4);
  size_t n = 0;
  LeadingNumber(q, &n);
  if (n < q.size() && q[n] == ',') {
    q.remove_prefix(n + 1);
    *before = LeadingNumber(q, &n);
  } else {
    *before = 1;
  }
  if (n == 0 || n + 1 >= q.size() || q[n] != ' ' || q[n + 1] != '+') return;
  std::string_view r = q.substr(n + 2);
  LeadingNumber(r, &n);
  if (n < r.size() && r[n] == ',') {
    r.remove_prefix(n + 1);
    *after = LeadingNumber(r, &n);
  } else {
    *after = 1;
  }
}

/// SHA-1 over bytes fed in small pieces: they are gathered in a fixed buffer so that the hash
/// sees large blocks (one call per line cost more than the hashing itself).
class BufferedSha1 {
 public:
  /// Appends the bytes of `s` that are not git whitespace; returns how many were appended.
  size_t AddWithoutSpace(std::string_view s) {
    if (s.size() > kBufferSize - used_) Drain();
    if (s.size() > kBufferSize) {  // a line longer than the buffer: in buffer-sized pieces
      size_t added = 0;
      for (size_t at = 0; at < s.size(); at += kBufferSize) {
        added += AddWithoutSpace(s.substr(at, kBufferSize));
      }
      return added;
    }
    // Every byte is stored; the output advances past the bytes that are kept (no branch).
    char* out = buffer_ + used_;
    const char* const start = out;
    for (char c : s) {
      *out = c;
      out += kKeep[static_cast<unsigned char>(c)];
    }
    const size_t added = static_cast<size_t>(out - start);
    used_ += added;
    return added;
  }
  void Add(std::string_view s) {
    if (s.size() > kBufferSize - used_) Drain();
    if (s.size() > kBufferSize) {
      sha_.Update(s);
      return;
    }
    std::memcpy(buffer_ + used_, s.data(), s.size());
    used_ += s.size();
  }
  /// The digest of everything added since the last Finish.
  Digest Finish() {
    Drain();
    return sha_.Finish();
  }

 private:
  static constexpr size_t kBufferSize = 8 << 10;
  void Drain() {
    if (used_ > 0) sha_.Update(std::string_view(buffer_, used_));
    used_ = 0;
  }
  Sha1 sha_;
  char buffer_[kBufferSize];
  size_t used_ = 0;
};

/// Reads lines of the input as git's strbuf_getwholeline() + C string functions see them: the
/// line up to and including '\n', cut at its first NUL byte.
class LineReader {
 public:
  explicit LineReader(std::string_view text)
      : text_(text), has_nul_(std::memchr(text.data(), '\0', text.size()) != nullptr) {}
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    const char* start = text_.data() + pos_;
    const void* nl = std::memchr(start, '\n', text_.size() - pos_);
    size_t len = nl ? static_cast<const char*>(nl) - start + 1 : text_.size() - pos_;
    pos_ += len;
    const void* nul = has_nul_ ? std::memchr(start, '\0', len) : nullptr;
    if (nul) len = static_cast<const char*>(nul) - start;
    *line = std::string_view(start, len);
    return true;
  }

 private:
  std::string_view text_;
  bool has_nul_;  // false for almost every input: no NUL search per line then
  size_t pos_ = 0;
};

/// Adds `d` to `sum` as 20-byte little-endian numbers with carry (git's flush_one_hunk()).
void AddDigest(Digest* sum, const Digest& d) {
  unsigned carry = 0;
  for (size_t i = 0; i < sum->size(); ++i) {
    carry += (*sum)[i] + d[i];
    (*sum)[i] = static_cast<unsigned char>(carry);
    carry >>= 8;
  }
}

}  // namespace

Result<std::vector<PatchIdEntry>> ComputePatchIds(std::string_view text, PatchIdMode mode) {
  const bool stable = mode == PatchIdMode::kStable;
  std::vector<PatchIdEntry> entries;
  BufferedSha1 sha;
  LineReader reader(text);
  std::string commit(kZeroId);
  std::string next_commit;
  std::string pre_id, post_id;
  bool more = true;
  while (more) {
    // One patch: git's get_one_patchid().
    Digest result{};
    Digest digest;
    auto flush = [&] {
      digest = sha.Finish();
      AddDigest(&result, digest);
    };
    size_t patchlen = 0;
    int before = -1, after = -1;
    bool is_binary = false;
    bool found_next = false;
    pre_id.clear();
    post_id.clear();
    std::string_view line;
    more = false;
    while (reader.Next(&line)) {
      more = true;
      std::string_view rest = line;
      if (line.starts_with("commit ")) {
        rest.remove_prefix(7);
      } else if (line.starts_with("From ")) {
        rest.remove_prefix(5);
      } else if (line.starts_with("\\ ") && line.size() > 12) {
        continue;  // "\ No newline at end of file"
      }
      if (ParseObjectId(rest, &next_commit)) {
        found_next = true;
        break;
      }
      if (patchlen == 0 && !line.starts_with("diff ")) continue;  // the commit message
      if (before == -1) {
        if (line.starts_with("GIT binary patch") || line.starts_with("Binary files")) {
          is_binary = true;
          before = 0;
          sha.Add(pre_id);
          sha.Add(post_id);
          if (stable) flush();
          continue;
        }
        if (line.starts_with("index ")) {
          size_t pre_end = line.find("..");
          if (pre_end != std::string_view::npos) {
            size_t post_end = line.find(' ', pre_end);
            if (post_end == std::string_view::npos) post_end = line.size() - 1;
            size_t post_start = pre_end + 2;
            // Object names are kept to GIT_MAX_HEXSZ (64) characters, as git's strlcpy does.
            pre_id.assign(line.substr(6, std::min<size_t>(pre_end > 6 ? pre_end - 6 : 0, 64)));
            post_id.assign(
                post_end > post_start
                    ? line.substr(post_start, std::min<size_t>(post_end - post_start, 64))
                    : std::string_view());
          }
          continue;
        }
        if (line.starts_with("--- ")) {
          before = after = 1;
        } else if (line.empty() || !IsAsciiAlpha(line[0])) {
          break;
        }
      }
      if (is_binary) {
        if (line.starts_with("diff ")) {
          is_binary = false;
          before = -1;
        }
        continue;
      }
      if (before == 0 && after == 0) {
        if (line.starts_with("@@ -")) {
          ScanHunkHeader(line, &before, &after);
          continue;
        }
        if (!line.starts_with("diff ")) break;  // the end of the patch, e.g. "-- " signature
        if (stable) flush();
        before = after = -1;
      }
      const char first = line.empty() ? '\0' : line[0];
      if (first == '-' || first == ' ') --before;
      if (first == '+' || first == ' ') --after;
      patchlen += sha.AddWithoutSpace(line);
    }
    flush();
    if (patchlen > 0) entries.push_back({Sha1::Hex(result), commit});
    if (found_next) {
      commit.swap(next_commit);
    } else {
      commit.assign(kZeroId);
    }
  }
  return entries;
}

}  // namespace vigil::patch
