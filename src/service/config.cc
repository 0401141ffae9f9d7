#include "service/config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "core/report.h"
#include "core/report_id.h"

namespace vigil {
namespace {

constexpr int64_t kMaxConfigBytes = 1 << 20;

using Table = toml::basic_value<toml::discard_comments>;

// Reads the keys of one table, remembering which were consumed so unknown ones are reported.
class Section {
 public:
  Section(const Table& root, std::string name, std::string file)
      : name_(std::move(name)), file_(std::move(file)) {
    if (root.contains(name_)) {
      const Table& t = root.at(name_);
      if (!t.is_table()) {
        error_ = file_ + ": " + name_ + ": must be a table";
      } else {
        table_ = &t;
      }
    }
  }

  template <typename T>
  void Get(const char* key, T* out) {
    if (!table_ || !error_.empty() || !table_->contains(key)) return;
    seen_.insert(key);
    try {
      *out = toml::get<T>(table_->at(key));
    } catch (const std::exception&) {
      error_ = file_ + ": " + name_ + "." + key + ": wrong type";
    }
  }

  Status Finish() {
    if (!error_.empty()) return Status::Invalid(error_);
    if (table_) {
      for (const auto& [k, v] : table_->as_table()) {
        if (!seen_.count(k))
          return Status::Invalid(file_ + ": " + name_ + "." + k + ": unknown key");
      }
    }
    return Status::Ok();
  }

  Status Fail(const std::string& key, const std::string& why) const {
    return Status::Invalid(file_ + ": " + name_ + "." + key + ": " + why);
  }

 private:
  std::string name_, file_;
  const Table* table_ = nullptr;
  std::set<std::string> seen_;
  std::string error_;
};

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound("cannot read " + path + ": " + ec.message());
  if (size > kMaxConfigBytes) return Status::TooLarge(path + ": larger than 1 MiB");
  Table root;
  try {
    root = toml::parse<toml::discard_comments>(path);
  } catch (const std::exception& e) {
    std::string what = e.what();
    const size_t nl = what.find('\n');
    return Status::Invalid(path + ": " + what.substr(0, nl));
  }
  const std::string file = std::filesystem::path(path).filename().string();
  for (const auto& [k, v] : root.as_table()) {
    if (k != "project" && k != "embargo" && k != "server" && k != "data" && k != "repository" &&
        k != "patch") {
      return Status::Invalid(file + ": " + k + ": unknown key");
    }
  }
  Config c;
  Section project(root, "project", file);
  project.Get("name", &c.project_name);
  project.Get("id_prefix", &c.id_prefix);
  project.Get("security_address", &c.security_address);
  project.Get("master_branch", &c.master_branch);
  project.Get("supported_branches", &c.supported_branches);
  project.Get("maintainers", &c.maintainers);
  project.Get("round_robin", &c.round_robin);
  VIGIL_RETURN_IF_ERROR(project.Finish());
  if (Status s = ValidateIdPrefix(c.id_prefix); !s.ok()) {
    return project.Fail("id_prefix", s.message());
  }
  for (std::string& m : c.maintainers) {
    m = LowerAscii(m);
    if (!IsPlausibleEmail(m)) return project.Fail("maintainers", "\"" + m + "\" is not an email");
  }
  if (c.round_robin && c.maintainers.empty()) {
    return project.Fail("round_robin", "needs at least one entry in project.maintainers");
  }

  Section embargo(root, "embargo", file);
  int64_t cap = c.embargo_cap_days;
  embargo.Get("cap_days", &cap);
  VIGIL_RETURN_IF_ERROR(embargo.Finish());
  if (cap < 1 || cap > 365) return embargo.Fail("cap_days", "must be 1 to 365");
  c.embargo_cap_days = static_cast<int>(cap);

  Section server(root, "server", file);
  int64_t port = c.listen_port, io = c.io_threads, workers = c.worker_threads,
          conns = c.max_connections, idle = c.idle_timeout_seconds, header = c.max_header_bytes,
          rate = c.submit_per_minute;
  server.Get("address", &c.listen_address);
  server.Get("port", &port);
  server.Get("public_url", &c.public_url);
  server.Get("io_threads", &io);
  server.Get("worker_threads", &workers);
  server.Get("max_connections", &conns);
  server.Get("idle_timeout_seconds", &idle);
  server.Get("max_body_bytes", &c.max_body_bytes);
  server.Get("max_header_bytes", &header);
  server.Get("submit_per_minute", &rate);
  VIGIL_RETURN_IF_ERROR(server.Finish());
  if (port < 0 || port > 65535) return server.Fail("port", "must be 0 to 65535");
  if (io < 1 || io > 64) return server.Fail("io_threads", "must be 1 to 64");
  if (workers < 1 || workers > 1024) return server.Fail("worker_threads", "must be 1 to 1024");
  if (conns < 1 || conns > 100000) return server.Fail("max_connections", "must be 1 to 100000");
  if (idle < 1 || idle > 3600) return server.Fail("idle_timeout_seconds", "must be 1 to 3600");
  if (c.max_body_bytes < 1024 || c.max_body_bytes > (int64_t{1} << 30)) {
    return server.Fail("max_body_bytes", "must be 1024 to 1073741824");
  }
  if (header < 1024 || header > (1 << 20)) {
    return server.Fail("max_header_bytes", "must be 1024 to 1048576");
  }
  if (rate < 0 || rate > 1000000) return server.Fail("submit_per_minute", "must be 0 to 1000000");
  c.listen_port = static_cast<uint16_t>(port);
  c.io_threads = static_cast<int>(io);
  c.worker_threads = static_cast<int>(workers);
  c.max_connections = static_cast<int>(conns);
  c.idle_timeout_seconds = static_cast<int>(idle);
  c.max_header_bytes = static_cast<int>(header);
  c.submit_per_minute = static_cast<int>(rate);

