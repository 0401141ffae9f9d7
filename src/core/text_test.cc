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
