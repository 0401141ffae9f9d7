#include "core/level_policy.h"

#include <algorithm>
#include <cassert>

namespace vigil {
namespace {

constexpr LevelPolicy kPolicies[] = {
    {1, Route::kEmbargoed, true, "must be fixed in master and every supported branch"},
    {2, Route::kEmbargoed, false, "must be fixed in master only, for the next release"},
    {3, Route::kEmbargoed, false, "in experimental features or troubleshooting code"},
    {4, Route::kPublic, false, "no practical attack vector"},
    {5, Route::kPublic, false, "not a vulnerability, a hardening opportunity"},
    {6, Route::kClosed, false, "neither a vulnerability nor a hardening opportunity"},
    {7, Route::kPublic, false, "only in a pull request or a non-release branch"},
};

}  // namespace

const char* RouteName(Route r) {
  switch (r) {
    case Route::kEmbargoed:
      return "embargoed";
    case Route::kPublic:
      return "public";
    case Route::kClosed:
      return "closed";
  }
  return "embargoed";
}

const LevelPolicy& PolicyForLevel(int level) {
  assert(level >= kMinLevel && level <= kMaxLevel);
  return kPolicies[level - 1];
}

std::vector<std::string> RequiredBranches(int level, const std::string& master,
                                          const std::vector<std::string>& supported) {
  if (level < kMinLevel || level > kMaxLevel) return {};
  const LevelPolicy& p = PolicyForLevel(level);
  if (p.route != Route::kEmbargoed) return {};
  std::vector<std::string> out{master};
  if (p.every_supported_branch) {
    for (const std::string& b : supported) {
      if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
    }
  }
  return out;
}

}  // namespace vigil
