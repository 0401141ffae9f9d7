#include "net/url_origin.h"

#include <gtest/gtest.h>

namespace vigil::net {
namespace {

TEST(UrlOriginTest, KeepsSchemeHostAndDefaultPort) {
  EXPECT_EQ(UrlOrigin("https://api.github.com/repos/o/r/issues?x=1"), "https://api.github.com:443");
  EXPECT_EQ(UrlOrigin("smtp://mail.example.org"), "smtp://mail.example.org:25");
  EXPECT_EQ(UrlOrigin("http://127.0.0.1:8025/"), "http://127.0.0.1:8025");
}

TEST(UrlOriginTest, DropsCredentials) {
  const std::string origin = UrlOrigin("smtps://vigil:s3cret@relay.example.org:465/");
  EXPECT_EQ(origin, "smtps://relay.example.org:465");
  EXPECT_EQ(origin.find("s3cret"), std::string::npos);
}

TEST(UrlOriginTest, UnparsableUrlIsNotEchoed) {
  EXPECT_EQ(UrlOrigin("http://user:pw@[bad"), "an unparsable URL");
  EXPECT_EQ(UrlOrigin(""), "an unparsable URL");
}

}  // namespace
}  // namespace vigil::net
