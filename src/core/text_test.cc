#include "core/text.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(TextTest, TrimRemovesOnlyTheGivenCharactersAtBothEnds) {
  EXPECT_EQ(Trim("  a b \r\n"), "a b");
  EXPECT_EQ(Trim("\t\r\n "), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("x"), "x");
  EXPECT_EQ(Trim(" \ta\r\n", kBlanks), "a\r\n");
  EXPECT_EQ(Trim("\va\f"), "\va\f");  // not in git's isspace set
}

TEST(TextTest, TrimEndKeepsTheStart) {
  EXPECT_EQ(TrimEnd("  abc123\n"), "  abc123");
  EXPECT_EQ(TrimEnd("\n\n"), "");
  EXPECT_EQ(TrimEnd("a \t", kBlanks), "a");
}

TEST(TextTest, RepairUtf8ReplacesEachBadByte) {
  EXPECT_EQ(RepairUtf8(""), "");
  EXPECT_EQ(RepairUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(RepairUtf8("a\xFF"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(RepairUtf8("\xC3"), "\xEF\xBF\xBD");                  // cut sequence
  EXPECT_EQ(RepairUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8(RepairUtf8("x\xED\xA0\x80y\xF5")), std::string_view::npos);
}

TEST(TextTest, FirstInvalidUtf8FollowsRfc3629) {
  constexpr size_t npos = std::string_view::npos;
  EXPECT_EQ(FirstInvalidUtf8(""), npos);
  EXPECT_EQ(FirstInvalidUtf8("plain [ascii]"), npos);
  EXPECT_EQ(FirstInvalidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92 \xf4\x8f\xbf\xbf"), npos);
  EXPECT_EQ(FirstInvalidUtf8("\xad["), 0u);             // a lone continuation byte
  EXPECT_EQ(FirstInvalidUtf8("ab\xc3"), 2u);            // cut at the end
  EXPECT_EQ(FirstInvalidUtf8("a\xc3(b"), 1u);           // second byte not a continuation
  EXPECT_EQ(FirstInvalidUtf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("\xe0\x80\xaf"), 0u);      // overlong, three bytes
  EXPECT_EQ(FirstInvalidUtf8("\xf0\x80\x80\xaf"), 0u);  // overlong, four bytes
  EXPECT_EQ(FirstInvalidUtf8("x\xed\xa0\x80"), 1u);     // a UTF-16 surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("\xf5\x80\x80\x80"), 0u);
  EXPECT_EQ(FirstInvalidUtf8("\xe2\x82x"), 0u);  // third byte not a continuation
  EXPECT_EQ(FirstInvalidUtf8("\xff"), 0u);
}

TEST(TextTest, Utf8PrefixNeverCutsASequence) {
  EXPECT_EQ(Utf8Prefix("abc", 5), "abc");
  EXPECT_EQ(Utf8Prefix("abc", 2), "ab");
  EXPECT_EQ(Utf8Prefix("a\xC3\xA9"
                       "b",
                       2),
            "a");  // would cut é
  EXPECT_EQ(Utf8Prefix("a\xC3\xA9"
                       "b",
                       3),
            "a\xC3\xA9");                        // é whole
  EXPECT_EQ(Utf8Prefix("\xE2\x82\xAC", 2), "");  // €: nothing fits
}

TEST(TextTest, CaseHelpersAreAsciiOnly) {
  EXPECT_EQ(LowerAscii("Alice@Example.ORG"), "alice@example.org");
  EXPECT_EQ(LowerAscii("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // UTF-8 bytes untouched
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-TYPE"));
  EXPECT_FALSE(EqualsIgnoreCase("Content-Type", "Content-Typ"));
  EXPECT_TRUE(StartsWithIgnoreCase("FROM: x", "from:"));
  EXPECT_FALSE(StartsWithIgnoreCase("fr", "from:"));
}

}  // namespace
}  // namespace vigil
