#include "patch/git_am.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/text.h"
#include "patch/git_process.h"
#include "patch/patch_id.h"

namespace vigil::patch {

std::vector<AmPatch> AmPatches(const std::vector<SeriesPatch>& series) {
  std::vector<AmPatch> out;
  out.reserve(series.size());
  for (const SeriesPatch& p : series) {
    out.push_back({p.mail.subject, p.mail.patch, p.patch_id, p.mail.author, p.mail.email,
                   p.mail.date, p.mail.message});
  }
  return out;
}

namespace {

std::string Label(size_t i, size_t n, const AmPatch& p) {
  return "patch " + std::to_string(i + 1) + "/" + std::to_string(n) + " (" + p.subject + ")";
}

// A temporary index file path inside the repository's git dir, removed on destruction.
class TempIndex {
 public:
  explicit TempIndex(const std::string& repo) {
    Result<std::string> dir = GitOk(repo, {"rev-parse", "--absolute-git-dir"});
    if (dir.ok()) {
      path_ = std::string(TrimEnd(*dir)) + "/vigil-index-" + std::to_string(getpid()) + "-" +
              std::to_string(counter_++);
    }
  }
  ~TempIndex() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove(path_, ec);
  }
  bool ok() const { return !path_.empty(); }
  GitEnv Env() const { return {{"GIT_INDEX_FILE", path_}}; }

 private:
  std::string path_;
  static inline int counter_ = 0;
};

struct CommitObject {
  std::string tree;
  std::string author_name, author_email, author_raw_date;
  std::string message;
};

Result<CommitObject> ReadCommit(const std::string& repo, const std::string& id) {
  Result<std::string> raw = GitOk(repo, {"cat-file", "commit", id});
  if (!raw.ok()) return raw.status();
  CommitObject c;
  const size_t end = raw->find("\n\n");
  const std::string headers = raw->substr(0, end);
  c.message = end == std::string::npos ? "" : raw->substr(end + 2);
  size_t start = 0;
  while (start < headers.size()) {
    const size_t nl = std::min(headers.find('\n', start), headers.size());
    const std::string line = headers.substr(start, nl - start);
    if (line.starts_with("tree ")) c.tree = line.substr(5);
    if (line.starts_with("author ")) {
      const size_t lt = line.find(" <"), gt = line.rfind("> ");
      if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
        c.author_name = line.substr(7, lt - 7);
        c.author_email = line.substr(lt + 2, gt - lt - 2);
        c.author_raw_date = line.substr(gt + 2);
      }
    }
    start = nl + 1;
  }
  return c;
}

}  // namespace

Result<std::string> RawGitDate(const std::string& text) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string s = text;
  if (const size_t comma = s.find(','); comma != std::string::npos) s = s.substr(comma + 1);
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  char month[4] = {0}, zone[8] = {0};
  int consumed = 0;
  if (std::sscanf(s.c_str(), " %d %3s %d %d:%d:%d %7s%n", &day, month, &year, &hh, &mm, &ss, zone,
                  &consumed) != 7) {
    return Status::Invalid("cannot read the date \"" + text.substr(0, 64) + "\"");
  }
  unsigned m = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (std::string_view(month) == kMonths[i]) m = i + 1;
  }
  const std::string z = zone;
  if (m == 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || z.size() != 5 ||
      (z[0] != '+' && z[0] != '-')) {
    return Status::Invalid("cannot read the date \"" + text.substr(0, 64) + "\"");
  }
  const int zh = std::stoi(z.substr(1, 2)), zm = std::stoi(z.substr(3, 2));
  const int64_t offset = (z[0] == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
  const int64_t epoch = DaysFromCivil(year, m, static_cast<unsigned>(day)) * 86400 + hh * 3600 +
                        mm * 60 + ss - offset;
  return std::to_string(epoch) + " " + z;
}

Result<std::vector<std::string>> ApplyToTrees(const std::string& repo, const std::string& base,
                                              const std::vector<AmPatch>& patches) {
  TempIndex index(repo);
  if (!index.ok()) return Status::Unavailable("not a git repository: " + repo);
  const GitEnv env = index.Env();
  Result<std::string> read = GitOk(repo, {"read-tree", base}, {}, env);
  if (!read.ok()) return read.status();
  std::vector<std::string> trees;
  for (size_t i = 0; i < patches.size(); ++i) {
    // As `git am` applies: context must match, offsets are searched, no fuzz.
    Result<GitOutput> applied = RunGit(repo, {"apply", "--cached"}, patches[i].diff, env);
    if (!applied.ok()) return applied.status();
    if (applied->exit_code != 0) {
      return Status::Conflict(Label(i, patches.size(), patches[i]) +
                              " does not apply: " + applied->FirstErrorLine());
    }
    Result<std::string> tree = GitOk(repo, {"write-tree"}, {}, env);
    if (!tree.ok()) return tree.status();
    trees.push_back(std::string(TrimEnd(*tree)));
  }
  return trees;
}

