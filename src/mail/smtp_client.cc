#include "mail/smtp_client.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

#include "net/transfer.h"
#include "net/url_origin.h"

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
  Result<net::TransferEnd> end =
      net::PerformWithDeadline(curl, net::Deadline{target.timeout_seconds, target.abandon},
                               "smarthost", net::UrlOrigin(target.url));
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (!end.ok()) return end.status();
  const CURLcode rc = end->rc;
  const long code = end->response_code;
  if (rc == CURLE_OK) return Status::Ok();
  if (code >= 500 && code < 600) {
    return Status::Invalid("smarthost refused: " + std::to_string(code));
  }
  return Status::Unavailable(std::string("smarthost: ") + curl_easy_strerror(rc) +
                             (code ? " (reply " + std::to_string(code) + ")" : ""));
}

}  // namespace vigil::mail
