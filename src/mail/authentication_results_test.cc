// Authentication-Results (RFC 8601): fields in the shapes OpenDKIM, OpenDMARC, rspamd and
// Gmail write, comments and folding; only the configured authserv-id is trusted.
#include "mail/authentication_results.h"

#include <gtest/gtest.h>

namespace vigil::mail {
namespace {

const std::string kBody = "\r\nReviewed-by: Alice <alice@example.org>\r\n";

TEST(AuthenticationResultsTest, ParsesMethodsPropertiesCommentsAndFolding) {
  const std::string raw =
      "Received: from mx\r\n"
      "Authentication-Results: mx.example.net 1; (checked by OpenDKIM)\r\n"
      "\tdkim=pass (2048-bit key; unprotected) header.d=example.org header.i=@example.org\r\n"
      "\theader.s=2024 header.b=\"AbC/12\";\r\n"
      " spf=softfail (domain of transitioning x does not designate) smtp.mailfrom=example.org;\r\n"
      " dmarc=pass (p=REJECT) header.from=Example.ORG\r\n"
      "Subject: x\r\n" +
      kBody + "Authentication-Results: not.a.header; dkim=pass header.d=evil.example\r\n";
  std::vector<AuthResultsField> f = ParseAuthenticationResults(raw);
  ASSERT_EQ(f.size(), 1u);  // the one in the body is not a header field
  EXPECT_EQ(f[0].authserv_id, "mx.example.net");
  ASSERT_EQ(f[0].results.size(), 3u);
  EXPECT_EQ(f[0].results[0].method, "dkim");
  EXPECT_EQ(f[0].results[0].result, "pass");
  EXPECT_EQ(f[0].results[0].properties,
            (std::vector<std::pair<std::string, std::string>>{{"header.d", "example.org"},
                                                              {"header.i", "@example.org"},
                                                              {"header.s", "2024"},
                                                              {"header.b", "AbC/12"}}));
  EXPECT_EQ(f[0].results[1].method, "spf");
  EXPECT_EQ(f[0].results[1].result, "softfail");
  EXPECT_EQ(f[0].results[2].method, "dmarc");
  EXPECT_EQ(f[0].results[2].properties.front().second, "Example.ORG");
}

TEST(AuthenticationResultsTest, OnlyThePassOfTheTrustedServerForTheSendersDomainCounts) {
  auto with = [](const std::string& field) {
    return "Authentication-Results: " + field + "\r\nFrom: alice@example.org\r\n" + kBody;
  };
  const std::string id = "mx.example.net";
  // DMARC pass for the From domain; DKIM pass aligned (same domain, or a parent of it).
  EXPECT_TRUE(AuthenticatesDomain(with("mx.example.net; dmarc=pass header.from=example.org"), id,
                                  "example.org"));
  EXPECT_TRUE(AuthenticatesDomain(with("MX.Example.NET; dkim=pass header.d=example.org"), id,
                                  "example.org"));
  EXPECT_TRUE(AuthenticatesDomain(with("mx.example.net; dkim=pass header.d=example.org"), id,
                                  "lists.example.org"));
  EXPECT_TRUE(AuthenticatesDomain(with("mx.example.net; dkim=pass header.i=alice@example.org"), id,
                                  "example.org"));
  // Everything else does not.
  EXPECT_FALSE(AuthenticatesDomain(with("evil.example; dmarc=pass header.from=example.org"), id,
                                   "example.org"));
  EXPECT_FALSE(AuthenticatesDomain(with("mx.example.net; dkim=fail header.d=example.org"), id,
                                   "example.org"));
  EXPECT_FALSE(AuthenticatesDomain(with("mx.example.net; dkim=pass header.d=evil.example"), id,
                                   "example.org"));
  EXPECT_FALSE(
      AuthenticatesDomain(with("mx.example.net; dkim=pass header.d=ample.org"), id, "example.org"));
  EXPECT_FALSE(
      AuthenticatesDomain(with("mx.example.net; dkim=pass header.d=org"), id, "example.org"));
  EXPECT_FALSE(AuthenticatesDomain(with("mx.example.net; dkim=pass header.d=sub.example.org"), id,
                                   "example.org"));
  EXPECT_FALSE(AuthenticatesDomain(with("mx.example.net; spf=pass smtp.mailfrom=example.org"), id,
                                   "example.org"));
  EXPECT_FALSE(AuthenticatesDomain(
      with("mx.example.net; dmarc=pass (header.from=example.org) header.from=evil.example"), id,
      "example.org"));
  EXPECT_FALSE(AuthenticatesDomain(with("mx.example.net; dmarc=pass header.from=example.org"), "",
                                   "example.org"));
  EXPECT_FALSE(AuthenticatesDomain(with("mx.example.net; none"), id, "example.org"));
}

// RFC 8601 section 5: the receiving MTA adds its field on top; a lower field with its id came
// with the message, from whoever wrote it.
TEST(AuthenticationResultsTest, OnlyTheTopmostFieldOfTheTrustedServerCounts) {
  const std::string id = "mx.example.net";
  const std::string forged =
      "Authentication-Results: mx.example.net; dkim=pass header.d=example.org\r\n";
  const std::string tail = "From: alice@example.org\r\n" + std::string(kBody);
  // The MTA said fail (or nothing it can vouch for) on top; the forged pass below is not asked.
  EXPECT_FALSE(AuthenticatesDomain(
      "Authentication-Results: mx.example.net; dkim=fail header.d=example.org\r\n" + forged + tail,
      id, "example.org"));
  EXPECT_FALSE(AuthenticatesDomain(
      "Authentication-Results: mx.example.net; none\r\n" + forged + tail, id, "example.org"));
  EXPECT_FALSE(AuthenticatesDomain(
      "Authentication-Results: mx.example.net 1 junk; dkim=pass\r\n" + forged + tail, id,
      "example.org"));
  // Fields of other servers above it do not hide it; the topmost of ours decides.
  EXPECT_TRUE(AuthenticatesDomain(
      "Authentication-Results: filter.example.net; spam=no\r\n" + forged +
          "Authentication-Results: mx.example.net; dkim=fail header.d=example.org\r\n" + tail,
      id, "example.org"));
}

TEST(AuthenticationResultsTest, FieldsClaimingTheIdAreRemovedWithTheirFoldedLines) {
  const std::string raw =
      "Received: from x\r\n"
      "Authentication-Results: MX.example.net;\r\n"
      "\tdkim=pass header.d=example.org\r\n"
      "Authentication-Results: other.example; dkim=pass header.d=example.org\r\n"
      "Authentication-Results: (the MTA) mx.example.net 1; dmarc=pass header.from=example.org\r\n"
      "From: alice@example.org\r\n"
      "Subject: keep\r\n"
      "\r\n"
      "Authentication-Results: mx.example.net; dkim=pass (in the body: kept)\r\n";
  int removed = -1;
  const std::string out = RemoveAuthenticationResults(raw, "mx.example.net", &removed);
  EXPECT_EQ(removed, 2);
  EXPECT_EQ(out,
            "Received: from x\r\n"
            "Authentication-Results: other.example; dkim=pass header.d=example.org\r\n"
            "From: alice@example.org\r\n"
            "Subject: keep\r\n"
            "\r\n"
            "Authentication-Results: mx.example.net; dkim=pass (in the body: kept)\r\n");
  EXPECT_FALSE(AuthenticatesDomain(out, "mx.example.net", "example.org"));
  // LF line ends, a last field without a newline, and no id: nothing else changes.
  EXPECT_EQ(RemoveAuthenticationResults("A: b\nAuthentication-Results: mx.example.net; none",
                                        "mx.example.net", &removed),
            "A: b\n");
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(RemoveAuthenticationResults(raw, "", &removed), raw);
  EXPECT_EQ(removed, 0);
}

TEST(AuthenticationResultsTest, MalformedAndHugeFieldsAreSkippedNotFatal) {
  const std::string huge(100000, 'x');
  const std::string raw =
      "Authentication-Results: ;;;==\r\n"
      "Authentication-Results: a b c; dkim=pass header.d=example.org\r\n"
      "Authentication-Results: mx.example.net; dkim=pass header.d=" +
      huge + "\r\nAuthentication-Results: (unclosed comment\r\n\r\n";
  std::vector<AuthResultsField> f = ParseAuthenticationResults(raw);
  EXPECT_FALSE(AuthenticatesDomain(raw, "mx.example.net", "example.org"));
  EXPECT_LE(f.size(), 3u);
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "Authentication-Results: mx; dkim=none\r\n";
  EXPECT_EQ(ParseAuthenticationResults(many + "\r\n").size(), 64u);
}

}  // namespace
}  // namespace vigil::mail
