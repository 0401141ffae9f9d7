#include "core/log_line.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace vigil {
namespace {

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonEscape(R"(say "hi" \ bye)"), R"(say \"hi\" \\ bye)");
  EXPECT_EQ(JsonEscape(std::string("a\nb\rc\td\x01"
                                   "e\x7f",
                                   10)),
            R"(a\u000ab\u000dc\u0009d\u0001e\u007f)");
  EXPECT_EQ(JsonEscape(std::string("nul\0end", 7)), R"(nul\u0000end)");
}

TEST(JsonEscapeTest, KeepsValidUtf8AndReplacesEveryByteThatIsNot) {
  EXPECT_EQ(JsonEscape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(JsonEscape("\xff"), fffd);                        // never in UTF-8
  EXPECT_EQ(JsonEscape("a\x80z"), "a" + fffd + "z");          // a stray continuation byte
  EXPECT_EQ(JsonEscape("\xc0\xaf"), fffd + fffd);             // an overlong '/'
  EXPECT_EQ(JsonEscape("\xed\xa0\x80"), fffd + fffd + fffd);  // a UTF-16 surrogate
  EXPECT_EQ(JsonEscape("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // beyond U+10FFFF
  EXPECT_EQ(JsonEscape("\xe2\x82"), fffd + fffd);                        // cut short at the end
  EXPECT_EQ(JsonEscape("\xe2\x82\""), fffd + fffd + "\\\"");             // cut short before a quote
}

TEST(LogLineTest, WritesTheMessageThenEachFieldAsJson) {
  EXPECT_EQ(LogLine("stopped"), R"("msg":"stopped")");
  EXPECT_EQ(LogLine("mail: delivery failed", {{"outbox", int64_t{7}},
                                              {"attempt", 2},
                                              {"state", "pending"},
                                              {"paused", false},
                                              {"ms", 1.25}}),
            R"("msg":"mail: delivery failed","outbox":7,"attempt":2,"state":"pending",)"
            R"("paused":false,"ms":1.25)");
}

TEST(LogLineTest, AttackerTextStaysInsideItsString) {
  // A charset name or an HTTP method chosen to close the string and add a field of its own.
  const std::string hostile = "x\",\"level\":\"critical\",\"forged\":\"\n{";
  EXPECT_EQ(
      LogLine("mail: not processed", {{"error", hostile}}),
      R"("msg":"mail: not processed","error":"x\",\"level\":\"critical\",\"forged\":\"\u000a{")");
}

TEST(LogLineTest, NumbersAreNumbersAndNonFiniteIsNull) {
  EXPECT_EQ(LogLine("m", {{"n", std::numeric_limits<int64_t>::min()}}),
            R"("msg":"m","n":-9223372036854775808)");
  EXPECT_EQ(LogLine("m", {{"x", std::numeric_limits<double>::infinity()}}),
            R"("msg":"m","x":null)");
}

}  // namespace
}  // namespace vigil
