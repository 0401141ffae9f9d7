#include "http/metrics.h"

#include <cstdio>
#include <vector>

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

namespace {

// A label value in the text exposition format: backslash, double quote and line feed escaped.
void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

// A sample value, with every digit the double holds.
std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A bucket bound, short as the le label is usually written ("0.0005", "1").
std::string Bound(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out =
      "# HELP vigil_http_requests_total HTTP requests by route and status.\n"
      "# TYPE vigil_http_requests_total counter\n";
  // Labels of every series, built once: method and route are unbounded in length (a route is a
  // pattern of any size), so nothing here goes through a fixed buffer.
  std::vector<std::string> labels;
  labels.reserve(series_.size());
  for (const auto& [key, s] : series_) {
    std::string l = "method=\"";
    AppendLabelValue(l, key.first);
    l += "\",route=\"";
    AppendLabelValue(l, key.second);
    l += '"';
    labels.push_back(std::move(l));
  }
  size_t i = 0;
  for (const auto& [key, s] : series_) {
    for (const auto& [status, n] : s.by_status) {
      out += "vigil_http_requests_total{" + labels[i] + ",status=\"" + std::to_string(status) +
             "\"} " + std::to_string(n) + "\n";
    }
    ++i;
  }
  out +=
      "# HELP vigil_http_request_duration_seconds HTTP request latency by route.\n"
      "# TYPE vigil_http_request_duration_seconds histogram\n";
  i = 0;
  for (const auto& [key, s] : series_) {
    const std::string& l = labels[i++];
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      out += "vigil_http_request_duration_seconds_bucket{" + l + ",le=\"" + Bound(kBuckets[b]) +
             "\"} " + std::to_string(s.buckets[b]) + "\n";
    }
    out += "vigil_http_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} " +
           std::to_string(s.count) + "\n";
    out += "vigil_http_request_duration_seconds_sum{" + l + "} " + Number(s.sum) + "\n";
    out += "vigil_http_request_duration_seconds_count{" + l + "} " + std::to_string(s.count) + "\n";
  }
  return out;
}

}  // namespace vigil
