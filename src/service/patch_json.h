// JSON view of a report's patch revisions, shared by the API and `vigil patch list --json`.
#pragma once

#include <boost/json/array.hpp>
#include <vector>

#include "store/store.h"

namespace vigil {

/// Every revision with its patches (without diffs), trailers, applicability per branch,
/// approvals, and two derived flags: "latest" (of its series) and "approved" (an unvoided
/// approval pinned to its patch-ids exists in its series).
boost::json::array RevisionsJson(const std::vector<PatchRevision>& revisions);

}  // namespace vigil
