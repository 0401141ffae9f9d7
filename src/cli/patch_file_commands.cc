#include "cli/patch_file_commands.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "cli/command_table.h"
#include "cli/exit_code.h"
#include "patch/apply_check.h"
#include "patch/apply_series.h"
#include "patch/git_repository.h"
#include "patch/patch_series.h"

namespace vigil {
namespace {

using patch::SeriesPatch;

struct FileOptions {
  std::string file;
  std::string repo = ".";
  std::vector<std::string> onto;
  std::string branch;
  std::string committer_name, committer_email;
  size_t max_bytes = 50u << 20;
  bool json = false;
  bool summary = false;  ///< inspect: neither the diffs nor the hunks are needed
};

/// What a command reports back: prints "vigil: <message>" for a failed S and sets the exit code.
class Outcome {
 public:
  explicit Outcome(int& exit_code) : exit_code_(exit_code) {}
  bool Check(const Status& s) {
    if (s.ok()) return true;
    std::fprintf(stderr, "vigil: %s\n", s.message().c_str());
    exit_code_ = ExitCodeFor(s.code());
    return false;
  }
  void Print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }
  void Fail(int code) { exit_code_ = code; }

 private:
  int& exit_code_;
};

/// The input of a command: a regular file mapped read-only (MAP_POPULATE maps all its pages in
/// one call: faulting them in one by one cost more than parsing them), else what ReadPatchInput
/// read.
class PatchInput {
 public:
  PatchInput() = default;
  PatchInput(const PatchInput&) = delete;
  PatchInput& operator=(const PatchInput&) = delete;
  ~PatchInput() {
    if (mapped_) munmap(mapped_, text_.size());
  }

  /// Reads FILE with ReadPatchInput's limit and errors.
  Status Open(const std::string& file, size_t limit) {
    if (file != "-") {
      const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Status::NotFound("cannot open " + file);
      struct stat st {};
      if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        const size_t size = static_cast<size_t>(st.st_size);
        if (size > limit) {
          close(fd);
          return Status::TooLarge("input is over the limit of " + std::to_string(limit) + " bytes");
        }
        void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        close(fd);
        if (p != MAP_FAILED) {
          mapped_ = p;
          text_ = std::string_view(static_cast<const char*>(p), size);
          return Status::Ok();
        }
      } else {
        close(fd);
      }
    }
    Result<std::string> read = ReadPatchInput(file, limit);
    if (!read.ok()) return read.status();
    read_ = std::move(read).value();
    text_ = read_;
    return Status::Ok();
  }
  std::string_view text() const { return text_; }

 private:
  void* mapped_ = nullptr;
  std::string read_;
  std::string_view text_;
};

/// Readies the heap for reading INPUT_BYTES of patches: maps the memory the run will use in one
/// system call (MADV_POPULATE_WRITE) instead of one page fault per page as it is first touched,
/// and keeps it in the heap after frees. Page faults were a third of `vigil patch inspect`'s time
/// on the benchmark mbox (measured with `perf stat -e page-faults`); this command runs briefly
/// and then exits, so holding the memory costs nothing. Small inputs are left alone.
void PrepareHeap(size_t input_bytes) {
  constexpr size_t kMinimum = size_t{1} << 20;
  constexpr size_t kMaximum = size_t{16} << 20;
  if (input_bytes < kMinimum) return;
  const size_t bytes = std::min(input_bytes, kMaximum);
  // Blocks up to 32 MiB come from the (populated) heap rather than from their own mapping, and
  // freed memory stays in the heap.
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) != 1 || mallopt(M_TRIM_THRESHOLD, 256 << 20) != 1) {
    return;
  }
  void* block = std::malloc(bytes);
  if (!block) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t first = (reinterpret_cast<uintptr_t>(block) + page - 1) & ~(page - 1);
  const uintptr_t last = (reinterpret_cast<uintptr_t>(block) + bytes) & ~(page - 1);
  // Kernels before 5.14 do not know MADV_POPULATE_WRITE: the pages are then faulted as usual.
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_WRITE);
  std::free(block);
}

