#include "mail/mime_message.h"

#include <gtest/gtest.h>

namespace vigil::mail {
namespace {

TEST(MimeMessageTest, PrefersPlainOverHtmlAndDecodesHeaders) {
  const std::string raw =
      "From: =?ISO-8859-1?Q?Ren=E9?= <Rene@Example.ORG>\n"
      "Subject: =?UTF-8?B?SGVsbG8g4pyT?= world\nMessage-ID: <m1@x>\nIn-Reply-To: <p1@x>\n"
      "References: <a@x> <p1@x>\nMIME-Version: 1.0\n"
      "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n"
      "<p>html</p>\n--b\nContent-Type: text/plain; charset=iso-8859-1\n"
      "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9\n--b--\n";
  Result<DecodedMail> m = DecodeMail(raw);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->from_email, "rene@example.org");
  EXPECT_EQ(m->from_name, "Ren\xc3\xa9");
  EXPECT_EQ(m->subject, "Hello \xe2\x9c\x93 world");
  EXPECT_EQ(m->message_id, "m1@x");
  EXPECT_EQ(m->in_reply_to, "p1@x");
  EXPECT_EQ(m->references, (std::vector<std::string>{"a@x", "p1@x"}));
  EXPECT_EQ(m->text, "caf\xc3\xa9");  // the line break before a boundary is the boundary's
  EXPECT_FALSE(m->text_from_html);
}

TEST(MimeMessageTest, HtmlOnlyBecomesTextAndAttachmentsAreLimited) {
  MimeLimits limits;
  limits.max_attachment_bytes = 4;
  const std::string raw =
      "From: a@b.org\nSubject: s\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
      "Content-Type: text/html\n\n<html><style>x{}</style><p>One &amp; two</p><br>three</html>\n"
      "--b\nContent-Type: application/octet-stream; name=small.bin\n"
      "Content-Disposition: attachment; filename=small.bin\n\nabc\n--b\n"
      "Content-Type: application/octet-stream\nContent-Disposition: attachment; "
      "filename=big.bin\n\n"
      "0123456789\n--b--\n";
  Result<DecodedMail> m = DecodeMail(raw, limits);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->text, "One & two\n\nthree\n");
  EXPECT_TRUE(m->text_from_html);
  ASSERT_EQ(m->attachments.size(), 2u);
  EXPECT_EQ(m->attachments[0].filename, "small.bin");
  EXPECT_EQ(m->attachments[0].data, "abc");
  EXPECT_TRUE(m->attachments[1].omitted);
  EXPECT_EQ(m->attachments[1].data, "");
}

// A 10 MB mail of empty parts becomes 1.4 million GMime objects and 1.8 GB of memory (measured
// with GMime 3.2.13): the shape is checked on the text before anything is parsed.
TEST(MimeMessageTest, TooManyPartsOrBoundariesAreRefusedBeforeParsing) {
  const std::string head =
      "From: a@b.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  std::string bomb = head;
  for (int i = 0; i < 1400000; ++i) bomb += "--b\r\n\r\n";
  bomb += "--b--\r\n";
  Result<DecodedMail> m = DecodeMail(bomb);
  EXPECT_EQ(m.status().code(), Code::kTooLarge);
  EXPECT_EQ(m.status().message(), "message has more than 1000 MIME parts");
  // 999 parts and the closing line are 1000 delimiter lines: read.
  std::string fine = head;
  for (int i = 0; i < 999; ++i) fine += "--b\r\nContent-Type: text/plain\r\n\r\npart\r\n";
  EXPECT_TRUE(CheckMimeShape(fine + "--b--\r\n").ok());
  EXPECT_EQ(CheckMimeShape(fine + "--b\r\n\r\n--b--\r\n").message(),
            "message has more than 1000 MIME parts");
  // The parameter however it is written: blanks around "=", a token, RFC 2231 pieces.
  for (const std::string& param :
       {std::string("BOUNDARY = \"b\""), std::string("boundary=b"), std::string("boundary*0=\"b\""),
        std::string("boundary*=us-ascii''b")}) {
    std::string other = "From: a@b.org\r\nContent-Type: multipart/mixed;\r\n " + param + "\r\n\r\n";
    for (int i = 0; i < 1001; ++i) other += "--b\r\n\r\n";
    EXPECT_EQ(CheckMimeShape(other).code(), Code::kTooLarge) << param;
  }
  std::string nested = "From: a@b.org\r\n";
  for (int i = 0; i < 129; ++i) {
    nested += "Content-Type: multipart/mixed; boundary=\"n" + std::to_string(i) + "\"\r\n\r\n--n" +
              std::to_string(i) + "\r\n";
  }
  EXPECT_EQ(DecodeMail(nested).status().message(),
            "message declares more than 128 MIME boundaries");
  MimeLimits small;
  small.max_parts = 2;
  EXPECT_EQ(CheckMimeShape(head + "--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--\r\n", small).message(),
            "message has more than 2 MIME parts");
  // Lines that only look like delimiters (a diff, a signature) are not parts.
  std::string patch = head + "--b\r\n\r\n";
  for (int i = 0; i < 5000; ++i) patch += "--- a/f\r\n+++ b/f\r\n-- \r\n";
  EXPECT_TRUE(CheckMimeShape(patch + "--b--\r\n").ok());
}

