#include "mail/smtp_client.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

namespace vigil::mail {
namespace {

struct Source {
  const std::string* data;
  size_t pos = 0;
};

size_t ReadChunk(char* buf, size_t size, size_t n, void* user) {
  Source* src = static_cast<Source*>(user);
  const size_t room = size * n;
  const size_t left = src->data->size() - src->pos;
  const size_t take = left < room ? left : room;
  std::memcpy(buf, src->data->data() + src->pos, take);
  src->pos += take;
  return take;
}

// Below this many bytes a second for the whole timeout, the server counts as silent.
constexpr long kLowSpeedBytes = 16;
// An attempt that keeps trickling is still abandoned after this many timeouts in all.
constexpr long kTotalTimeouts = 10;

// libcurl calls this about once a second and on every transfer.
int CheckAbandon(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

// scheme://host:port of URL, without credentials: how errors name the smarthost.
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

}  // namespace

Status SendSmtp(const SmtpTarget& target, const std::string& mail_from,
                const std::string& recipient, const std::string& data) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (!curl) return Status::Unavailable("smarthost: cannot initialise libcurl");
  Source src{&data, 0};
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + recipient + ">").c_str());
  const std::string from = "<" + mail_from + ">";
  curl_easy_setopt(curl, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadChunk);
  curl_easy_setopt(curl, CURLOPT_READDATA, &src);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // A server that accepts the connection and then stays silent (before its greeting or after a
  // command) or trickles is cut off after the timeout; one that keeps trickling just fast
  // enough, after kTotalTimeouts of them.
  const long timeout = target.timeout_seconds;
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout);
  curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytes);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, timeout);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, kTotalTimeouts * timeout);
  if (target.abandon) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, CheckAbandon);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(target.abandon));
  }
  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_off_t elapsed_us = 0;
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &elapsed_us);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) return Status::Ok();
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Status::Unavailable("smarthost: delivery abandoned");
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    const long total = kTotalTimeouts * timeout;
    if (elapsed_us >= static_cast<curl_off_t>(total) * 1000000) {
      return Status::Unavailable("smarthost: " + Origin(target.url) + " did not finish within " +
                                 std::to_string(total) + " s");
    }
    return Status::Unavailable("smarthost: no answer from " + Origin(target.url) + " within " +
                               std::to_string(timeout) + " s");
  }
  if (code >= 500 && code < 600) {
    return Status::Invalid("smarthost refused: " + std::to_string(code));
  }
  return Status::Unavailable(std::string("smarthost: ") + curl_easy_strerror(rc) +
                             (code ? " (reply " + std::to_string(code) + ")" : ""));
}

}  // namespace vigil::mail
