// PerformWithDeadline against a loopback server that accepts and never answers: the transfer is
// cut off after the timeout with the documented message, and abandoning it ends it early.
#include "net/transfer.h"

#include <gtest/gtest.h>

#include <thread>

#include "net/url_origin.h"
#include "support/stalling_server.h"

namespace vigil::net {
namespace {

TEST(TransferTest, SilentServerIsCutOffAfterTheTimeout) {
  testing::StallingServer server;
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/x";
  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  Result<TransferEnd> end = PerformWithDeadline(curl, Deadline{1}, "test: GET /x", UrlOrigin(url));
  curl_easy_cleanup(curl);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().code(), Code::kUnavailable);
  EXPECT_EQ(end.status().message(),
            "test: GET /x: no answer from " + UrlOrigin(url) + " within 1 s");
}

TEST(TransferTest, AbandonEndsATransferEarly) {
  testing::StallingServer server;
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/x";
  std::atomic<bool> abandon{true};
  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  Result<TransferEnd> end = PerformWithDeadline(curl, Deadline{60, &abandon}, "smarthost", "o");
  curl_easy_cleanup(curl);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().message(), "smarthost: abandoned");
}

TEST(TransferTest, OtherEndingsAreReturned) {
  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  curl_easy_setopt(curl, CURLOPT_URL, "http://127.0.0.1:1/");
  Result<TransferEnd> end = PerformWithDeadline(curl, Deadline{5}, "test", "o");
  curl_easy_cleanup(curl);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->rc, CURLE_COULDNT_CONNECT);
  EXPECT_EQ(end->response_code, 0);
}

}  // namespace
}  // namespace vigil::net
