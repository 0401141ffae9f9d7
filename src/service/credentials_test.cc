// Generated identifiers and secrets: each format exactly, and no two equal however many threads
// make them at once (an inbox id made by slicing a token once collided within one microsecond).
#include "service/credentials.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace vigil {
namespace {

bool AllOf(const std::string& s, std::string_view alphabet) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alphabet.find(c) != std::string_view::npos; });
}

constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(CredentialsTest, TokenIsPrefixSelectorAndSecret) {
  const std::string t = NewToken(kApiTokenPrefix);
  ASSERT_EQ(t.size(), 4u + 16 + 43);
  EXPECT_EQ(t.substr(0, 4), "vgt_");
  EXPECT_TRUE(AllOf(t.substr(4, 16), kHex));
  EXPECT_TRUE(AllOf(t.substr(20), kBase64Url));
  // The stored form: the selector, then the SHA-256 of the whole token in hex.
  const std::string stored = TokenHash(t);
  ASSERT_EQ(stored.size(), 16u + 64);
  EXPECT_EQ(stored.substr(0, 16), t.substr(4, 16));
  EXPECT_TRUE(AllOf(stored, kHex));
}

TEST(CredentialsTest, SelectorsStrictlyIncreaseEvenWithinOneMicrosecond) {
  std::string prev = NewSelector();
  for (int i = 0; i < 10000; ++i) {
    const std::string s = NewSelector();
    ASSERT_EQ(s.size(), 16u);
    ASSERT_TRUE(AllOf(s, kHex)) << s;
    ASSERT_LT(prev, s);  // fixed width lower-case hex: text order is number order
    prev = s;
  }
}

TEST(CredentialsTest, MailIdIsSelectorThenSixtyFourRandomBits) {
  const std::string a = NewMailId(), b = NewMailId();
  ASSERT_EQ(a.size(), 32u);
  EXPECT_TRUE(AllOf(a, kHex)) << a;
  EXPECT_LT(a.substr(0, 16), b.substr(0, 16));
  EXPECT_NE(a.substr(16), b.substr(16));
}

TEST(CredentialsTest, PasswordIsOneHundredTwentyEightRandomBits) {
  const std::string p = NewPassword();
  ASSERT_EQ(p.size(), 22u);
  EXPECT_TRUE(AllOf(p, kBase64Url)) << p;
  EXPECT_NE(p, NewPassword());
  EXPECT_TRUE(HashPassword(p).ok());  // long enough for an account
}

// Every generator, from many threads at once: no id, token or password is ever made twice.
TEST(CredentialsTest, ConcurrentlyGeneratedIdsAreAllDistinct) {
  constexpr int kThreads = 8, kEach = 5000;
  std::mutex mu;
  std::set<std::string> mail_ids, selectors, tokens, passwords;  // guarded by mu
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> m, s, k, p;
      for (int i = 0; i < kEach; ++i) {
        m.push_back(NewMailId());
        s.push_back(NewSelector());
        k.push_back(NewToken(kSessionPrefix));
        if (i % 10 == 0) p.push_back(NewPassword());
      }
      std::lock_guard<std::mutex> lock(mu);
      mail_ids.insert(m.begin(), m.end());
      selectors.insert(s.begin(), s.end());
      tokens.insert(k.begin(), k.end());
      passwords.insert(p.begin(), p.end());
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mail_ids.size(), size_t{kThreads * kEach});
  EXPECT_EQ(selectors.size(), size_t{kThreads * kEach});
  EXPECT_EQ(tokens.size(), size_t{kThreads * kEach});
  EXPECT_EQ(passwords.size(), size_t{kThreads * kEach / 10});
  // The selectors of the mail ids alone are distinct too (unique within the process by
  // construction, not by chance).
  std::set<std::string> mail_selectors;
  for (const std::string& id : mail_ids) mail_selectors.insert(id.substr(0, 16));
  EXPECT_EQ(mail_selectors.size(), mail_ids.size());
}

}  // namespace
}  // namespace vigil