Result<std::vector<SeriesPatch>> ReadPatches(const FileOptions& o) {
  PatchInput input;
  VIGIL_RETURN_IF_ERROR(input.Open(o.file, o.max_bytes));
  PrepareHeap(input.text().size());
  patch::SeriesLimits limits;
  limits.mbox.max_input_bytes = o.max_bytes;
  limits.mbox.max_message_bytes = o.max_bytes;
  limits.diff.max_bytes = o.max_bytes;
  return patch::ReadSeries(
      input.text(), limits,
      o.summary ? patch::SeriesContent::kSummary : patch::SeriesContent::kComplete);
}

/// Appends S as a JSON string. The JSON of these commands is written by hand rather than through
/// a JSON library: inspect is benchmarked against `git patch-id`, and building a tree per patch
/// doubled its time.
void AppendJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t plain = 0;  // start of the run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
}

/// Appends "KEY": (quoted) to a JSON object being written.
void AppendKey(std::string* out, const char* key) {
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

void AppendString(std::string* out, const char* key, std::string_view value, char sep = ',') {
  AppendKey(out, key);
  AppendJsonString(out, value);
  if (sep) out->push_back(sep);
}

void AppendNumber(std::string* out, const char* key, long long value, char sep = ',') {
  AppendKey(out, key);
  char digits[24];
  const int n = std::snprintf(digits, sizeof digits, "%lld", value);
  out->append(digits, static_cast<size_t>(n));
  if (sep) out->push_back(sep);
}

void AppendBool(std::string* out, const char* key, bool value, char sep = ',') {
  AppendKey(out, key);
  out->append(value ? "true" : "false");
  if (sep) out->push_back(sep);
}

/// One patch of `vigil patch inspect --json`.
void AppendPatchJson(std::string* out, const SeriesPatch& p) {
  out->push_back('{');
  AppendKey(out, "series");
  out->push_back('{');
  AppendNumber(out, "version", p.mail.series.version);
  AppendNumber(out, "index", p.mail.series.index);
  AppendNumber(out, "total", p.mail.series.total, '}');
  out->push_back(',');
  AppendKey(out, "author");
  out->push_back('{');
  AppendString(out, "name", p.mail.author);
  AppendString(out, "email", p.mail.email);
  AppendString(out, "date", p.mail.date, '}');
  out->push_back(',');
  AppendString(out, "subject", p.mail.subject);
  AppendString(out, "message", p.mail.message);
  AppendString(out, "patch_id", p.patch_id);
  AppendString(out, "change_id", p.mail.change_id);
  AppendString(out, "message_id", p.mail.message_id);
  AppendKey(out, "files");
  out->push_back('[');
  for (size_t i = 0; i < p.files.size(); ++i) {
    const patch::FileDiff& f = p.files[i];
    if (i) out->push_back(',');
    out->push_back('{');
    AppendString(out, "path", f.path());
    AppendString(out, "old_path", f.old_path);
    AppendString(out, "status", patch::FileStatusName(f.status));
    AppendNumber(out, "insertions", f.insertions);
    AppendNumber(out, "deletions", f.deletions);
    AppendBool(out, "binary", f.binary, '}');
  }
  out->append("]}");
}

std::string PatchText(const SeriesPatch& p) {
  std::string out = p.Label() + "  " + p.mail.subject + "\n";
  out += "  series     v" + std::to_string(p.mail.series.version) + " " +
         std::to_string(p.mail.series.index) + "/" + std::to_string(p.mail.series.total) + "\n";
  out += "  author     " + p.mail.author + " <" + p.mail.email + ">\n";
  out += "  date       " + p.mail.date + "\n";
  out += "  patch-id   " + p.patch_id + "\n";
  for (const patch::FileDiff& f : p.files) {
    out += "  " + std::string(patch::FileStatusName(f.status)) + "  " + f.path() +
           (f.binary ? "  (binary)"
                     : "  +" + std::to_string(f.insertions) + " -" + std::to_string(f.deletions)) +
           "\n";
  }
  return out;
}

void Inspect(Outcome& out, const FileOptions& o) {
  Result<std::vector<SeriesPatch>> series = ReadPatches(o);
  if (!out.Check(series.status())) return;
  // Written in pieces through one buffer: a buffer for the whole output would be touched page
  // by page, and the page faults cost more than writing the JSON.
  constexpr size_t kPiece = 64 << 10;
  std::string text;
  text.reserve(2 * kPiece);
  if (o.json) text.push_back('[');
  for (size_t i = 0; i < series->size(); ++i) {
    if (o.json) {
      if (i > 0) text.push_back(',');
      AppendPatchJson(&text, (*series)[i]);
    } else {
      text += PatchText((*series)[i]);
    }
    if (text.size() >= kPiece) {
      out.Print(text);
      text.clear();
    }
  }
  if (o.json) text.append("]\n");
  out.Print(text);
}

void Check(Outcome& out, const FileOptions& o) {
  Result<std::vector<SeriesPatch>> series = ReadPatches(o);
  if (!out.Check(series.status())) return;
  Result<std::unique_ptr<patch::GitRepository>> repo = patch::GitRepository::Open(o.repo);
  if (!out.Check(repo.status())) return;
  bool all = true;
  std::string json = "[";
  std::string text;
  for (const std::string& rev : o.onto) {
    Result<patch::RevisionApplicability> r = patch::CheckSeries(**repo, *series, rev);
    if (!out.Check(r.status())) return;
    all = all && r->AllApply();
    if (json.size() > 1) json.push_back(',');
    json.push_back('{');
    AppendString(&json, "rev", rev);
    AppendString(&json, "commit", r->commit);
    AppendString(&json, "engine", r->by_git ? "git" : "vigil");
    AppendBool(&json, "applies", r->AllApply());
    AppendKey(&json, "patches");
    json.push_back('[');
    for (size_t i = 0; i < r->patches.size(); ++i) {
      const patch::PatchApplicability& a = r->patches[i];
      const SeriesPatch& p = (*series)[i];
      if (i) json.push_back(',');
      json.push_back('{');
      AppendNumber(&json, "patch", p.number);
      AppendString(&json, "subject", p.mail.subject);
      AppendString(&json, "patch_id", p.patch_id);
      AppendString(&json, "result", patch::ApplicabilityName(a.verdict));
      AppendNumber(&json, "offset", a.offset, 0);
      if (!a.message.empty()) {
        json.push_back(',');
        AppendString(&json, "message", a.message, 0);
      }
      if (a.verdict == patch::Applicability::kConflict) {
        json.push_back(',');
        AppendString(&json, "file", a.file);
        AppendNumber(&json, "hunk", a.hunk);
        AppendNumber(&json, "line", a.line, 0);
      }
      json.push_back('}');
      text += rev + "  " + p.Label() + "  ";
      switch (a.verdict) {
        case patch::Applicability::kApplies:
          text += "applies\n";
          break;
        case patch::Applicability::kOffset:
          text += "applies with offset " + std::to_string(a.offset) + "\n";
          break;
        default:
          text += std::string(patch::ApplicabilityName(a.verdict)) + ": " + a.message + "\n";
      }
    }
    json.append("]}");
  }
  out.Print(o.json ? json + "]\n" : text);
  if (!all) out.Fail(kExitConflict);
}

void Apply(Outcome& out, const FileOptions& o) {
  Result<std::vector<SeriesPatch>> series = ReadPatches(o);
  if (!out.Check(series.status())) return;
  Result<std::unique_ptr<patch::GitRepository>> repo = patch::GitRepository::Open(o.repo);
  if (!out.Check(repo.status())) return;
  patch::ApplyOptions options;
  options.branch = o.branch;
  options.committer_name = o.committer_name;
  options.committer_email = o.committer_email;
  Result<patch::AppliedSeries> applied =
      patch::ApplySeries(**repo, *series, o.onto.front(), options);
  if (!out.Check(applied.status())) return;
  std::string text;
  for (const std::string& c : applied->commits) text += c + "\n";
  out.Print(text);
}

void AddInput(CLI::App* cmd, FileOptions& o) {
  cmd->add_option("FILE", o.file, "An mbox, a mail or a diff; - for standard input")->required();
  cmd->add_option("--max-bytes", o.max_bytes, "Refuse input larger than this (default 50 MiB)");
}

}  // namespace

