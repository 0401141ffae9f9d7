#include "patch/diff.h"

#include <optional>

namespace vigil::patch {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Num(size_t n) { return std::to_string(n); }

/// The line without its '\n' (and without a CR before it).
std::string_view Chomp(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

/// Parses a decimal number at the front of `*s`, consuming it.
bool TakeNumber(std::string_view* s, int* value) {
  size_t n = 0;
  long long v = 0;
  while (n < s->size() && IsDigit((*s)[n])) {
    v = v * 10 + ((*s)[n] - '0');
    if (v > 1'000'000'000) return false;
    ++n;
  }
  if (n == 0) return false;
  *value = static_cast<int>(v);
  s->remove_prefix(n);
  return true;
}

/// "-a[,b] +c[,d] @@ section" after the leading "@@ ".
bool ParseHunkHeader(std::string_view line, Hunk* hunk) {
  std::string_view s = Chomp(line);
  if (!s.starts_with("@@ -")) return false;
  s.remove_prefix(4);
  if (!TakeNumber(&s, &hunk->old_start)) return false;
  hunk->old_count = 1;
  if (s.starts_with(',')) {
    s.remove_prefix(1);
    if (!TakeNumber(&s, &hunk->old_count)) return false;
  }
  if (!s.starts_with(" +")) return false;
  s.remove_prefix(2);
  if (!TakeNumber(&s, &hunk->new_start)) return false;
  hunk->new_count = 1;
  if (s.starts_with(',')) {
    s.remove_prefix(1);
    if (!TakeNumber(&s, &hunk->new_count)) return false;
  }
  if (!s.starts_with(" @@")) return false;
  s.remove_prefix(3);
  if (s.starts_with(' ')) s.remove_prefix(1);
  hunk->section.assign(s);
  return true;
}

/// Removes the first path component ("a/", "b/"), as `git apply -p1` does.
bool StripComponent(std::string* path) {
  size_t slash = path->find('/');
  if (slash == std::string::npos) return false;
  path->erase(0, slash + 1);
  return true;
}

/// A path of a "---"/"+++" line: quoted, or up to a TAB (git adds one after names with spaces;
/// traditional diffs put a timestamp there). "/dev/null" gives an empty path.
bool ParseMarkerPath(std::string_view value, std::string* path) {
  value = Chomp(value);
  if (value.starts_with('"')) {
    std::string_view rest;
    if (!UnquoteCStyle(value, path, &rest)) return false;
  } else {
    size_t tab = value.find('\t');
    path->assign(value.substr(0, tab));
  }
  if (*path == "/dev/null") {
    path->clear();
    return true;
  }
  // A traditional diff may name a file without a directory; keep such a name as it is.
  StripComponent(path);
  return true;
}

/// The two names of "diff --git NAME_A NAME_B" without their first components. Unquoted names
/// with spaces are ambiguous; like git, take the split where both names are equal.
bool ParseGitHeaderNames(std::string_view rest, std::string* a, std::string* b) {
  rest = Chomp(rest);
  std::string_view tail;
  if (rest.starts_with('"')) {
    if (!UnquoteCStyle(rest, a, &tail) || !tail.starts_with(' ')) return false;
    tail.remove_prefix(1);
    if (tail.starts_with('"')) {
      std::string_view after;
      if (!UnquoteCStyle(tail, b, &after)) return false;
    } else {
      b->assign(tail);
    }
    return StripComponent(a) && StripComponent(b);
  }
  size_t quote = rest.find(" \"");
  if (quote != std::string_view::npos) {
    a->assign(rest.substr(0, quote));
    std::string_view after;
    if (!UnquoteCStyle(rest.substr(quote + 1), b, &after)) return false;
    return StripComponent(a) && StripComponent(b);
  }
  for (size_t sp = rest.find(' '); sp != std::string_view::npos; sp = rest.find(' ', sp + 1)) {
    std::string x(rest.substr(0, sp)), y(rest.substr(sp + 1));
    if (StripComponent(&x) && StripComponent(&y) && x == y) {
      *a = x;
      *b = y;
      return true;
    }
  }
  return false;
}

/// For "rename from/to", "rename old/new" and "copy from/to" lines: the raw path after the prefix.
bool TakeRenameLine(std::string_view line, std::string_view* path) {
  for (std::string_view prefix :
       {"rename from ", "rename to ", "rename old ", "rename new ", "copy from ", "copy to "}) {
    if (line.starts_with(prefix)) {
      *path = line.substr(prefix.size());
      return true;
    }
  }
  return false;
}

Status CheckPath(const std::string& path) {
  if (path.empty()) return Status::Ok();
  const std::string shown = "path \"" + path + "\"";
  if (path.front() == '/') return Status::Invalid(shown + " is absolute");
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string_view component =
        std::string_view(path).substr(start, slash == std::string::npos ? slash : slash - start);
    if (component == "..") return Status::Invalid(shown + " has a \"..\" component");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

class DiffParser {
 public:
  DiffParser(std::string_view text, const DiffLimits& limits) : limits_(limits) {
    lines_.reserve(text.size() / 32 + 16);  // lines of a diff are rarely shorter on average
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
      lines_.push_back(text.substr(pos, end - pos));
      pos = end;
    }
  }

  Result<std::vector<FileDiff>> Parse();

 private:
  std::string_view LineAt(size_t i) const { return i < lines_.size() ? lines_[i] : ""; }
  Status StartFile(size_t line_number);
  Status ParseHunk(FileDiff* file);
  Status ParseBinary(FileDiff* file);
  Status FinishFile();
  Status CheckPathLength(const std::string& path) const {
    if (path.size() > limits_.max_path_bytes) {
      return Status::TooLarge("path is over the limit of " + Num(limits_.max_path_bytes) +
                              " bytes at line " + Num(i_ + 1));
    }
    return Status::Ok();
  }

  const DiffLimits& limits_;
  std::vector<std::string_view> lines_;
  size_t i_ = 0;  // index of the current line
  std::vector<FileDiff> files_;
  std::optional<FileDiff> file_;
  bool rename_or_copy_ = false;
  bool saw_markers_ = false;
  size_t header_line_ = 0;
};

Status DiffParser::StartFile(size_t line_number) {
  VIGIL_RETURN_IF_ERROR(FinishFile());
  if (files_.size() >= limits_.max_files) {
    return Status::TooLarge("diff has more than " + Num(limits_.max_files) + " files");
  }
  file_.emplace();
  rename_or_copy_ = false;
  saw_markers_ = false;
  header_line_ = line_number;
  return Status::Ok();
}

Status DiffParser::FinishFile() {
  if (!file_) return Status::Ok();
  FileDiff& f = *file_;
  if (f.old_path.empty() && f.new_path.empty()) {
    return Status::Invalid("diff header without file names at line " + Num(header_line_));
  }
  VIGIL_RETURN_IF_ERROR(CheckPath(f.old_path));
  VIGIL_RETURN_IF_ERROR(CheckPath(f.new_path));
  if (f.status == FileStatus::kModified) {
    if (f.old_path.empty()) {
      f.status = FileStatus::kAdded;
    } else if (f.new_path.empty()) {
      f.status = FileStatus::kDeleted;
    } else if (f.hunks.empty() && !f.binary && !f.old_mode.empty() && !f.new_mode.empty() &&
               f.old_mode != f.new_mode) {
      f.status = FileStatus::kModeChange;
    }
  }
  files_.push_back(std::move(f));
  file_.reset();
  return Status::Ok();
}

Status DiffParser::ParseHunk(FileDiff* file) {
  const size_t number = file->hunks.size() + 1;
  auto where = [&] { return "hunk " + Num(number) + " of " + file->path(); };
  Hunk hunk;
  hunk.line_number = i_ + 1;
  if (!ParseHunkHeader(LineAt(i_), &hunk)) {
    return Status::Invalid(where() + ": malformed header at line " + Num(i_ + 1));
  }
  ++i_;
  int old_left = hunk.old_count, new_left = hunk.new_count;
  char last = 0;
  // The body lines are contiguous in the input: copied at once at the end.
  const size_t first_body_line = i_;
  while (old_left > 0 || new_left > 0 || (i_ < lines_.size() && LineAt(i_).starts_with("\\"))) {
    if (i_ >= lines_.size()) return Status::Invalid(where() + ": wrong line count");
    std::string_view line = LineAt(i_);
    char c = line[0];
    if (c == '\n') c = ' ';  // an empty context line, as some tools emit
    switch (c) {
      case ' ':
        --old_left;
        --new_left;
        break;
      case '-':
        --old_left;
        ++file->deletions;
        break;
      case '+':
        --new_left;
        ++file->insertions;
        break;
      case '\\':
        if (last == '-' || last == ' ') file->old_missing_newline = true;
        if (last == '+' || last == ' ') file->new_missing_newline = true;
        break;
      default:
        return Status::Invalid(where() + ": wrong line count");
    }
    if (old_left < 0 || new_left < 0) return Status::Invalid(where() + ": wrong line count");
    if (c != '\\') last = c;
    ++i_;
  }
  if (i_ > first_body_line) {
    const char* begin = lines_[first_body_line].data();
    const std::string_view end_line = lines_[i_ - 1];
    hunk.lines.assign(begin, static_cast<size_t>(end_line.data() + end_line.size() - begin));
  }
  // A body line right after the counts are used up means the header's counts are wrong. Not
  // one: the "-- " signature of format-patch, and the "---" line b4 puts below the last diff of
  // a single patch before its "base-commit:" and "change-id:" lines.
  std::string_view next = LineAt(i_);
  const bool separator =
      next.starts_with("---") && next.find_first_not_of(" \t\r\n", 3) == std::string_view::npos;
  if (next.starts_with('+') || next.starts_with(' ') ||
      (next.starts_with('-') && next != "-- \n" && next != "--\n" && !next.starts_with("--- ") &&
       !separator)) {
    return Status::Invalid(where() + ": wrong line count");
  }
  file->hunks.push_back(std::move(hunk));
  return Status::Ok();
}

Status DiffParser::ParseBinary(FileDiff* file) {
  // "GIT binary patch", then one or two blocks: "literal N" or "delta N", base85 lines, a blank.
  ++i_;
  for (int block = 0; block < 2; ++block) {
    std::string_view head = Chomp(LineAt(i_));
    if (!head.starts_with("literal ") && !head.starts_with("delta ")) {
      if (block == 1) return Status::Ok();  // the reverse block is optional
      return Status::Invalid("corrupt binary patch for " + file->path() + " at line " +
                             Num(i_ + 1));
    }
    ++i_;
    for (;;) {
      if (i_ >= lines_.size()) {
        if (block == 1) return Status::Ok();
        return Status::Invalid("corrupt binary patch for " + file->path() + " at line " +
                               Num(i_ + 1));
      }
      std::string_view data = Chomp(LineAt(i_));
      ++i_;
      if (data.empty()) break;
      char len = data[0];
      bool ok = (len >= 'A' && len <= 'Z') || (len >= 'a' && len <= 'z');
      if (!ok || (data.size() - 1) % 5 != 0) {
        return Status::Invalid("corrupt binary patch for " + file->path() + " at line " + Num(i_));
      }
    }
  }
  return Status::Ok();
}

Result<std::vector<FileDiff>> DiffParser::Parse() {
  bool in_header = false;
  while (i_ < lines_.size()) {
    std::string_view line = LineAt(i_);
    std::string_view v = Chomp(line);
    if (line.starts_with("diff --git ")) {
      VIGIL_RETURN_IF_ERROR(StartFile(i_ + 1));
      std::string a, b;
      const bool named = ParseGitHeaderNames(line.substr(11), &a, &b);
      if (!named && line.find('"') != std::string_view::npos) {
        return Status::Invalid("malformed quoted path at line " + Num(i_ + 1));
      }
      if (named) {
        VIGIL_RETURN_IF_ERROR(CheckPathLength(a));
        file_->old_path = a;
        file_->new_path = b;
      }
      in_header = true;
      ++i_;
      continue;
    }
    if (!in_header && line.starts_with("--- ") && LineAt(i_ + 1).starts_with("+++ ") &&
        LineAt(i_ + 2).starts_with("@@ -")) {
      // A traditional unified diff without a "diff --git" line.
      VIGIL_RETURN_IF_ERROR(StartFile(i_ + 1));
      in_header = true;
    }
    if (in_header) {
      FileDiff& f = *file_;
      auto value = [&](std::string_view prefix) { return std::string(v.substr(prefix.size())); };
      if (v.starts_with("old mode ")) {
        f.old_mode = value("old mode ");
      } else if (v.starts_with("new mode ")) {
        f.new_mode = value("new mode ");
      } else if (v.starts_with("deleted file mode ")) {
        f.old_mode = value("deleted file mode ");
        f.status = FileStatus::kDeleted;
        f.new_path.clear();
      } else if (v.starts_with("new file mode ")) {
        f.new_mode = value("new file mode ");
        f.status = FileStatus::kAdded;
        f.old_path.clear();
      } else if (v.starts_with("similarity index ") || v.starts_with("dissimilarity index ")) {
        std::string_view n = v.substr(v.find("index ") + 6);
        int pct = 0;
        if (TakeNumber(&n, &pct) && v.starts_with("similarity")) f.similarity = pct;
      } else if (std::string_view raw; TakeRenameLine(v, &raw)) {
        const bool copy = v.starts_with("copy ");
        const bool from = v.starts_with("rename from ") || v.starts_with("copy from ") ||
                          v.starts_with("rename old ");
        std::string path;
        if (raw.starts_with('"')) {
          std::string_view rest;
          if (!UnquoteCStyle(raw, &path, &rest)) {
            return Status::Invalid("malformed quoted path at line " + Num(i_ + 1));
          }
        } else {
          path.assign(raw);
        }
        VIGIL_RETURN_IF_ERROR(CheckPathLength(path));
        (from ? f.old_path : f.new_path) = path;
        f.status = copy ? FileStatus::kCopied : FileStatus::kRenamed;
        rename_or_copy_ = true;
      } else if (v.starts_with("index ")) {
        std::string_view ids = v.substr(6);
        size_t dots = ids.find("..");
        if (dots != std::string_view::npos) {
          size_t sp = ids.find(' ', dots);
          f.old_id.assign(ids.substr(0, dots));
          f.new_id.assign(ids.substr(dots + 2, sp == std::string_view::npos ? sp : sp - dots - 2));
          if (sp != std::string_view::npos && f.old_mode.empty() && f.new_mode.empty()) {
            f.old_mode = f.new_mode = std::string(ids.substr(sp + 1));
          }
        }
      } else if (v.starts_with("--- ") || v.starts_with("+++ ")) {
        std::string path;
        if (!ParseMarkerPath(v.substr(4), &path)) {
          return Status::Invalid("malformed quoted path at line " + Num(i_ + 1));
        }
        VIGIL_RETURN_IF_ERROR(CheckPathLength(path));
        if (!rename_or_copy_ || path.empty()) {
          (v[0] == '-' ? f.old_path : f.new_path) = path;
        }
        saw_markers_ = true;
      } else if (v.starts_with("Binary files ") && v.ends_with(" differ")) {
        f.binary = true;
        in_header = false;
      } else if (v == "GIT binary patch") {
        f.binary = true;
        f.binary_has_data = true;
        VIGIL_RETURN_IF_ERROR(ParseBinary(&f));
        in_header = false;
        continue;
      } else if (v.starts_with("@@ -")) {
        in_header = false;
        VIGIL_RETURN_IF_ERROR(ParseHunk(&f));
        continue;
      } else {
        in_header = false;  // the end of a header-only diff; look at this line again
        continue;
      }
      ++i_;
      continue;
    }
    if (line.starts_with("@@ -")) {
      if (!file_ || (file_->hunks.empty() && !saw_markers_)) {
        return Status::Invalid("hunk without a file header at line " + Num(i_ + 1));
      }
      VIGIL_RETURN_IF_ERROR(ParseHunk(&*file_));
      continue;
    }
    ++i_;  // commit message, diffstat, signature: not part of any file diff
  }
  VIGIL_RETURN_IF_ERROR(FinishFile());
  if (files_.empty()) return Status::Invalid("no diff found");
  return std::move(files_);
}

}  // namespace

const char* FileStatusName(FileStatus status) {
  switch (status) {
    case FileStatus::kModified:
      return "modified";
    case FileStatus::kAdded:
      return "added";
    case FileStatus::kDeleted:
      return "deleted";
    case FileStatus::kRenamed:
      return "renamed";
    case FileStatus::kCopied:
      return "copied";
    case FileStatus::kModeChange:
      return "mode-change";
  }
  return "modified";
}

bool UnquoteCStyle(std::string_view quoted, std::string* out, std::string_view* rest) {
  out->clear();
  if (!quoted.starts_with('"')) return false;
  size_t i = 1;
  while (i < quoted.size()) {
    char c = quoted[i++];
    if (c == '"') {
      *rest = quoted.substr(i);
      return true;
    }
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (i >= quoted.size()) return false;
    char e = quoted[i++];
    switch (e) {
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '"':
        out->push_back('"');
        break;
      default: {
        if (e < '0' || e > '3' || i + 1 >= quoted.size()) return false;
        int value = e - '0';
        for (int k = 0; k < 2; ++k) {
          char d = quoted[i++];
          if (d < '0' || d > '7') return false;
          value = value * 8 + (d - '0');
        }
        out->push_back(static_cast<char>(value));
      }
    }
  }
  return false;
}

Result<std::vector<FileDiff>> ParseDiff(std::string_view text, const DiffLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::TooLarge("diff is " + Num(text.size()) + " bytes, over the limit of " +
                            Num(limits.max_bytes));
  }
  return DiffParser(text, limits).Parse();
}

}  // namespace vigil::patch
