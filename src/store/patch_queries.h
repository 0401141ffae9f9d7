// The patch module's part of the store: series revisions with their patches, trailers,
// applicability per branch and approvals.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace vigil {

/// One patch of a revision, as `git am` would record it.
struct StoredPatch {
  int position = 1;  // 1-based
  std::string author_name, author_email, author_date;
  std::string subject;
  std::string message;   // am-normalised commit message
  std::string patch_id;  // git patch-id --stable
  std::string diff;      // mailinfo's patch part, applied as is
};

/// A Reviewed-by:/Acked-by:/Tested-by: trailer found in a patch's message.
struct StoredTrailer {
  int position = 1;  // the patch it was found in
  std::string name;  // "Reviewed-by"
  std::string person_name;
  std::string email;
};

/// The applicability of a revision on one branch (see patch/apply_check.h).
struct StoredApplicability {
  std::string branch;
  std::string commit;  // what the branch pointed at when checked
  bool applies = false;
  std::string result;  // per patch, JSON array text: [{"result":"offset","offset":3,...}]
  Instant checked_at = 0;
};

/// A maintainer's approval, pinned to the revision and its patch-ids.
struct StoredApproval {
  std::string approver;   // lower-cased email
  std::string patch_ids;  // space-separated, in patch order
  Instant created_at = 0;
  Instant voided_at = 0;  // 0 = valid
  std::string voided_reason;
};

/// Revision VERSION of series SERIES of a report; "s<SERIES>v<VERSION>" names it in the report.
struct PatchRevision {
  std::string report_id;
  int series = 1;
  int version = 1;
  std::string target_branch;
  std::string submitter;    // email of who submitted it
  std::string change_id;    // b4's change-id, when the mails carried one
  std::string message_ids;  // the Message-IDs of its mails, space-separated
  std::string patch_ids;    // space-separated, in patch order
  Instant created_at = 0;
  std::vector<StoredPatch> patches;
  std::vector<StoredTrailer> trailers;
  std::vector<StoredApplicability> applicability;  // by branch
  std::vector<StoredApproval> approvals;

  std::string Name() const { return "s" + std::to_string(series) + "v" + std::to_string(version); }
};

/// The patch module's part of a WriteBatch (all rows of one report: WriteBatch::report is set).
struct PatchWrites {
  std::vector<PatchRevision> new_revisions;  // inserted with patches and trailers
  /// (revision name, row): replaces the row of that branch.
  std::vector<std::pair<std::string, StoredApplicability>> applicability;
  std::vector<std::pair<std::string, StoredApproval>> approvals;  // inserted
  /// (revision name, approver): approvals to void, with voided_at and reason.
  std::vector<std::pair<std::string, std::string>> void_approvals;
  Instant voided_at = 0;
  std::string voided_reason;
  bool empty() const {
    return new_revisions.empty() && applicability.empty() && approvals.empty() &&
           void_approvals.empty();
  }
};

class PatchQueries {
 public:
  virtual ~PatchQueries() = default;
  /// Every revision of every patch series of REPORT_ID, ordered by series and version, with
  /// patches, trailers, applicability rows and approvals (voided ones included).
  virtual Result<std::vector<PatchRevision>> PatchRevisions(const std::string& report_id) = 0;
};

}  // namespace vigil
