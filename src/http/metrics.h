// Request counters and latency histograms by route, rendered in Prometheus text format.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace vigil {

class Metrics {
 public:
  /// Records one request to ROUTE (the pattern, never the concrete path) with STATUS. A method
  /// other than the seven Vigil knows counts as "other": the label sets stay closed whatever
  /// clients send.
  void Observe(const std::string& method, const std::string& route, int status, double seconds);
  /// The http_* metric families in Prometheus text exposition format.
  std::string Render() const;

  /// METHOD when it is GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS, else "other".
  static std::string_view MethodLabel(std::string_view method);

  static constexpr std::array<double, 11> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0};

 private:
  struct Series {
    std::map<int, long long> by_status;
    std::array<long long, kBuckets.size()> buckets{};
    long long count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Series> series_;  // guarded by mu_
};

}  // namespace vigil
