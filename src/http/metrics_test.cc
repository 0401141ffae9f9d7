#include "http/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

namespace vigil {
namespace {

TEST(MetricsTest, UnknownMethodsShareOneSeries) {
  Metrics m;
  m.Observe("GET", "/healthz", 200, 0.001);
  const size_t one_series = m.Render().size();
  for (int i = 0; i < 300; ++i) {
    m.Observe("X-RANDOM-" + std::to_string(i) + "\"}\n", "unmatched", 405, 0.001);
  }
  const std::string text = m.Render();
  EXPECT_NE(
      text.find(R"(vigil_http_requests_total{method="other",route="unmatched",status="405"} 300)"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("X-RANDOM"), std::string::npos);
  // Two series in all, whatever the clients sent: the page stays about twice its size.
  EXPECT_LT(text.size(), 2 * one_series + 200);
}

TEST(MetricsTest, KnownMethodsKeepTheirName) {
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    EXPECT_EQ(Metrics::MethodLabel(method), method);
  }
  EXPECT_EQ(Metrics::MethodLabel("get"), "other");
  EXPECT_EQ(Metrics::MethodLabel(""), "other");
}

// Every line is a comment or one sample: a metric name, an optional label set whose values are
// escaped, and a number. Label sets of any length (a route pattern is not bounded) stay whole.
TEST(MetricsTest, LongAndOddLabelValuesStayOneEscapedLine) {
  Metrics m;
  const std::string route = "/api/v1/" + std::string(600, 'r') + "/{id}/\"quoted\"\\back\nslash";
  m.Observe("POST", route, 201, 0.25);
  m.Observe("GET", "/healthz", 200, 0.0001);
  const std::string text = m.Render();
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? )"
      R"(([-+0-9.eE]+|\+Inf)$)");
  std::istringstream lines(text);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    ++samples;
  }
  // Two series: 1 counter line each, 12 buckets + sum + count each.
  EXPECT_EQ(samples, 2 * (1 + 12 + 2));
  const std::string escaped =
      "route=\"/api/v1/" + std::string(600, 'r') + "/{id}/\\\"quoted\\\"\\\\back\\nslash\"";
  EXPECT_NE(
      text.find("vigil_http_requests_total{method=\"POST\"," + escaped + ",status=\"201\"} 1\n"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("vigil_http_request_duration_seconds_count{method=\"POST\"," + escaped + "} 1\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("vigil_http_request_duration_seconds_sum{method=\"POST\"," + escaped + "} 0.25\n"),
      std::string::npos);
}

}  // namespace
}  // namespace vigil