Result<std::string> ReadPatchInput(const std::string& file, size_t limit) {
  const std::string too_large = "input is over the limit of " + std::to_string(limit) + " bytes";
  std::FILE* f = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
  if (!f) return Status::NotFound("cannot open " + file);
  struct stat st {};
  std::string in;
  if (file != "-" && fstat(fileno(f), &st) == 0) {
    if (static_cast<size_t>(st.st_size) > limit) {
      std::fclose(f);
      return Status::TooLarge(too_large);
    }
    in.reserve(static_cast<size_t>(st.st_size) + 1);
  }
  // Reads straight into the string: a regular file in one step (its size plus one byte, to
  // notice growth), a pipe in doubling steps.
  size_t step = in.capacity() > 0 ? in.capacity() : size_t{64} << 10;
  for (;;) {
    const size_t have = in.size();
    in.resize(have + step);
    const size_t n = std::fread(in.data() + have, 1, step, f);
    in.resize(have + n);
    if (n < step || in.size() > limit) break;
    step = std::min(in.size(), limit + 1 - in.size() + 1);
  }
  if (f != stdin) std::fclose(f);
  if (in.size() > limit) return Status::TooLarge(too_large);
  return in;
}

namespace {

// Adds the file command PATH with its input options (AddInput) into O; running it calls RUN.
CLI::App* AddFileCommand(CLI::App& group, std::string_view path, int& exit_code,
                         const std::shared_ptr<FileOptions>& o,
                         void (*run)(Outcome&, const FileOptions&)) {
  auto* cmd = AddCommand(group, path);
  AddInput(cmd, *o);
  cmd->callback([&exit_code, o, run] {
    Outcome out(exit_code);
    run(out, *o);
  });
  return cmd;
}

}  // namespace

