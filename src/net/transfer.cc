#include "net/transfer.h"

#include <chrono>

namespace vigil::net {
namespace {

// The transfer's progress: how long it has been silent, and whether it was told to stop.
struct Watch {
  std::chrono::steady_clock::duration limit;
  std::chrono::steady_clock::time_point last;  // when a byte last moved
  const std::atomic<bool>* abandon = nullptr;
  curl_off_t moved = 0;  // bytes up and down so far
  bool idle = false;
  bool abandoned = false;
};

// libcurl calls this about once a second and on every transfer: aborts a transfer during which no
// byte moved for the whole timeout, or that was abandoned. (curl's low-speed check averages over
// a window that still holds the request just sent, so on its own it notices silence only seconds
// late.)
int Check(void* user, curl_off_t, curl_off_t down, curl_off_t, curl_off_t up) {
  Watch* w = static_cast<Watch*>(user);
  if (w->abandon != nullptr && w->abandon->load()) {
    w->abandoned = true;
    return 1;  // CURLE_ABORTED_BY_CALLBACK
  }
  const auto now = std::chrono::steady_clock::now();
  if (down + up != w->moved) {
    w->moved = down + up;
    w->last = now;
  } else if (now - w->last >= w->limit) {
    w->idle = true;
    return 1;
  }
  return 0;
}

}  // namespace

Result<TransferEnd> PerformWithDeadline(CURL* curl, const Deadline& deadline,
                                        const std::string& what, const std::string& origin) {
  const long timeout = deadline.timeout_seconds;
  const long total = kTotalTimeouts * timeout;
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout);
  curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);  // SMTP replies
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytes);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, timeout);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, total);
  Watch watch{std::chrono::seconds(timeout), std::chrono::steady_clock::now(), deadline.abandon};
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Check);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &watch);
  TransferEnd end;
  end.rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &end.response_code);
  curl_off_t elapsed_us = 0;
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &elapsed_us);
  if (end.rc == CURLE_ABORTED_BY_CALLBACK && watch.abandoned) {
    return Status::Unavailable(what + ": abandoned");
  }
  if (end.rc == CURLE_OPERATION_TIMEDOUT || (end.rc == CURLE_ABORTED_BY_CALLBACK && watch.idle)) {
    if (end.rc == CURLE_OPERATION_TIMEDOUT &&
        elapsed_us >= static_cast<curl_off_t>(total) * 1000000) {
      return Status::Unavailable(what + ": " + origin + " did not finish within " +
                                 std::to_string(total) + " s");
    }
    return Status::Unavailable(what + ": no answer from " + origin + " within " +
                               std::to_string(timeout) + " s");
  }
  return end;
}

}  // namespace vigil::net
