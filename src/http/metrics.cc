#include "http/metrics.h"

#include <cstdio>

namespace vigil {

std::string_view Metrics::MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

void Metrics::Observe(const std::string& method, const std::string& route, int status,
                      double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = series_[{std::string(MethodLabel(method)), route}];
  ++s.by_status[status];
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++s.buckets[i];
  }
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out =
      "# HELP vigil_http_requests_total HTTP requests by route and status.\n"
      "# TYPE vigil_http_requests_total counter\n";
  char buf[256];
  for (const auto& [key, s] : series_) {
    for (const auto& [status, n] : s.by_status) {
      std::snprintf(buf, sizeof buf,
                    "vigil_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %lld\n",
                    key.first.c_str(), key.second.c_str(), status, n);
      out += buf;
    }
  }
  out +=
      "# HELP vigil_http_request_duration_seconds HTTP request latency by route.\n"
      "# TYPE vigil_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : series_) {
    const std::string labels = "method=\"" + key.first + "\",route=\"" + key.second + "\"";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(buf, sizeof buf,
                    "vigil_http_request_duration_seconds_bucket{%s,le=\"%g\"} %lld\n",
                    labels.c_str(), kBuckets[i], s.buckets[i]);
      out += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "vigil_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %lld\n"
                  "vigil_http_request_duration_seconds_sum{%s} %.6f\n"
                  "vigil_http_request_duration_seconds_count{%s} %lld\n",
                  labels.c_str(), s.count, labels.c_str(), s.sum, labels.c_str(), s.count);
    out += buf;
  }
  return out;
}

}  // namespace vigil
