#include "service/patch_approvals.h"

#include <algorithm>

#include "core/level_policy.h"
#include "core/text.h"

namespace vigil {

int ApprovalsRequired(const Config& config, int level) {
  const std::vector<int>& per_level = config.approvals_required;
  if (per_level.empty()) return 1;
  if (level >= kMinLevel && level - kMinLevel < static_cast<int>(per_level.size())) {
    return per_level[static_cast<size_t>(level - kMinLevel)];
  }
  return *std::max_element(per_level.begin(), per_level.end());
}

std::string ApprovalCount::Describe() const {
  std::string names;
  for (const std::string& a : approvers) names += (names.empty() ? "" : ", ") + a;
  const int have = static_cast<int>(approvers.size());
  if (approved()) {
    return needed == 1 && have == 1 ? "approved by " + names
                                    : "approved by " + std::to_string(have) + " of " +
                                          std::to_string(needed) + ": " + names;
  }
  return std::to_string(have) + " of " + std::to_string(needed) + " approvals" +
         (names.empty() ? "" : " (" + names + ")") + "; needs " + std::to_string(needed - have) +
         " more from a maintainer who neither wrote nor submitted it";
}

ApprovalCount CountApprovals(const std::vector<PatchRevision>& all, const PatchRevision& r,
                             int needed) {
  ApprovalCount out;
  out.needed = std::max(1, needed);
  auto involved = [&r](const std::string& who) {
    if (LowerAscii(r.submitter) == who) return true;
    return std::any_of(r.patches.begin(), r.patches.end(),
                       [&](const StoredPatch& p) { return LowerAscii(p.author_email) == who; });
  };
  for (const PatchRevision& o : all) {
    if (o.series != r.series) continue;
    for (const StoredApproval& a : o.approvals) {
      if (a.voided_at != 0 || a.patch_ids != r.patch_ids) continue;
      const std::string who = LowerAscii(a.approver);
      std::vector<std::string>& list = involved(who) ? out.not_counted : out.approvers;
      if (std::find(list.begin(), list.end(), who) == list.end()) list.push_back(who);
    }
  }
  return out;
}

}  // namespace vigil
