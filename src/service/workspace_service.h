// What the web pages need beyond the report use cases: attachments, the reporter's credit and
// key, the read-in list (every view of an embargoed report is recorded), the maintainers' queue
// with its acknowledgement deadline, and full-text search over what the viewer may see.
#pragma once

#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/access.h"
#include "core/time.h"
#include "service/report_service.h"
#include "store/store.h"

namespace vigil {

/// A file as uploaded through a form.
struct Upload {
  std::string filename;
  std::string content_type;
  std::string data;
};

/// How the reporter wants to be credited in the advisory.
struct CreditChoice {
  bool anonymous = true;
  std::string name;  // required when not anonymous
};

/// One person on the read-in list: who was added when and by whom, and their views.
struct ReadIn {
  std::string who;  // email, or the audit name of a viewer who is not a participant
  std::string role;
  bool participant = false;  // on the report now (not a removed one, not another viewer)
  Instant removed_at = 0;    // a removed participant: when, and by whom
  std::string removed_by;
  Instant added_at = 0;
  std::string added_by;
  int64_t views = 0;
  Instant first_view = 0;  // 0 = never viewed
  Instant last_view = 0;
};

/// A report's read-in list as read at one moment.
struct ReadInList {
  std::vector<ReadIn> people;     // participants in order, then other viewers by first view
  int64_t views = 0;              // every recorded view
  int64_t view_chain_length = 0;  // the view chain's length that was read
  std::map<std::string, size_t> index_of_actor;  // audit name -> index in people
};

/// A view of an embargoed report being recorded (WorkspaceService::StartView).
class ViewRecord {
 public:
  ViewRecord() = default;  // nothing to record
  /// Blocks until the view is durably recorded; Ok at once when there was nothing to record.
  /// Errors: those of Store::Write. Call it once.
  Status Wait();

 private:
  friend class WorkspaceService;
  std::optional<std::future<Result<WriteResult>>> write_;
  std::string actor_;
  Instant at_ = 0;
  int64_t seq_ = 0;  // the view's place in the view chain, once written
};

struct QueueFilter {
  std::optional<State> state;
  int level = -1;           // -1 = any; 0 = unclassified
  std::string coordinator;  // "" = any; "-" = unassigned
  std::string text;         // full-text query, "" = none
  std::string cursor;       // the next_cursor of the previous page; "" = the first page
  int limit = 100;          // reports per page
};

/// Where a report stands against the acknowledgement deadline.
enum class AckStatus { kAcknowledged, kOnTime, kDueSoon, kOverdue };

struct QueueEntry {
  ReportSummary report;
  Instant ack_deadline = 0;
  AckStatus ack = AckStatus::kAcknowledged;
};

struct QueuePage {
  std::vector<QueueEntry> entries;
  std::string next_cursor;  // "" on the last page
};

/// What the dashboard's chips and badges count over every report a viewer sees.
struct QueueCounts {
  std::map<State, int64_t> by_state;
  int64_t overdue = 0;   // received, past the acknowledgement deadline
  int64_t due_soon = 0;  // received, the deadline within a day
};

/// The instant WORKING_DAYS working days (Monday to Friday, UTC) after RECEIVED: the same time
/// of day on the Nth following working day. A report received on a weekend counts from Monday.
Instant AckDeadline(Instant received, int working_days);

/// The chain holding the view events of report ID (kept apart from the report's own chain so
/// views do not race with changes to the report).
std::string ViewChain(const std::string& report_id);

class WorkspaceService {
 public:
  /// Every argument must outlive the service. Thread-safe.
  WorkspaceService(ReportService& reports, Store& store, const Clock& clock, const Config& config);

  /// Submits a report with its attachments and the reporter's preferences in one atomic write.
  /// Errors: those of ReportService::Submit, and kTooLarge / kInvalidArgument naming the file.
  Result<Submitted> Submit(const Principal& actor, SubmitRequest request,
                           std::vector<Upload> uploads, CreditChoice credit,
                           std::string public_key);
  /// Posts a message with attachments to report ID.
  Result<ThreadMessage> Reply(const Principal& actor, const std::string& id, std::string body,
                              std::vector<Upload> uploads);
  /// Sets the reporter's credit choice. Only the reporter (or staff) may. Error
  /// kPermissionDenied "only the reporter chooses how they are credited".
  Status SetCredit(const Principal& actor, const std::string& id, CreditChoice credit);
  Result<std::optional<ReporterPrefs>> Prefs(const std::string& id);

  /// Records that VIEWER opened REPORT, when the report is under an active embargo.
  Status RecordView(const Principal& viewer, const Report& report);
  /// The same, started through the store's group commit without waiting, so that a page can do
  /// its reads meanwhile. The page must call Wait() (and succeed) before it answers.
  ViewRecord StartView(const Principal& viewer, const Report& report);
  /// Participants with when and by whom they were added, plus the recorded views summed up per
  /// viewer (one grouped read of the view chain).
  Result<ReadInList> ListReadIn(const Report& report);
  /// Counts VIEW in LIST when LIST was read before the view was committed (a page reads its
  /// read-in list while its own view is being written). REQUIRES: VIEW.Wait() returned Ok.
  void CountView(const ViewRecord& view, ReadInList* list) const;
  /// The report's audit trail: its own events and its view events, in time order.
  Result<std::vector<StoredEvent>> AuditTrail(const std::string& id);
  /// The newest LIMIT events of the report's own chain (views excluded), newest first; the
  /// first one's seq is the number of the report's events.
  Result<std::vector<StoredEvent>> LatestChanges(const std::string& id, int64_t limit);

  /// One page of the reports VIEWER may see that match FILTER, newest first (a search too), with
  /// their acknowledgement deadline: ReportService::ListPage, so the dashboard and the API page
  /// alike. Errors: ListPage's.
  Result<QueuePage> Queue(const Principal& viewer, const QueueFilter& filter);
  /// The counts over every report VIEWER may see (not one page of them).
  Result<QueueCounts> Counts(const Principal& viewer);

  Result<std::vector<Attachment>> Attachments(const std::string& id);
  Result<std::optional<Attachment>> GetAttachment(const std::string& id, int64_t number);

 private:
  /// Validates UPLOADS and turns them into attachment rows uploaded by ACTOR.
  Result<std::vector<Attachment>> ToAttachments(const Principal& actor, std::vector<Upload> uploads,
                                                int64_t message_seq) const;

  ReportService& reports_;
  Store& store_;
  const Clock& clock_;
  const Config& config_;
};

}  // namespace vigil
