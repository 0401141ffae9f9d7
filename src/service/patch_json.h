// JSON view of a report's patch revisions, shared by the API and `vigil patch list --json`.
#pragma once

#include <boost/json/array.hpp>
#include <vector>

#include "store/store.h"

namespace vigil {

/// Every revision with its patches (without diffs), trailers, applicability per branch,
/// approvals, and what is derived: "latest" (of its series), "approved" (NEEDED approvals that
/// count, CountApprovals), "approvals_needed", "approved_by" (those that count) and
/// "approval_status" (ApprovalCount::Describe, which says who is missing).
boost::json::array RevisionsJson(const std::vector<PatchRevision>& revisions, int needed = 1);

}  // namespace vigil
