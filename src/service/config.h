// vigil.toml: every key, its default and its meaning. See docs in README ("Configuration").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace vigil {

struct Config {
  // [project]
  std::string project_name = "Example project";
  std::string id_prefix = "SEC";
  std::string security_address = "security@example.org";
  std::string master_branch = "master";
  std::vector<std::string> supported_branches;
  /// Maintainers who coordinate reports, in round-robin order (each needs a maintainer or admin
  /// account).
  std::vector<std::string> maintainers;
  bool round_robin = false;  // assign new reports automatically on submission
  // [embargo]
  int embargo_cap_days = 90;
  // [server]
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string public_url;  // defaults to http://<listen>
  int io_threads = 2;
  int worker_threads = 32;
  int max_connections = 1024;
  int idle_timeout_seconds = 30;
  int64_t max_body_bytes = 1 << 20;
  int max_header_bytes = 16 << 10;
  int submit_per_minute = 30;  // per client address
  // [data]
  std::string data_dir = "data";  // relative paths are relative to the config file's folder
  // [repository]
  /// A local clone of the project (made absolute like data.dir); empty = patches are stored
  /// but not checked against branches.
  std::string repository_path;
  /// The committer of commits Vigil creates from approved patches; empty = git's configuration.
  std::string committer_name;
  std::string committer_email;
  // [patch]
  int64_t patch_max_bytes = 10 << 20;  // one upload (mbox or patch)
  int patch_max_count = 200;           // patches in one upload

  std::string DatabasePath() const { return data_dir + "/vigil.db"; }
};

/// Reads PATH. Unknown keys, wrong types and out-of-range values are errors naming the key:
/// "vigil.toml: server.port: must be 0 to 65535". A missing file is an error.
Result<Config> LoadConfig(const std::string& path);

/// The documented default configuration file, as `vigil init` writes it.
std::string DefaultConfigText(const std::string& data_dir, uint16_t port);

}  // namespace vigil