  Section data(root, "data", file);
  data.Get("dir", &c.data_dir);
  VIGIL_RETURN_IF_ERROR(data.Finish());
  if (c.data_dir.empty()) return data.Fail("dir", "must not be empty");
  std::filesystem::path dir(c.data_dir);
  if (dir.is_relative()) {
    dir = std::filesystem::absolute(path).parent_path() / dir;
  }
  c.data_dir = dir.lexically_normal().string();

  Section repository(root, "repository", file);
  repository.Get("path", &c.repository_path);
  repository.Get("committer_name", &c.committer_name);
  repository.Get("committer_email", &c.committer_email);
  VIGIL_RETURN_IF_ERROR(repository.Finish());
  if (!c.repository_path.empty()) {
    std::filesystem::path repo(c.repository_path);
    if (repo.is_relative()) repo = std::filesystem::absolute(path).parent_path() / repo;
    c.repository_path = repo.lexically_normal().string();
  }
  if (!c.committer_email.empty() && !IsPlausibleEmail(c.committer_email)) {
    return repository.Fail("committer_email", "must be an email address");
  }

  Section patch(root, "patch", file);
  int64_t patch_count = c.patch_max_count;
  patch.Get("max_bytes", &c.patch_max_bytes);
  patch.Get("max_patches", &patch_count);
  VIGIL_RETURN_IF_ERROR(patch.Finish());
  if (c.patch_max_bytes < 1024 || c.patch_max_bytes > (int64_t{1} << 30)) {
    return patch.Fail("max_bytes", "must be 1024 to 1073741824");
  }
  if (patch_count < 1 || patch_count > 10000) {
    return patch.Fail("max_patches", "must be 1 to 10000");
  }
  c.patch_max_count = static_cast<int>(patch_count);
  if (c.public_url.empty()) {
    c.public_url = "http://" + c.listen_address + ":" + std::to_string(c.listen_port);
  }
  return c;
}

std::string DefaultConfigText(const std::string& data_dir, uint16_t port) {
  std::ostringstream out;
  out << R"(# Vigil configuration. Every key is optional; the values shown are the defaults
# unless marked otherwise.

[project]
# Shown on pages and in mail.
name = "Example project"
# Report ids are <id_prefix>-<YEAR>-<NNNN>: 1 to 16 upper-case letters and digits.
id_prefix = "SEC"
# The address reporters write to; replies go to security+<REPORT-ID>@ the same domain.
security_address = "security@example.org"
# The development branch every embargoed fix must target.
master_branch = "master"
# Release branches that level-1 fixes must also be backported to.
supported_branches = []
# Maintainers who coordinate reports, in round-robin order. Each needs an account
# (`vigil user add --role maintainer`).
maintainers = []
# Assign each new report to the next maintainer above as it arrives.
round_robin = false

[embargo]
# The longest embargo, counted from the receipt of the report (OpenStack VMT: 90 days).
cap_days = 90

[server]
# Where `vigil serve` listens. Keep it on loopback behind a TLS-terminating proxy.
address = "127.0.0.1"
port = )"
      << port << R"(
# The URL users reach Vigil at (used in links); default http://<address>:<port>.
# public_url = "https://security.example.org"
# Threads doing network I/O, and threads running requests (they wait on the disk).
io_threads = 2
worker_threads = 32
# Limits on untrusted clients.
max_connections = 1024
idle_timeout_seconds = 30
max_body_bytes = 1048576
max_header_bytes = 16384
# Report submissions allowed per client address per minute (0 = unlimited).
submit_per_minute = 30

[data]
# Where the database lives, relative to this file.
dir = ")"
      << data_dir << R"("

[repository]
# A local clone of the project, relative to this file or absolute. Every patch revision is
# checked against project.master_branch and each supported branch of this clone (keep it
# fetched; `vigil patch recheck` re-checks after branches move). Empty: no checks.
path = ""
# The committer of the commits Vigil creates from approved patches (default: git's own).
committer_name = ""
committer_email = ""

[patch]
# Limits on one patch upload (an mbox or a single patch), by API or mail.
max_bytes = 10485760
max_patches = 200
)";
  return out.str();
}

}  // namespace vigil
