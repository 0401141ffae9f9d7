// Full-text search over reports (their fields and thread).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "store/report_queries.h"

namespace vigil {

class SearchQueries {
 public:
  virtual ~SearchQueries() = default;
  /// Reports matching the FTS5 query MATCH_EXPR (in their fields or thread) within FILTER, best
  /// match first. MATCH_EXPR must be well-formed FTS5 (see FtsQuery in service/report_service.h). A
  /// search sees every write acknowledged before it when the searcher's batch set
  /// WebWrites::index_search.
  virtual Result<std::vector<ReportSummary>> SearchReports(const std::string& match_expr,
                                                           const ReportFilter& filter) = 0;
};

}  // namespace vigil
