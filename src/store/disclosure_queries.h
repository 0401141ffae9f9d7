// The disclose module's part of the store: advisory drafts, disclosure plans and execution logs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/report_queries.h"

namespace vigil {

/// A report's advisory draft, as a JSON document owned by service/advisory_draft.h.
struct AdvisoryDraftRow {
  std::string report_id;
  std::string document;
  Instant updated_at = 0;
};

/// The disclosure plan of a report: its slot, the observers' notice and the on-duty maintainer.
struct DisclosurePlanRow {
  std::string report_id;
  Instant slot = 0;
  int notice_days = 7;
  std::string on_duty;       // email of the maintainer on duty at the slot
  Instant confirmed_at = 0;  // when the on-duty maintainer confirmed availability; 0 = not yet
  std::string confirmed_by;
  bool public_view = false;  // the report's public view is visible (after disclosure)
  Instant updated_at = 0;
};

/// One entry of a disclosure's execution log. A step is first written as "intent" (before its
/// side effect), then "done" with what it produced (a commit id, an issue URL).
struct DisclosureStepRow {
  std::string report_id;
  std::string step;   // "apply:master", "push:master", "issue", "pr:master", "advisory", ...
  std::string state;  // "intent" or "done"
  std::string detail;
  Instant at = 0;
};

/// A mail to be sent no earlier than SEND_AT (an observer's notice before the slot).
struct ScheduledMail {
  OutboxMail mail;
  Instant send_at = 0;
};

/// The disclose module's part of a WriteBatch (rows upserted by report id and key).
struct DisclosureWrites {
  std::optional<AdvisoryDraftRow> advisory;
  std::optional<DisclosurePlanRow> plan;
  std::vector<DisclosureStepRow> steps;
  std::vector<ScheduledMail> scheduled_outbox;
  bool empty() const { return !advisory && !plan && steps.empty() && scheduled_outbox.empty(); }
};

class DisclosureQueries {
 public:
  virtual ~DisclosureQueries() = default;
  virtual Result<std::optional<AdvisoryDraftRow>> FindAdvisoryDraft(
      const std::string& report_id) = 0;
  virtual Result<std::optional<DisclosurePlanRow>> FindDisclosurePlan(
      const std::string& report_id) = 0;
  /// The execution log of REPORT_ID's disclosure, in the order the entries were written.
  virtual Result<std::vector<DisclosureStepRow>> DisclosureLog(const std::string& report_id) = 0;
};

}  // namespace vigil
