// GitHub's REST shapes over libcurl: GET/POST /repos/{owner}/{repo}/issues and /pulls.
#include <curl/curl.h>

#include <boost/json.hpp>
#include <chrono>
#include <mutex>

#include "forge/forge.h"

namespace vigil {
namespace {

namespace json = boost::json;

constexpr size_t kMaxResponseBytes = 8u << 20;
constexpr int kMaxPages = 10;
// Below this many bytes a second for the whole timeout, the forge counts as silent.
constexpr long kLowSpeedBytes = 16;
// A request that keeps trickling is still abandoned after this many timeouts in all.
constexpr long kTotalTimeouts = 10;

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

// The forge's progress during one request: how long it has been silent.
struct Idle {
  std::chrono::steady_clock::duration limit;
  std::chrono::steady_clock::time_point last;  // when a byte last moved
  curl_off_t moved = 0;                        // bytes up and down so far
  bool expired = false;
};

// libcurl calls this about once a second and on every transfer: aborts a request during which
// no byte moved for the whole timeout. (curl's low-speed check averages over a window that
// still holds the request just sent, so on its own it notices silence only seconds late.)
int CheckIdle(void* user, curl_off_t, curl_off_t down, curl_off_t, curl_off_t up) {
  Idle* idle = static_cast<Idle*>(user);
  const auto now = std::chrono::steady_clock::now();
  if (down + up != idle->moved) {
    idle->moved = down + up;
    idle->last = now;
  } else if (now - idle->last >= idle->limit) {
    idle->expired = true;
    return 1;  // CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

// scheme://host:port of URL, without a path or credentials: how errors name the forge.
std::string Origin(const std::string& url) {
  std::string out = url;
  if (CURLU* u = curl_url()) {
    char *scheme = nullptr, *host = nullptr, *port = nullptr;
    if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
      out = std::string(scheme) + "://" + host + ":" + port;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
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
    origin_ = Origin(api_);
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
    // A forge that accepts the connection and then stays silent (or trickles) is cut off after
    // the timeout; one that keeps trickling just fast enough, after kTotalTimeouts of them.
    const long timeout = timeout_seconds_;
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytes);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, timeout);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, kTotalTimeouts * timeout);
    Idle idle{std::chrono::seconds(timeout), std::chrono::steady_clock::now()};
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, CheckIdle);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &idle);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    if (method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t elapsed_us = 0;
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &elapsed_us);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OPERATION_TIMEDOUT || (rc == CURLE_ABORTED_BY_CALLBACK && idle.expired)) {
      const long total = kTotalTimeouts * timeout;
      if (rc == CURLE_OPERATION_TIMEDOUT &&
          elapsed_us >= static_cast<curl_off_t>(total) * 1000000) {
        return Status::Unavailable(what + ": " + origin_ + " did not finish within " +
                                   std::to_string(total) + " s");
      }
      return Status::Unavailable(what + ": no answer from " + origin_ + " within " +
                                 std::to_string(timeout) + " s");
    }
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
