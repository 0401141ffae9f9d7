#include "core/level_policy.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(LevelPolicyTest, RoutingOfEveryLevel) {
  const Route expected[] = {Route::kEmbargoed, Route::kEmbargoed, Route::kEmbargoed, Route::kPublic,
                            Route::kPublic,    Route::kClosed,    Route::kPublic};
  for (int level = 1; level <= 7; ++level) {
    EXPECT_EQ(PolicyForLevel(level).route, expected[level - 1]) << level;
    EXPECT_EQ(PolicyForLevel(level).level, level);
  }
}

TEST(LevelPolicyTest, RequiredBranches) {
  const std::vector<std::string> supported = {"release-1.1", "release-1.2", "master"};
  EXPECT_EQ(RequiredBranches(1, "master", supported),
            (std::vector<std::string>{"master", "release-1.1", "release-1.2"}));
  for (int level : {2, 3}) {
    EXPECT_EQ(RequiredBranches(level, "master", supported), std::vector<std::string>{"master"});
  }
  for (int level : {0, 4, 5, 6, 7, 8}) {
    EXPECT_TRUE(RequiredBranches(level, "master", supported).empty()) << level;
  }
}

}  // namespace
}  // namespace vigil
