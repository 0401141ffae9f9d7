// The forge Vigil opens public issues and pull requests on. One real adapter (GitHub's REST
// shapes, which Gitea and Forgejo also serve); tests talk to it through a loopback server.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"

namespace vigil {

struct ForgeItem {
  int64_t number = 0;
  std::string url;  // html_url
};

class Forge {
 public:
  virtual ~Forge() = default;
  /// The first issue (not pull request) updated at or after SINCE (ISO 8601 UTC) whose body
  /// contains MARKER, or nullopt. Used to find an issue opened before a crash.
  virtual Result<std::optional<ForgeItem>> FindIssue(const std::string& marker,
                                                     const std::string& since) = 0;
  virtual Result<ForgeItem> OpenIssue(const std::string& title, const std::string& body) = 0;
  /// The pull request (any state) whose head is BRANCH of the forge repository, or nullopt.
  virtual Result<std::optional<ForgeItem>> FindPull(const std::string& branch) = 0;
  virtual Result<ForgeItem> OpenPull(const std::string& title, const std::string& head,
                                     const std::string& base, const std::string& body) = 0;
};

/// The GitHub REST API v3 at API_URL ("https://api.github.com") for REPOSITORY ("owner/name"),
/// authenticated with TOKEN (Bearer). A request is abandoned when the forge makes no progress
/// for TIMEOUT_SECONDS (no connection, no answer, or under 16 bytes a second), or after ten
/// times that in all; responses over 8 MiB are refused. Errors (kUnavailable), all retryable:
/// "forge: <method> <path>: HTTP <status>: <message>", "forge: <method> <path>: no answer from
/// <scheme>://<host>:<port> within <timeout> s", "... <scheme>://<host>:<port> did not finish
/// within <10 × timeout> s", or another transport error.
std::unique_ptr<Forge> MakeGitHubForge(std::string api_url, std::string repository,
                                       std::string token, int timeout_seconds);

}  // namespace vigil