Result<std::vector<std::string>> CommitPatches(const std::string& repo, const std::string& base,
                                               const std::string& ref,
                                               const std::vector<AmPatch>& patches,
                                               const Committer& committer) {
  if (!ref.empty()) {
    Result<GitOutput> exists = RunGit(repo, {"rev-parse", "--verify", "--quiet", ref});
    if (!exists.ok()) return exists.status();
    if (exists->exit_code == 0) return Status::Conflict(ref + " already exists");
  }
  Result<std::vector<std::string>> trees = ApplyToTrees(repo, base, patches);
  if (!trees.ok()) return trees.status();
  Result<std::string> parent_id = GitOk(repo, {"rev-parse", "--verify", base + "^{commit}"});
  if (!parent_id.ok()) return parent_id.status();
  std::string parent(TrimEnd(*parent_id));
  GitEnv committer_env;
  // An empty committer name or email leaves it to git (environment, then configuration).
  if (!committer.name.empty()) committer_env["GIT_COMMITTER_NAME"] = committer.name;
  if (!committer.email.empty()) committer_env["GIT_COMMITTER_EMAIL"] = committer.email;
  if (committer.date != 0) {
    committer_env["GIT_COMMITTER_DATE"] =
        "@" + std::to_string(committer.date / kMicrosPerSecond) + " +0000";
  }
  std::vector<std::string> commits;
  for (size_t i = 0; i < patches.size(); ++i) {
    const AmPatch& p = patches[i];
    Result<std::string> author_date = RawGitDate(p.author_date);
    if (!author_date.ok()) {
      return Status::Invalid(Label(i, patches.size(), p) + ": " + author_date.status().message());
    }
    GitEnv env = committer_env;
    env["GIT_AUTHOR_NAME"] = p.author_name;
    env["GIT_AUTHOR_EMAIL"] = p.author_email;
    env["GIT_AUTHOR_DATE"] = "@" + *author_date;
    Result<std::string> commit =
        GitOk(repo, {"commit-tree", (*trees)[i], "-p", parent, "-F", "-"}, p.message, env);
    if (!commit.ok()) return commit.status();
    parent = std::string(TrimEnd(*commit));
    commits.push_back(parent);
  }
  if (!ref.empty()) {
    // Creating only: the all-zero old value makes update-ref fail if REF appeared meanwhile.
    Result<GitOutput> updated = RunGit(
        repo, {"update-ref", "-m", "vigil: am", ref, parent, std::string(parent.size(), '0')});
    if (!updated.ok()) return updated.status();
    if (updated->exit_code != 0) return Status::Conflict(ref + " already exists");
  }
  return commits;
}

Status VerifyCommits(const std::string& repo, const std::string& head,
                     const std::vector<AmPatch>& patches,
                     const std::vector<std::string>& approved_ids) {
  const size_t n = patches.size();
  Result<std::string> list =
      GitOk(repo, {"rev-list", "--reverse", "--max-count=" + std::to_string(n), head});
  if (!list.ok()) return list.status();
  std::vector<std::string> commits;
  for (size_t start = 0; start < list->size();) {
    const size_t nl = std::min(list->find('\n', start), list->size());
    if (nl > start) commits.push_back(list->substr(start, nl - start));
    start = nl + 1;
  }
  Result<GitOutput> parent =
      commits.empty() ? Result<GitOutput>(GitOutput{})
                      : RunGit(repo, {"rev-parse", "--verify", "--quiet", commits.front() + "^"});
  if (!parent.ok()) return parent.status();
  // N commits on top of a parent: a root commit cannot be one of the approved patches.
  if (commits.size() != n || approved_ids.size() != n || parent->exit_code != 0) {
    return Status::Conflict(head.substr(0, 12) + " does not hold " + std::to_string(n) +
                            " commits");
  }
  Result<std::vector<std::string>> trees = ApplyToTrees(repo, commits.front() + "^", patches);
  if (!trees.ok()) return trees.status();
  for (size_t i = 0; i < n; ++i) {
    const std::string where = "commit " + commits[i].substr(0, 12) + " (patch " +
                              std::to_string(i + 1) + "/" + std::to_string(n) + "): ";
    // The commit's diff as format-patch writes it by default, hashed like `git patch-id --stable`.
    Result<std::string> mail = GitOk(repo, {"-c", "diff.algorithm=myers", "-c", "diff.renames=true",
                                            "format-patch", "-1", "--stdout", commits[i]});
    if (!mail.ok()) return mail.status();
    Result<std::vector<PatchIdEntry>> ids = ComputePatchIds(*mail);
    if (!ids.ok()) return ids.status();
    const std::string id = ids->size() == 1 ? ids->front().patch_id : "";
    if (id != approved_ids[i]) {
      return Status::Conflict(where + "patch-id " + id.substr(0, 12) +
                              " differs from the approved " + approved_ids[i].substr(0, 12));
    }
    Result<CommitObject> c = ReadCommit(repo, commits[i]);
    if (!c.ok()) return c.status();
    const AmPatch& p = patches[i];
    if (c->tree != (*trees)[i]) {
      return Status::Conflict(where + "tree " + c->tree.substr(0, 12) +
                              " differs from the approved patch's " + (*trees)[i].substr(0, 12));
    }
    if (c->author_name != p.author_name || c->author_email != p.author_email) {
      return Status::Conflict(where + "author " + c->author_name + " <" + c->author_email +
                              "> differs from the approved " + p.author_name + " <" +
                              p.author_email + ">");
    }
    Result<std::string> date = RawGitDate(p.author_date);
    if (!date.ok()) return date.status();
    if (c->author_raw_date != *date) {
      return Status::Conflict(where + "author date " + c->author_raw_date +
                              " differs from the approved " + *date);
    }
    if (c->message != p.message) {
      return Status::Conflict(where + "message differs from the approved patch's");
    }
  }
  return Status::Ok();
}

}  // namespace vigil::patch
