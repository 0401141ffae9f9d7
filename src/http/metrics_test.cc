#include "http/metrics.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace vigil
