#include "patch/apply_check.h"

#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>

#include "patch/git_apply_check.h"
#include "patch/sha1.h"

namespace vigil::patch {
namespace {

// ---------------------------------------------------------------------------------------------
// Hunk matching: apply_one_fragment(), find_pos(), match_fragment() and update_image() of git's
// apply.c with git am's settings (no --unidiff-zero, no -C, whitespace "warn", no overlap).

/// git's isspace(): space, TAB, LF and CR (not VT or FF).
bool IsGitSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// git's hash_line(): a hash of the non-whitespace bytes of a line.
uint32_t HashLine(std::string_view s) {
  uint32_t h = 0;
  for (char c : s) {
    if (!IsGitSpace(c)) h = h * 3 + static_cast<unsigned char>(c);
  }
  return h;
}

struct ImageLine {
  size_t len = 0;
  uint32_t hash = 0;
  bool patched = false;  // LINE_PATCHED: produced by an earlier hunk of this file diff
};

struct Image {
  std::string buf;
  std::vector<ImageLine> lines;

  void AddLine(std::string_view text) { lines.push_back({text.size(), HashLine(text), false}); }
  /// prepare_image(): one line per '\n'; the last line may lack it.
  void Prepare(std::string text) {
    buf = std::move(text);
    lines.clear();
    size_t pos = 0;
    while (pos < buf.size()) {
      size_t nl = buf.find('\n', pos);
      size_t end = nl == std::string::npos ? buf.size() : nl + 1;
      AddLine(std::string_view(buf).substr(pos, end - pos));
      pos = end;
    }
  }
};

/// The preimage and postimage of one hunk.
struct Fragment {
  Image pre, post;
  int leading = 0;   // context lines before the first change
  int trailing = 0;  // context lines after the last change
};

/// Builds the images of HUNK as apply_one_fragment() does; REVERSE swaps '+' and '-'.
/// Returns false for a line git rejects ("invalid start of line").
bool BuildFragment(const Hunk& hunk, bool reverse, Fragment* f) {
  std::string_view body = hunk.lines;
  bool changed = false;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    size_t len = (nl == std::string_view::npos ? body.size() : nl + 1) - pos;
    std::string_view line = body.substr(pos, len);
    // The content is the line without its first byte; a following "\ No newline" line takes
    // the '\n' away too.
    long plen = static_cast<long>(len) - 1;
    if (pos + len < body.size() && body[pos + len] == '\\') --plen;
    char first = line[0];
    if (reverse && first == '-') {
      first = '+';
    } else if (reverse && first == '+') {
      first = '-';
    }
    std::string_view text = plen > 0 ? line.substr(1, static_cast<size_t>(plen)) : "";
    switch (first) {
      case '\n':
        if (plen < 0) break;
        text = "\n";
        [[fallthrough]];
      case ' ':
        f->pre.buf.append(text);
        f->pre.AddLine(text);
        f->post.buf.append(text);
        f->post.AddLine(text);
        if (!changed) ++f->leading;
        ++f->trailing;
        break;
      case '-':
      case '+': {
        Image& img = first == '-' ? f->pre : f->post;
        img.buf.append(text);
        img.AddLine(text);
        changed = true;
        f->trailing = 0;
        break;
      }
      case '\\':
        break;
      default:
        return false;
    }
    pos += len;
  }
  return true;
}

bool MatchFragment(const Image& img, const Image& pre, size_t current, size_t current_lno,
                   bool match_beginning, bool match_end) {
  if (pre.lines.size() + current_lno > img.lines.size()) return false;
  if (match_end && pre.lines.size() + current_lno != img.lines.size()) return false;
  if (match_beginning && current_lno) return false;
  for (size_t i = 0; i < pre.lines.size(); ++i) {
    const ImageLine& l = img.lines[current_lno + i];
    if (l.patched || l.hash != pre.lines[i].hash) return false;
  }
  const bool fits = match_end ? current + pre.buf.size() == img.buf.size()
                              : current + pre.buf.size() <= img.buf.size();
  return fits && std::memcmp(img.buf.data() + current, pre.buf.data(), pre.buf.size()) == 0;
}

/// find_pos(): the first line at or around LINE (LINE, LINE+1, LINE-1, LINE+2, ...) where the
/// preimage matches, or -1.
long FindPos(const Image& img, const Image& pre, long line, bool match_beginning, bool match_end) {
  if (match_beginning) {
    line = 0;
  } else if (match_end) {
    line = static_cast<long>(img.lines.size()) - static_cast<long>(pre.lines.size());
  }
  const long nr = static_cast<long>(img.lines.size());
  if (line < 0 || line > nr) line = nr;
  size_t current = 0;
  for (long i = 0; i < line; ++i) current += img.lines[static_cast<size_t>(i)].len;
  size_t backwards = current, forwards = current;
  long backwards_lno = line, forwards_lno = line, current_lno = line;
  for (long i = 0;; ++i) {
    if (MatchFragment(img, pre, current, static_cast<size_t>(current_lno), match_beginning,
                      match_end)) {
      return current_lno;
    }
  again:
    if (backwards_lno == 0 && forwards_lno == nr) break;
    if (i & 1) {
      if (backwards_lno == 0) {
        ++i;
        goto again;
      }
      --backwards_lno;
      backwards -= img.lines[static_cast<size_t>(backwards_lno)].len;
      current = backwards;
      current_lno = backwards_lno;
    } else {
      if (forwards_lno == nr) {
        ++i;
        goto again;
      }
      forwards += img.lines[static_cast<size_t>(forwards_lno)].len;
      ++forwards_lno;
      current = forwards;
      current_lno = forwards_lno;
    }
  }
  return -1;
}

/// update_image(): replaces the preimage at line AT with the postimage, marked as patched.
void UpdateImage(Image* img, long at, const Image& pre, const Image& post) {
  size_t start = 0;
  for (long i = 0; i < at; ++i) start += img->lines[static_cast<size_t>(i)].len;
  img->buf.replace(start, pre.buf.size(), post.buf);
  auto first = img->lines.begin() + at;
  first = img->lines.erase(first, first + static_cast<long>(pre.lines.size()));
  first = img->lines.insert(first, post.lines.begin(), post.lines.end());
  for (size_t i = 0; i < post.lines.size(); ++i) first[static_cast<long>(i)].patched = true;
}

/// Applies every hunk to IMG. On failure returns the 1-based hunk that failed; 0 on success.
/// *MAX_OFFSET receives the offset of largest magnitude.
size_t ApplyHunks(Image* img, const std::vector<Hunk>& hunks, bool reverse, int* max_offset) {
  for (size_t n = 0; n < hunks.size(); ++n) {
    const Hunk& h = hunks[n];
    Fragment f;
    if (!BuildFragment(h, reverse, &f)) return n + 1;
    const int oldpos = reverse ? h.new_start : h.old_start;
    const int newpos = reverse ? h.old_start : h.new_start;
    const bool match_beginning = oldpos == 0 || oldpos == 1;
    const bool match_end = f.trailing == 0;
    const long pos = newpos ? newpos - 1 : 0;
    long at = FindPos(*img, f.pre, pos, match_beginning, match_end);
    if (at < 0) return n + 1;
    const int offset = static_cast<int>(at - pos);
    if (std::abs(offset) > std::abs(*max_offset)) *max_offset = reverse ? -offset : offset;
    UpdateImage(img, at, f.pre, f.post);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// File-level checks: check_patch_list() of apply.c with --cached (the index is the revision's
// tree plus the results of the earlier patches of the series).

constexpr int kToBeDeleted = -2;  // PATH_TO_BE_DELETED
constexpr int kWasDeleted = -1;   // PATH_WAS_DELETED

/// A path's state in the index being built.
struct Entry {
  std::string mode;
  std::string oid;  // the blob id when known (from the tree); empty once changed by a patch
  std::optional<std::string> content;
};

/// A file diff in the direction it is applied.
struct FilePatch {
  const FileDiff* diff = nullptr;
  bool reverse = false;
  std::string old_path, new_path;  // empty when the side does not exist
  std::string old_mode, new_mode;
  std::string old_id, new_id;
  bool is_new = false, is_delete = false, is_rename = false, is_copy = false;
};

FilePatch Direct(const FileDiff& d, bool reverse) {
  FilePatch p;
  p.diff = &d;
  p.reverse = reverse;
  p.old_path = d.old_path;
  p.new_path = d.new_path;
  p.old_mode = d.old_mode;
  p.new_mode = d.new_mode;
  p.old_id = d.old_id;
  p.new_id = d.new_id;
  p.is_new = d.status == FileStatus::kAdded;
  p.is_delete = d.status == FileStatus::kDeleted;
  p.is_rename = d.status == FileStatus::kRenamed;
  p.is_copy = d.status == FileStatus::kCopied;
  if (p.is_new) p.old_mode.clear();
  if (p.is_delete) p.new_mode.clear();
  if (reverse) {
    std::swap(p.old_path, p.new_path);
    std::swap(p.old_mode, p.new_mode);
    std::swap(p.old_id, p.new_id);
    std::swap(p.is_new, p.is_delete);
  }
  return p;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string BlobId(std::string_view content) {
  std::string header = "blob " + std::to_string(content.size());
  header.push_back('\0');
  Sha1 sha;
  sha.Update(header);
  sha.Update(content);
  return Sha1::Hex(sha.Finish());
}

/// True for a path git's verify_path() may refuse or treat specially (".git" components in any
/// case or NTFS/HFS spelling, backslashes, empty or "." components): such patches are left to git.
bool UnusualPath(const std::string& path) {
  if (path.empty()) return false;
  if (path.find('\\') != std::string::npos || path.find(':') != std::string::npos) return true;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string c = path.substr(start, slash == std::string::npos ? slash : slash - start);
    std::string lower;
    for (char ch : c)
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    if (c.empty() || c == "." || c == ".." || lower.starts_with(".git") ||
        lower.starts_with("git~") || lower.ends_with(".") || lower.ends_with(" ")) {
      return true;
    }
    if (slash == std::string::npos) return false;
    start = slash + 1;
  }
}

bool IsRegularMode(const std::string& mode) { return mode == "100644" || mode == "100755"; }

/// What checking one patch found.
struct Outcome {
  bool ok = false;
  bool need_git = false;  // a case the in-process engine leaves to git
  std::string error;      // git's message without "error: " (or the hunk message)
  std::string file;
  int hunk = 0;
  int line = 0;
  int offset = 0;
  std::map<std::string, std::optional<Entry>> writes;  // the index after the patch
};

/// The index of one revision as the series proceeds.
class IndexState {
 public:
  IndexState(GitRepository& repo, std::string commit) : repo_(repo), commit_(std::move(commit)) {}

  /// The entry at PATH, nullopt if none. *BLOCKED when a leading component is not a directory.
  Result<std::optional<Entry>> Get(const std::string& path, bool* blocked) {
    *blocked = false;
    auto it = overlay_.find(path);
    if (it != overlay_.end()) return it->second;
    // A leading directory added or removed by an earlier patch is not handled here.
    for (const auto& [p, e] : overlay_) {
      if (p.size() < path.size() && path.starts_with(p) && path[p.size()] == '/' && e) {
        *blocked = true;
        return std::optional<Entry>();
      }
    }
    Result<std::optional<TreeEntry>> t = repo_.Lookup(commit_, path, blocked);
    if (!t.ok()) return t.status();
    if (!*t) return std::optional<Entry>();
    return std::optional<Entry>(Entry{(*t)->mode, (*t)->oid, std::nullopt});
  }

  Result<std::string> Content(Entry& e) {
    if (!e.content) {
      Result<std::string> blob = repo_.ReadBlob(e.oid);
      if (!blob.ok()) return blob.status();
      e.content = std::move(blob).value();
    }
    return *e.content;
  }

  void Commit(std::map<std::string, std::optional<Entry>>& writes) {
    for (auto& [path, e] : writes) overlay_[path] = std::move(e);
  }

  GitRepository& repo() { return repo_; }

 private:
  GitRepository& repo_;
  const std::string commit_;
  std::map<std::string, std::optional<Entry>> overlay_;  // paths changed by earlier patches
};

struct Result1 {
  std::string mode;
  std::string content;
};

/// apply_binary() of apply.c. Returns false with *OUT's need_git or error set.
bool ApplyBinary(IndexState& st, const FilePatch& p, const std::string& name, Entry* old_entry,
                 const std::string& preimage, std::string* result, Outcome* out, size_t hex_size) {
  if (p.old_id.size() != hex_size || p.new_id.size() != hex_size || !IsHex(p.old_id) ||
      !IsHex(p.new_id)) {
    out->error = "cannot apply binary patch to '" + name + "' without full index line";
    return false;
  }
  if (!p.old_path.empty()) {
    std::string have = old_entry && !old_entry->oid.empty() ? old_entry->oid : BlobId(preimage);
    if (have != p.old_id) {
      out->error = "the patch applies to '" + name + "' (" + have +
                   "), which does not match the current contents.";
      return false;
    }
  } else if (!preimage.empty()) {
    out->error = "the patch applies to an empty '" + name + "' but it is not empty";
    return false;
  }
  if (p.new_id == std::string(hex_size, '0')) {
    result->clear();
    return true;
  }
  Result<bool> have = st.repo().HasObject(p.new_id);
  if (have.ok() && *have) {
    Result<std::string> blob = st.repo().ReadBlob(p.new_id);
    if (blob.ok()) {
      *result = std::move(blob).value();
      return true;
    }
  }
  // Decoding the literal or delta data is left to git.
  out->need_git = true;
  return false;
}

/// fn_table of apply.c and the results so far: what the earlier files of one patch did to a path.
struct PatchTable {
  std::map<std::string, int> fn;  // path -> index of the result, or a marker
  std::vector<Result1> results;
};

/// check_preimage() of apply.c: the mode and content P applies to, from an earlier file of the
/// patch or the index. Returns false with OUT's need_git or error set.
bool CheckPreimage(IndexState& st, const FilePatch& p, const PatchTable& table,
                   std::string* st_mode, std::string* preimage, std::optional<Entry>* old_entry,
                   Outcome* out) {
  if (p.old_path.empty()) return true;
  int previous = -3;
  if (!p.is_rename && !p.is_copy) {
    auto it = table.fn.find(p.old_path);
    if (it != table.fn.end()) previous = it->second;
  }
  if (previous == kWasDeleted) {
    out->error = "path " + p.old_path + " has been renamed/deleted";
    return false;
  }
  if (previous >= 0) {
    *st_mode = table.results[static_cast<size_t>(previous)].mode;
    *preimage = table.results[static_cast<size_t>(previous)].content;
    return true;
  }
  bool blocked = false;
  Result<std::optional<Entry>> e = st.Get(p.old_path, &blocked);
  if (!e.ok() || blocked) {
    out->need_git = true;
    return false;
  }
  if (!*e) {
    out->error = p.old_path + ": does not exist in index";
    return false;
  }
  *old_entry = std::move(*e);
  if (!IsRegularMode((*old_entry)->mode)) {
    out->need_git = true;
    return false;
  }
  *st_mode = (*old_entry)->mode;
  Result<std::string> c = st.Content(**old_entry);
  if (!c.ok()) {
    out->need_git = true;
    return false;
  }
  *preimage = std::move(c).value();
  return true;
}

/// check_to_create() of apply.c, and the new mode of P from OLD_MODE. Returns false with OUT's
/// need_git or error set.
bool CheckToCreate(IndexState& st, const FilePatch& p, const PatchTable& table,
                   const std::string& old_mode, std::string* new_mode, Outcome* out) {
  auto it = table.fn.find(p.new_path);
  const bool ok_if_exists =
      it != table.fn.end() && (it->second == kWasDeleted || it->second == kToBeDeleted);
  if (!p.new_path.empty() && (p.is_new || p.is_rename || p.is_copy)) {
    if (!ok_if_exists) {
      bool blocked = false;
      Result<std::optional<Entry>> e = st.Get(p.new_path, &blocked);
      if (!e.ok() || blocked) {
        out->need_git = true;
        return false;
      }
      if (*e) {
        out->error = p.new_path + ": already exists in index";
        return false;
      }
    }
    if (new_mode->empty()) *new_mode = p.is_new ? "100644" : old_mode;
  }
  if (!p.new_path.empty() && !p.old_path.empty() && new_mode->empty()) *new_mode = old_mode;
  if (!p.new_path.empty()) {
    bool blocked = false;
    Result<std::optional<Entry>> e = st.Get(p.new_path, &blocked);
    if (!e.ok() || blocked) {
      out->need_git = true;  // beyond a symbolic link or a file
      return false;
    }
  }
  return true;
}

/// apply_data() of apply.c: P applied to PREIMAGE into *RESULT. Returns false with OUT's
/// need_git or error (and, for a hunk, its number and line) set.
bool ApplyData(IndexState& st, const FilePatch& p, const std::string& name, Entry* old_entry,
               std::string preimage, bool reverse, size_t hex_size, std::string* result,
               Outcome* out) {
  if (p.diff->binary) {
    if (!ApplyBinary(st, p, name, old_entry, preimage, result, out, hex_size)) return false;
  } else {
    Image img;
    img.Prepare(std::move(preimage));
    int offset = 0;
    size_t failed = ApplyHunks(&img, p.diff->hunks, reverse, &offset);
    if (failed) {
      const Hunk& h = p.diff->hunks[failed - 1];
      out->hunk = static_cast<int>(failed);
      out->line = reverse ? h.new_start : h.old_start;
      out->error = "hunk " + std::to_string(failed) + " of " + name + " does not apply at line " +
                   std::to_string(out->line);
      return false;
    }
    if (std::abs(offset) > std::abs(out->offset)) out->offset = offset;
    *result = std::move(img.buf);
  }
  if (p.is_delete && !result->empty()) {
    out->error = name + ": removal patch leaves file contents";
    return false;
  }
  return true;
}

/// write_out_results() of apply.c: the index entries after PATCHES, removals first, then the
/// new contents.
void WriteOutResults(const std::vector<FilePatch>& patches, std::vector<Result1>& results,
                     Outcome* out) {
  for (const FilePatch& p : patches) {
    if (p.is_delete || p.is_rename) out->writes[p.old_path] = std::nullopt;
  }
  for (size_t i = 0; i < patches.size(); ++i) {
    if (patches[i].is_delete) continue;
    out->writes[patches[i].new_path] =
        Entry{results[i].mode, std::string(), std::move(results[i].content)};
  }
}

/// check_patch_list() of apply.c for the FILES of one patch (reversed with REVERSE) on ST.
Outcome CheckPatch(IndexState& st, const std::vector<FileDiff>& files, bool reverse,
                   size_t hex_size) {
  Outcome out;
  std::vector<FilePatch> patches;
  for (const FileDiff& d : files) patches.push_back(Direct(d, reverse));
  PatchTable table;
  for (const FilePatch& p : patches) {
    if (p.new_path.empty() || p.is_rename) table.fn[p.old_path] = kToBeDeleted;
  }
  table.results.resize(patches.size());
  for (size_t i = 0; i < patches.size(); ++i) {
    const FilePatch& p = patches[i];
    const std::string& name = p.old_path.empty() ? p.new_path : p.old_path;
    out.file = name;
    for (const std::string* m : {&p.old_mode, &p.new_mode}) {
      if (!m->empty() && !IsRegularMode(*m)) out.need_git = true;  // symlinks, submodules
    }
    if (UnusualPath(p.old_path) || UnusualPath(p.new_path)) out.need_git = true;
    if (out.need_git) return out;

    std::string st_mode, preimage;
    std::optional<Entry> old_entry;
    if (!CheckPreimage(st, p, table, &st_mode, &preimage, &old_entry, &out)) return out;
    std::string old_mode = p.old_mode.empty() ? st_mode : p.old_mode;
    std::string new_mode = p.new_mode;
    if (!p.old_path.empty() && new_mode.empty() && !p.is_delete) new_mode = st_mode;
    if (!CheckToCreate(st, p, table, old_mode, &new_mode, &out)) return out;
    std::string result;
    if (!ApplyData(st, p, name, old_entry ? &*old_entry : nullptr, std::move(preimage), reverse,
                   hex_size, &result, &out)) {
      return out;
    }
    table.results[i] = {new_mode, std::move(result)};
    if (!p.new_path.empty()) table.fn[p.new_path] = static_cast<int>(i);
    if (p.new_path.empty() || p.is_rename) table.fn[p.old_path] = kWasDeleted;
  }
  WriteOutResults(patches, table.results, &out);
  out.file.clear();
  out.ok = true;
  return out;
}

}  // namespace

const char* ApplicabilityName(Applicability a) {
  switch (a) {
    case Applicability::kApplies:
      return "applies";
    case Applicability::kOffset:
      return "offset";
    case Applicability::kConflict:
      return "conflict";
    case Applicability::kAlreadyApplied:
      return "already-applied";
    case Applicability::kNotChecked:
      return "not-checked";
  }
  return "conflict";
}

bool RevisionApplicability::AllApply() const {
  for (const PatchApplicability& p : patches) {
    if (!p.Applies()) return false;
  }
  return !patches.empty();
}

Result<RevisionApplicability> CheckSeries(GitRepository& repo,
                                          const std::vector<SeriesPatch>& series,
                                          const std::string& rev, CheckEngine engine) {
  Result<std::string> commit = repo.ResolveCommit(rev);
  if (!commit.ok()) return commit.status();
  RevisionApplicability out;
  out.rev = rev;
  out.commit = *commit;
  if (engine == CheckEngine::kGit) return GitApplyCheck(repo, series, std::move(out));
  IndexState st(repo, *commit);
  using Answer = std::optional<PatchApplicability>;
  Result<bool> told = CheckInOrder(
      series,
      [&](const SeriesPatch& p) -> Result<Answer> {
        Outcome fwd = CheckPatch(st, p.files, false, commit->size());
        if (fwd.need_git) return Answer();
        PatchApplicability a;
        if (fwd.ok) {
          st.Commit(fwd.writes);
          a.offset = fwd.offset;
          a.verdict = fwd.offset ? Applicability::kOffset : Applicability::kApplies;
          return Answer(std::move(a));
        }
        Outcome back = CheckPatch(st, p.files, true, commit->size());
        if (back.need_git) return Answer();
        if (back.ok) {
          a.verdict = Applicability::kAlreadyApplied;
          a.message = p.Label() + ": already applied";
        } else {
          a.verdict = Applicability::kConflict;
          a.file = fwd.file;
          a.hunk = fwd.hunk;
          a.line = fwd.line;
          a.message = p.Label() + ": " + fwd.error;
        }
        return Answer(std::move(a));
      },
      &out.patches);
  if (!told.ok()) return told.status();
  if (!*told) return GitApplyCheck(repo, series, std::move(out));
  return out;
}

}  // namespace vigil::patch
