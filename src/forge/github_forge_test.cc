// The GitHub adapter against a forge that hangs: one that accepts the connection and never
// answers, and one that trickles a reply it never finishes. Both are cut off after the
// configured timeout with the same retryable error; neither waits for the 10 × timeout cap.
#include <gtest/gtest.h>

#include "forge/forge.h"
#include "support/stalling_server.h"

namespace vigil {
namespace {

using testing::StallingServer;

TEST(GitHubForgeTest, SilentForgeIsCutOffAfterTheTimeout) {
  StallingServer forge;
  std::unique_ptr<Forge> f = MakeGitHubForge(forge.url("http"), "acme/widget", "t", 1);
  Result<ForgeItem> opened = f->OpenIssue("title", "body");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kUnavailable);
  EXPECT_EQ(opened.status().message(), "forge: POST /repos/acme/widget/issues: no answer from " +
                                           forge.url("http") + " within 1 s");
  EXPECT_EQ(forge.connections(), 1);
  Result<std::optional<ForgeItem>> found = f->FindIssue("<!-- marker -->", "2026-01-01T00:00:00Z");
  EXPECT_EQ(found.status().message(), "forge: GET /repos/acme/widget/issues: no answer from " +
                                          forge.url("http") + " within 1 s");
}

TEST(GitHubForgeTest, TricklingForgeIsCutOffToo) {
  StallingServer::Options trickle;
  // A reply that promises 1000 bytes of body and sends them at 4 bytes a second.
  trickle.greeting =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
  trickle.trickle = std::string(1000, ' ');
  trickle.trickle_interval = std::chrono::milliseconds(250);
  StallingServer forge(trickle);
  std::unique_ptr<Forge> f = MakeGitHubForge(forge.url("http"), "acme/widget", "t", 1);
  Result<std::optional<ForgeItem>> pull = f->FindPull("security/SEC-2026-0001-master");
  ASSERT_FALSE(pull.ok());
  EXPECT_EQ(pull.status().message(), "forge: GET /repos/acme/widget/pulls: no answer from " +
                                         forge.url("http") + " within 1 s");
  // Not "did not finish within 10 s": the low-speed limit cut it, not the total cap.
}

}  // namespace
}  // namespace vigil
