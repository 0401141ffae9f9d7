// CheckSeries asked of git itself: `git apply --cached --check` on a temporary index, objects
// written to a temporary directory that borrows the repository's objects as an alternate.
#include "patch/git_apply_check.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "patch/git_process.h"

namespace vigil::patch {
namespace {

/// A temporary directory, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "vigil-apply-XXXXXX").string();
    if (mkdtemp(templ.data()) != nullptr) path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

PatchApplicability FromGitError(const SeriesPatch& patch, const std::string& err) {
  PatchApplicability a;
  a.verdict = Applicability::kConflict;
  std::vector<std::string> errors;
  size_t pos = 0;
  while (pos < err.size()) {
    size_t nl = err.find('\n', pos);
    std::string line = err.substr(pos, nl == std::string::npos ? nl : nl - pos);
    if (line.starts_with("error: ")) errors.push_back(line.substr(7));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  // With -v, git first shows the preimage it searched for; the "patch failed" line names the hunk.
  // (A copy first: inserting into ERRORS while iterating it was a use after free, found by
  // ASan.)
  auto failed = std::find_if(errors.begin(), errors.end(),
                             [](const std::string& e) { return e.starts_with("patch failed: "); });
  if (failed != errors.end()) {
    std::string hunk = *failed;
    errors.insert(errors.begin(), std::move(hunk));
  }
  std::erase_if(errors, [](const std::string& e) { return e.starts_with("while searching for:"); });
  if (errors.empty()) errors.push_back("git apply failed");
  const std::string first = errors.front();
  if (first.starts_with("patch failed: ")) {
    std::string rest = first.substr(14);
    size_t colon = rest.rfind(':');
    a.file = rest.substr(0, colon);
    a.line = std::atoi(rest.c_str() + colon + 1);
    for (const FileDiff& f : patch.files) {
      const std::string& name = f.old_path.empty() ? f.new_path : f.old_path;
      if (name != a.file) continue;
      for (size_t h = 0; h < f.hunks.size(); ++h) {
        if (f.hunks[h].old_start == a.line) {
          a.hunk = static_cast<int>(h + 1);
          break;
        }
      }
      break;
    }
    a.message = patch.Label() + ": hunk " + std::to_string(a.hunk) + " of " + a.file +
                " does not apply at line " + std::to_string(a.line);
    return a;
  }
  if (first == "removal patch leaves file contents" && errors.size() > 1) {
    std::string file = errors[1].substr(0, errors[1].rfind(": patch does not apply"));
    a.file = file;
    a.message = patch.Label() + ": " + file + ": removal patch leaves file contents";
    return a;
  }
  a.message = patch.Label() + ": " + first;
  size_t colon = first.find(": ");
  if (colon != std::string::npos) a.file = first.substr(0, colon);
  return a;
}

/// The largest "Hunk #N succeeded at X (offset Y lines)." of `git apply -v`.
int OffsetFromVerbose(const std::string& err) {
  int best = 0;
  size_t pos = 0;
  while ((pos = err.find("(offset ", pos)) != std::string::npos) {
    pos += 8;
    int v = std::atoi(err.c_str() + pos);
    if (std::abs(v) > std::abs(best)) best = v;
  }
  return best;
}

}  // namespace

Result<RevisionApplicability> GitApplyCheck(GitRepository& repo,
                                            const std::vector<SeriesPatch>& series,
                                            RevisionApplicability out) {
  out.by_git = true;
  out.patches.clear();
  TempDir tmp;
  if (tmp.path().empty()) return Status::Unavailable("cannot create a temporary directory");
  std::filesystem::create_directories(tmp.path() + "/objects");
  Result<GitOutput> objects = RunGit(repo.path(), {"rev-parse", "--git-path", "objects"});
  if (!objects.ok()) return objects.status();
  std::filesystem::path objects_dir = objects->out.substr(0, objects->out.find('\n'));
  if (objects_dir.is_relative()) objects_dir = std::filesystem::path(repo.path()) / objects_dir;
  const std::map<std::string, std::string> env = {
      {"GIT_INDEX_FILE", tmp.path() + "/index"},
      {"GIT_OBJECT_DIRECTORY", tmp.path() + "/objects"},
      {"GIT_ALTERNATE_OBJECT_DIRECTORIES", objects_dir.string()},
  };
  Result<GitOutput> read = RunGit(repo.path(), {"read-tree", out.commit}, {}, env);
  if (!read.ok()) return read.status();
  if (read->exit_code != 0) return Status::Unavailable("git read-tree failed: " + read->err);
  using Answer = std::optional<PatchApplicability>;
  Result<bool> told = CheckInOrder(
      series,
      [&](const SeriesPatch& p) -> Result<Answer> {
        Result<GitOutput> fwd =
            RunGit(repo.path(), {"apply", "--cached", "--check", "-v", "--whitespace=nowarn"},
                   p.mail.patch, env);
        if (!fwd.ok()) return fwd.status();
        PatchApplicability a;
        if (fwd->exit_code == 0) {
          a.offset = OffsetFromVerbose(fwd->err);
          a.verdict = a.offset ? Applicability::kOffset : Applicability::kApplies;
          if (&p != &series.back()) {
            Result<GitOutput> apply = RunGit(
                repo.path(), {"apply", "--cached", "--whitespace=nowarn"}, p.mail.patch, env);
            if (!apply.ok()) return apply.status();
            if (apply->exit_code != 0) {
              return Status::Unavailable("git apply failed: " + apply->err);
            }
          }
          return Answer(std::move(a));
        }
        Result<GitOutput> rev =
            RunGit(repo.path(), {"apply", "--cached", "--check", "-R", "--whitespace=nowarn"},
                   p.mail.patch, env);
        if (!rev.ok()) return rev.status();
        if (rev->exit_code != 0) return Answer(FromGitError(p, fwd->err));
        a.verdict = Applicability::kAlreadyApplied;
        a.message = p.Label() + ": already applied";
        return Answer(std::move(a));
      },
      &out.patches);
  if (!told.ok()) return told.status();
  return out;
}

Result<bool> CheckInOrder(const std::vector<SeriesPatch>& series, const PatchCheck& check,
                          std::vector<PatchApplicability>* out) {
  std::string blocker;  // the label of the first patch that does not apply
  for (const SeriesPatch& p : series) {
    if (!blocker.empty()) {
      PatchApplicability a;
      a.verdict = Applicability::kNotChecked;
      a.message = p.Label() + ": not checked: " + blocker + " does not apply";
      out->push_back(std::move(a));
      continue;
    }
    Result<std::optional<PatchApplicability>> answer = check(p);
    if (!answer.ok()) return answer.status();
    if (!answer->has_value()) return false;
    if ((*answer)->verdict == Applicability::kConflict) blocker = p.Label();
    out->push_back(std::move(**answer));
  }
  return true;
}

}  // namespace vigil::patch
