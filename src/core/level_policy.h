// The risk-level taxonomy of the security policy and what each level means for a report.
#pragma once

#include <string>
#include <vector>

namespace vigil {

enum class Route {
  kEmbargoed,  // fixed privately under embargo, then disclosed
  kPublic,     // redaction review, then a regular public issue
  kClosed,     // closed without a public trace unless the coordinator chooses otherwise
};
const char* RouteName(Route r);

struct LevelPolicy {
  int level;
  Route route;
  /// True when the fix is needed on master and on every supported branch (level 1);
  /// false when master alone needs it. Meaningless outside the embargoed route.
  bool every_supported_branch;
  const char* meaning;
};

constexpr int kMinLevel = 1;
constexpr int kMaxLevel = 7;

/// The policy of LEVEL. REQUIRES: kMinLevel <= level <= kMaxLevel.
const LevelPolicy& PolicyForLevel(int level);

/// The branches that need an approved patch before a report of LEVEL can be disclosed:
/// master, plus every supported branch for level 1; none outside the embargoed route.
std::vector<std::string> RequiredBranches(int level, const std::string& master,
                                          const std::vector<std::string>& supported);

}  // namespace vigil