void AddPatchFileCommands(CLI::App& group, int& exit_code) {
  auto inspect = std::make_shared<FileOptions>();
  inspect->summary = true;
  auto* cmd = AddFileCommand(group, "patch inspect", exit_code, inspect, Inspect);
  cmd->add_flag("--json", inspect->json, "JSON output");

  auto check = std::make_shared<FileOptions>();
  cmd = AddFileCommand(group, "patch check", exit_code, check, Check);
  cmd->add_option("--repo", check->repo, "The git repository (default .)");
  cmd->add_option("--onto", check->onto, "A revision to check on (repeatable)")->required();
  cmd->add_flag("--json", check->json, "JSON output");

  auto apply = std::make_shared<FileOptions>();
  cmd = AddFileCommand(group, "patch apply", exit_code, apply, Apply);
  cmd->add_option("--repo", apply->repo, "The git repository (default .)");
  cmd->add_option("--onto", apply->onto, "The revision to apply on")->required()->expected(1);
  cmd->add_option("--branch", apply->branch, "Create this new branch at the last commit");
  cmd->add_option("--committer-name", apply->committer_name, "Committer name (default: git's)");
  cmd->add_option("--committer-email", apply->committer_email, "Committer email (default: git's)");
}

int RunPatchFileCommand(int argc, const char* const* argv) {
  // Names and descriptions come from the command table, as in the complete program (cli.cc,
  // patch_commands.cc), so that help and usage errors read the same.
  CLI::App app{std::string(kProgramDescription)};
  app.require_subcommand(1);
  int exit_code = kExitOk;
  auto* group = AddCommand(app, "patch");
  group->require_subcommand(1);
  AddPatchFileCommands(*group, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

}  // namespace vigil
