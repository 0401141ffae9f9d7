#include "patch/git_repository.h"

#include <filesystem>

namespace vigil::patch {

Result<std::unique_ptr<GitRepository>> GitRepository::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec || !std::filesystem::is_directory(abs, ec)) {
    return Status::NotFound("not a git repository: " + path);
  }
  std::unique_ptr<GitRepository> repo(new GitRepository());
  repo->path_ = abs.lexically_normal().string();
  if (repo->path_.size() > 1 && repo->path_.ends_with('/')) repo->path_.pop_back();
  Result<GitOutput> dir = RunGit(repo->path_, {"rev-parse", "--absolute-git-dir"});
  if (!dir.ok()) return dir.status();
  if (dir->exit_code != 0 || dir->out.empty()) {
    return Status::NotFound("not a git repository: " + path);
  }
  repo->git_dir_ = dir->out.substr(0, dir->out.find('\n'));
  Result<std::unique_ptr<CatFile>> cat = CatFile::Start(repo->path_);
  if (!cat.ok()) return cat.status();
  repo->cat_file_ = std::move(cat).value();
  return repo;
}

Result<std::string> GitRepository::ResolveCommit(std::string_view rev) {
  const std::string shown = "\"" + std::string(rev.substr(0, 256)) + "\"";
  bool bad = rev.empty() || rev.size() > 256 || rev.front() == '-';
  for (char c : rev) bad = bad || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  if (bad) return Status::Invalid("invalid revision " + shown);
  Result<std::optional<GitObject>> obj = cat_file_->Info(std::string(rev) + "^{commit}");
  if (!obj.ok()) return obj.status();
  if (!*obj || (*obj)->type != "commit") return Status::NotFound("unknown revision " + shown);
  return (*obj)->oid;
}

Result<std::string> GitRepository::CommitTree(const std::string& commit) {
  auto it = commit_trees_.find(commit);
  if (it != commit_trees_.end()) return it->second;
  Result<std::optional<GitObject>> obj = cat_file_->Read(commit);
  if (!obj.ok()) return obj.status();
  if (!*obj || (*obj)->type != "commit" || !(*obj)->data.starts_with("tree ")) {
    return Status::NotFound("unknown commit " + commit);
  }
  std::string tree = (*obj)->data.substr(5, (*obj)->data.find('\n') - 5);
  commit_trees_[commit] = tree;
  return tree;
}

Result<const GitRepository::Tree*> GitRepository::ReadTree(const std::string& oid) {
  auto it = trees_.find(oid);
  if (it != trees_.end()) return &it->second;
  Result<std::optional<GitObject>> obj = cat_file_->Read(oid);
  if (!obj.ok()) return obj.status();
  if (!*obj || (*obj)->type != "tree") return Status::NotFound("unknown tree " + oid);
  // Entries: "<mode> <name>\0<raw oid>"; the raw oid is 20 bytes (SHA-1) or 32 (SHA-256).
  const std::string& d = (*obj)->data;
  const size_t raw = oid.size() / 2;
  Tree tree;
  size_t pos = 0;
  static const char kHex[] = "0123456789abcdef";
  while (pos < d.size()) {
    size_t sp = d.find(' ', pos);
    size_t nul = sp == std::string::npos ? sp : d.find('\0', sp);
    if (nul == std::string::npos || nul + 1 + raw > d.size()) {
      return Status::Internal("corrupt tree " + oid);
    }
    TreeEntry e;
    e.mode = d.substr(pos, sp - pos);
    for (size_t i = 0; i < raw; ++i) {
      unsigned char b = static_cast<unsigned char>(d[nul + 1 + i]);
      e.oid.push_back(kHex[b >> 4]);
      e.oid.push_back(kHex[b & 15]);
    }
    tree.emplace(d.substr(sp + 1, nul - sp - 1), std::move(e));
    pos = nul + 1 + raw;
  }
  return &(trees_[oid] = std::move(tree));
}

Result<std::optional<TreeEntry>> GitRepository::Lookup(const std::string& commit,
                                                       const std::string& path, bool* blocked) {
  *blocked = false;
  Result<std::string> root = CommitTree(commit);
  if (!root.ok()) return root.status();
  std::string tree_oid = *root;
  size_t start = 0;
  for (;;) {
    Result<const Tree*> tree = ReadTree(tree_oid);
    if (!tree.ok()) return tree.status();
    size_t slash = path.find('/', start);
    std::string_view name = std::string_view(path).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    auto it = (*tree)->find(name);
    if (it == (*tree)->end()) return std::optional<TreeEntry>();
    if (slash == std::string::npos) return std::optional<TreeEntry>(it->second);
    if (!it->second.IsTree()) {
      *blocked = true;
      return std::optional<TreeEntry>();
    }
    tree_oid = it->second.oid;
    start = slash + 1;
  }
}

Result<std::string> GitRepository::ReadBlob(const std::string& oid) {
  Result<std::optional<GitObject>> obj = cat_file_->Read(oid);
  if (!obj.ok()) return obj.status();
  if (!*obj || (*obj)->type != "blob") return Status::NotFound("unknown blob " + oid);
  return std::move((*obj)->data);
}

Result<bool> GitRepository::HasObject(const std::string& oid) {
  Result<std::optional<GitObject>> obj = cat_file_->Info(oid);
  if (!obj.ok()) return obj.status();
  return obj->has_value() && (*obj)->oid == oid;
}

}  // namespace vigil::patch
