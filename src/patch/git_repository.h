// GitRepository: read access to a local git repository (commits, trees, blobs) through one
// long-lived `git cat-file --batch-command`, with caches for the trees several revisions share.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "patch/git_process.h"

namespace vigil::patch {

/// One entry of a tree: a mode as git writes it ("100644", "100755", "120000", "160000",
/// "40000") and an object id.
struct TreeEntry {
  std::string mode;
  std::string oid;
  bool IsTree() const { return mode == "40000"; }
  bool IsRegularFile() const { return mode == "100644" || mode == "100755"; }
};

class GitRepository {
 public:
  /// Opens the repository at PATH (a work tree or a bare repository). Errors: kNotFound
  /// "not a git repository: PATH"; kUnavailable when git cannot be run.
  static Result<std::unique_ptr<GitRepository>> Open(const std::string& path);

  /// The absolute path of the repository (as given, made absolute).
  const std::string& path() const { return path_; }
  /// The absolute git directory (e.g. ".../.git").
  const std::string& git_dir() const { return git_dir_; }

  /// The commit REV names (any revision expression git understands). REV never reaches git as
  /// an argument: it is written to cat-file's input. Errors: kInvalidArgument
  /// "invalid revision \"REV\"" (empty, over 256 bytes, control characters, or a leading '-');
  /// kNotFound "unknown revision \"REV\"" (no such commit, or ambiguous).
  Result<std::string> ResolveCommit(std::string_view rev);

  /// The entry at PATH in the tree of COMMIT, or nullopt if there is none. *BLOCKED is set when
  /// a leading component of PATH exists but is not a directory (a file or a symbolic link).
  Result<std::optional<TreeEntry>> Lookup(const std::string& commit, const std::string& path,
                                          bool* blocked);
  /// The content of blob OID. kNotFound when there is no such blob.
  Result<std::string> ReadBlob(const std::string& oid);
  /// True when the object OID exists in the repository.
  Result<bool> HasObject(const std::string& oid);

 private:
  GitRepository() = default;
  using Tree = std::map<std::string, TreeEntry, std::less<>>;
  Result<const Tree*> ReadTree(const std::string& oid);
  Result<std::string> CommitTree(const std::string& commit);

  std::string path_;
  std::string git_dir_;
  std::unique_ptr<CatFile> cat_file_;
  std::map<std::string, Tree> trees_;                // by tree oid
  std::map<std::string, std::string> commit_trees_;  // commit oid -> tree oid
};

}  // namespace vigil::patch