TEST(MimeMessageTest, BrokenInputIsTolerated) {
  Result<DecodedMail> trunc = DecodeMail(
      "From: a@b.org\nContent-Transfer-Encoding: base64\n\nSGVsbG8gd29ybGQgZnJvbSBiYXNlNj\n");
  ASSERT_TRUE(trunc.ok());
  EXPECT_EQ(trunc->text, "Hello world from base");  // the incomplete last quantum is dropped
  Result<DecodedMail> charset =
      DecodeMail("From: a@b.org\nContent-Type: text/plain; charset=x-unknown\n\ncaf\xe9\n");
  ASSERT_TRUE(charset.ok());
  EXPECT_EQ(charset->text, "caf\xef\xbf\xbd\n");
  EXPECT_EQ(DecodeMail("").status().message(), "message has no header");
}

TEST(MimeMessageTest, DeliveryStatusNotification) {
  const std::string raw =
      "From: MAILER-DAEMON@mx.org\nSubject: Undelivered\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n"
      "Content-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\n"
      "Reporting-MTA: dns; mx.org\n\nFinal-Recipient: rfc822; Carl@Example.org\nAction: failed\n"
      "Status: 5.1.1\n\n--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <out1@example.org>\n"
      "\n--b--\n";
  Result<DecodedMail> m = DecodeMail(raw);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->is_dsn);
  EXPECT_EQ(m->dsn_failed, std::vector<std::string>{"carl@example.org"});
  EXPECT_EQ(m->dsn_original_message_id, "out1@example.org");
}

TEST(MimeMessageTest, CleanTextRepairsBytes) {
  EXPECT_EQ(CleanText(std::string("a\r\nb\x01\xff"
                                  "c\x7f",
                                  8)),
            "a\nb\xef\xbf\xbd"
            "c");
}

// RFC 3156 section 5: the signed data is the first part as sent, headers included, up to the
// line break before the next delimiter, with CRLF line ends.
TEST(MimeMessageTest, SignedPartsAreTheBytesAsSentWithCrlf) {
  const std::string sig = "-----BEGIN PGP SIGNATURE-----\n\nwnUE\n-----END PGP SIGNATURE-----\n";
  const std::string raw =
      "From: rita@example.net\nMIME-Version: 1.0\n"
      "Content-Type: Multipart/Signed; micalg=pgp-sha256;\n"
      "\tprotocol=\"application/pgp-signature\"; boundary=\"=-s\"\n\n"
      "preamble\n--=-s\nContent-Type: text/plain\n\nline one\r\nline two\n\n--=-s\n"
      "Content-Type: application/pgp-signature\n\n" +
      sig + "--=-s--\n";
  std::optional<PgpSignedParts> p = FindPgpSignedParts(raw);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->signed_entity, "Content-Type: text/plain\r\n\r\nline one\r\nline two\r\n");
  EXPECT_EQ(p->signature, sig);
  // Not signed, another protocol, or parts missing: none.
  EXPECT_FALSE(FindPgpSignedParts("From: a@b\n\nbody\n"));
  std::string smime = raw;
  smime.replace(smime.find("application/pgp-signature\""), 26, "application/pkcs7-signature");
  EXPECT_FALSE(FindPgpSignedParts(smime));
  EXPECT_FALSE(FindPgpSignedParts(raw.substr(0, raw.find("--=-s\nContent-Type: application"))));
  EXPECT_FALSE(FindPgpSignedParts(raw.substr(0, raw.find("Content-Type: text/plain"))));
}

}  // namespace
}  // namespace vigil::mail
