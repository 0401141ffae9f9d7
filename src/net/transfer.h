#pragma once

#include <curl/curl.h>

#include <atomic>
#include <string>

#include "core/status.h"

namespace vigil::net {

// Below this many bytes a second for the whole timeout, a server counts as silent.
inline constexpr long kLowSpeedBytes = 16;
// A transfer that keeps trickling just fast enough is still abandoned after this many timeouts in
// all.
inline constexpr long kTotalTimeouts = 10;

// How long one transfer may take, and how to stop it early.
struct Deadline {
  long timeout_seconds = 30;  // silence allowed: connecting, awaiting an answer, nothing moving
  const std::atomic<bool>* abandon = nullptr;  // when set and it turns true, the transfer stops
};

// How a transfer that was not cut off ended.
struct TransferEnd {
  CURLcode rc = CURLE_OK;
  long response_code = 0;  // the last HTTP status or SMTP reply code; 0 when none came
};

/// Performs the transfer CURL is set up for, under DEADLINE: a server that accepts the connection
/// and then stays silent (before its greeting, after a request or a command) or moves fewer than
/// kLowSpeedBytes a second is cut off after the timeout, one that keeps trickling after
/// kTotalTimeouts of them. WHAT names the transfer and ORIGIN the server (see UrlOrigin) in the
/// errors, Unavailable:
///   "<what>: no answer from <origin> within <timeout> s",
///   "<what>: <origin> did not finish within <kTotalTimeouts × timeout> s",
///   "<what>: abandoned" once DEADLINE.abandon turned true.
/// Any other ending, success or failure, is returned for the caller to read.
Result<TransferEnd> PerformWithDeadline(CURL* curl, const Deadline& deadline,
                                        const std::string& what, const std::string& origin);

}  // namespace vigil::net
