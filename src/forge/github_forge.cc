// GitHub's REST shapes over libcurl: GET/POST /repos/{owner}/{repo}/issues and /pulls.
#include <curl/curl.h>

#include <boost/json.hpp>
#include <mutex>

#include "forge/forge.h"
#include "net/transfer.h"
#include "net/url_origin.h"

namespace vigil {
namespace {

namespace json = boost::json;

constexpr size_t kMaxResponseBytes = 8u << 20;
constexpr int kMaxPages = 10;

size_t Collect(char* data, size_t size, size_t n, void* user) {
  std::string* out = static_cast<std::string*>(user);
  if (out->size() + size * n > kMaxResponseBytes) return 0;  // aborts the transfer
  out->append(data, size * n);
  return size * n;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

class GitHubForge final : public Forge {
 public:
  GitHubForge(std::string api_url, std::string repository, std::string token, int timeout_seconds)
      : api_(std::move(api_url)),
        repo_(std::move(repository)),
        token_(std::move(token)),
        timeout_seconds_(timeout_seconds) {
    while (!api_.empty() && api_.back() == '/') api_.pop_back();
    origin_ = net::UrlOrigin(api_);
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<std::optional<ForgeItem>> FindIssue(const std::string& marker,
                                             const std::string& since) override {
    for (int page = 1; page <= kMaxPages; ++page) {
      Result<json::value> v = Call("GET",
                                   "/repos/" + repo_ + "/issues?state=all&per_page=100" +
                                       "&since=" + Escape(since) + "&page=" + std::to_string(page),
                                   "");
      if (!v.ok()) return v.status();
      if (!v->is_array()) return Status::Unavailable("forge: issues: not a JSON array");
      for (const json::value& item : v->as_array()) {
        if (!item.is_object() || item.as_object().contains("pull_request")) continue;
        const json::value* body = item.as_object().if_contains("body");
        if (body && body->is_string() &&
            std::string_view(body->as_string()).find(marker) != std::string_view::npos) {
          return std::optional<ForgeItem>(ItemOf(item));
        }
      }
      if (v->as_array().size() < 100) break;
    }
    return std::optional<ForgeItem>();
  }

  Result<ForgeItem> OpenIssue(const std::string& title, const std::string& body) override {
    Result<json::value> v = Call("POST", "/repos/" + repo_ + "/issues",
                                 json::serialize(json::object{{"title", title}, {"body", body}}));
    if (!v.ok()) return v.status();
    return ItemOf(*v);
  }

  Result<std::optional<ForgeItem>> FindPull(const std::string& branch) override {
    const std::string owner = repo_.substr(0, repo_.find('/'));
    Result<json::value> v = Call(
        "GET",
        "/repos/" + repo_ + "/pulls?state=all&per_page=100&head=" + Escape(owner + ":" + branch),
        "");
    if (!v.ok()) return v.status();
    if (!v->is_array()) return Status::Unavailable("forge: pulls: not a JSON array");
    for (const json::value& item : v->as_array()) {
      // Forges that ignore the head filter still say which branch a PR comes from.
      const json::value* head = item.is_object() ? item.as_object().if_contains("head") : nullptr;
      const json::value* ref =
          head && head->is_object() ? head->as_object().if_contains("ref") : nullptr;
      if (ref && ref->is_string() && ref->as_string() == branch) {
        return std::optional<ForgeItem>(ItemOf(item));
      }
    }
    return std::optional<ForgeItem>();
  }

  Result<ForgeItem> OpenPull(const std::string& title, const std::string& head,
                             const std::string& base, const std::string& body) override {
    Result<json::value> v = Call("POST", "/repos/" + repo_ + "/pulls",
                                 json::serialize(json::object{{"title", title},
                                                              {"head", head},
                                                              {"base", base},
                                                              {"body", body},
                                                              {"maintainer_can_modify", true}}));
    if (!v.ok()) return v.status();
    return ItemOf(*v);
  }

 private:
  static ForgeItem ItemOf(const json::value& v) {
    ForgeItem item;
    if (!v.is_object()) return item;
    if (const json::value* n = v.as_object().if_contains("number"); n && n->is_int64()) {
      item.number = n->as_int64();
    }
    if (const json::value* u = v.as_object().if_contains("html_url"); u && u->is_string()) {
      item.url = std::string(u->as_string());
    }
    return item;
  }

  Result<json::value> Call(const std::string& method, const std::string& path,
                           const std::string& body) {
    const std::string what = "forge: " + method + " " + path.substr(0, path.find('?'));
    CURL* curl = curl_easy_init();
    if (!curl) return Status::Unavailable(what + ": cannot initialise libcurl");
    std::string response;
    const std::string url = api_ + path;
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Accept: application/vnd.github+json");
    headers = curl_slist_append(headers, "X-GitHub-Api-Version: 2022-11-28");
    if (!token_.empty()) {
      headers = curl_slist_append(headers, ("Authorization: Bearer " + token_).c_str());
    }
    if (method == "POST") headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "vigil");
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    if (method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    Result<net::TransferEnd> end =
        net::PerformWithDeadline(curl, net::Deadline{timeout_seconds_}, what, origin_);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (!end.ok()) return end.status();
    const CURLcode rc = end->rc;
    const long status = end->response_code;
    if (rc != CURLE_OK) return Status::Unavailable(what + ": " + curl_easy_strerror(rc));
    std::error_code ec;
    json::value v = json::parse(response, ec);
    if (status < 200 || status >= 300) {
      std::string message;
      if (!ec && v.is_object()) {
        if (const json::value* m = v.as_object().if_contains("message"); m && m->is_string()) {
          message = std::string(m->as_string()).substr(0, 200);
        }
      }
      return Status::Unavailable(what + ": HTTP " + std::to_string(status) +
                                 (message.empty() ? "" : ": " + message));
    }
    if (ec) return Status::Unavailable(what + ": response is not JSON");
    return v;
  }

  std::string api_;
  std::string repo_;
  std::string token_;
  const int timeout_seconds_;
  std::string origin_;  // api_ as errors name it
};

}  // namespace

std::unique_ptr<Forge> MakeGitHubForge(std::string api_url, std::string repository,
                                       std::string token, int timeout_seconds) {
  return std::make_unique<GitHubForge>(std::move(api_url), std::move(repository), std::move(token),
                                       timeout_seconds);
}

}  // namespace vigil
