// The report part of the store: events and their chains, the report projection, its thread,
// outbox, attachments and the reporter's preferences, and the queries that read them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/report.h"
#include "core/status.h"
#include "core/time.h"

namespace vigil {

/// The chain of events that concern no single report (accounts, tokens).
inline constexpr char kSystemChain[] = "-";

struct NewEvent {
  std::string chain;  // report id or kSystemChain; empty = the batch's new report
  Instant time = 0;
  std::string actor;
  std::string kind;     // "report.submitted", "participant.added", ...
  std::string payload;  // JSON object text, stored and hashed byte for byte
};

struct StoredEvent {
  std::string chain;
  int64_t seq = 0;  // 1-based position in its chain
  Instant time = 0;
  std::string actor;
  std::string kind;
  std::string payload;
  std::string prev_hash;  // hex; 64 zeros for the first event of a chain
  std::string hash;       // hex SHA-256 of the canonical event (see audit_chain.h)
  /// The digests of the rows of this chain the event's batch left behind, when it is the
  /// batch's last event on the chain (lines "TABLE<tab>KEY<tab>DIGEST", DIGEST empty for a
  /// deleted row); empty otherwise. Part of the hash (see sqlite_store_audit.cc).
  std::string rows;
};

struct ThreadMessage {
  std::string report_id;
  int64_t seq = 0;  // assigned by the store when 0
  std::string author_email;
  std::string author_name;
  std::string author_role;
  std::string body;
  Instant created_at = 0;
};

/// The author_role of a message kept from a sender nobody vouches for (ReportService::
/// HoldMessage): relayed to nobody until a coordinator releases it.
inline constexpr char kHeldRole[] = "unverified";
inline bool IsHeld(const ThreadMessage& m) { return m.author_role == kHeldRole; }

/// kSending: handed to the smarthost and not yet known to be accepted. A row still sending when
/// Vigil starts is in doubt (the smarthost may have it) and is dead-lettered for the operator,
/// never sent twice on its own.
enum class OutboxState { kPending, kSending, kSent, kDead };

/// The one name of each state ("pending", "sending", "sent", "dead"): how the store keeps it and
/// how the API, the CLI and filters spell it.
const char* OutboxStateName(OutboxState s);
/// The state named TEXT; nullopt for any other text.
std::optional<OutboxState> ParseOutboxState(std::string_view text);

struct OutboxMail {
  int64_t id = 0;
  std::string report_id;
  std::string recipient;
  std::string kind;  // "embargo-reminder", "message", ...
  std::string subject;
  std::string body;
  Instant created_at = 0;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
};

/// A compare-and-set on a named counter, applied with the batch (used for round-robin).
struct CounterUpdate {
  std::string name;
  int64_t expected = 0;
  int64_t value = 0;
};

// ---- web (store/sqlite_store_web.cc): sessions, TOTP, attachments, reporter preferences ----

/// The events one actor appended to a chain: how many, and when the first and the last were.
struct ActorActivity {
  std::string actor;
  int64_t count = 0;
  Instant first = 0;
  Instant last = 0;
};

/// A chain summed up by actor (the read-in list reads a report's view chain this way).
struct ChainActivity {
  int64_t length = 0;                 // the chain's length when it was read
  std::vector<ActorActivity> actors;  // in the order of each actor's first event
};

/// A file attached to a report (with the submission) or to one of its messages.
struct Attachment {
  std::string report_id;    // empty in a batch = the batch's report
  int64_t number = 0;       // 1-based per report, assigned by the store
  int64_t message_seq = 0;  // 0 = attached to the report itself; -1 in a batch = its message
  std::string filename;
  std::string content_type;
  int64_t size = 0;
  std::string sha256;  // hex
  std::string data;    // empty when listed without contents
  std::string uploaded_by;
  Instant created_at = 0;
};

/// What the reporter chose: how to be credited, and an optional OpenPGP key for replies.
struct ReporterPrefs {
  std::string report_id;  // empty in a batch = the batch's report
  bool anonymous = true;
  std::string credit_name;
  std::string public_key;  // ASCII-armoured, may be empty
  Instant updated_at = 0;
};

/// A position in the newest-first order of reports: the last report of a page.
struct ReportCursor {
  Instant created_at = 0;
  std::string id;
};

struct ReportFilter {
  /// Restrict to reports where this email participates; empty = every report.
  std::optional<std::string> participant_email;
  std::optional<std::string> report_id;  // restrict to one report (capability holders)
  std::optional<State> state;
  std::optional<int> level;                // 0 = not classified
  std::optional<std::string> coordinator;  // "" = nobody assigned
  Instant updated_since = 0;               // changed at or after this instant; 0 = any
  /// Only the reports after AFTER in the newest-first order (created_at, then id, descending):
  /// the next page. SearchReports then orders newest first too, not by relevance.
  std::optional<ReportCursor> after;
  /// SearchReports: the best matches first (else newest first, as ListReports).
  bool best_first = true;
  int limit = 500;  // 0 = no limit
};

struct ReportSummary {
  std::string id;
  std::string title;
  State state = State::kReceived;
  int level = 0;
  std::string coordinator;
  Instant created_at = 0;
  Instant updated_at = 0;
  Instant embargo_end = 0;
};

/// What is read about reports. Reads see every write acknowledged before they started.
/// Thread-safe. Errors: kNotFound for GetReport of an unknown id, kUnavailable when storage fails.
class ReportQueries {
 public:
  virtual ~ReportQueries() = default;
  virtual Result<Report> GetReport(const std::string& id) = 0;
  /// Newest first (by creation), within FILTER (its limit included).
  virtual Result<std::vector<ReportSummary>> ListReports(const ReportFilter& filter) = 0;
  /// The report's messages in order.
  virtual Result<std::vector<ThreadMessage>> Thread(const std::string& report_id) = 0;
  /// Every event of CHAIN in order (seq 1, 2, ...).
  virtual Result<std::vector<StoredEvent>> Events(const std::string& chain) = 0;
  /// The newest LIMIT events of CHAIN, newest first (the first one's seq is the chain's length).
  virtual Result<std::vector<StoredEvent>> LatestEvents(const std::string& chain,
                                                        int64_t limit) = 0;
  /// CHAIN's events summed up by actor, read from the sums kept for the batches that asked for
  /// them (WebWrites::summarize_events): one row per actor, however long the chain.
  virtual Result<ChainActivity> SummarizeChain(const std::string& chain) = 0;
  /// The outbox rows of REPORT_ID in order; every row when REPORT_ID is empty.
  virtual Result<std::vector<OutboxMail>> Outbox(const std::string& report_id) = 0;
  /// A named counter's value; 0 when it was never written.
  virtual Result<int64_t> Counter(const std::string& name) = 0;
  /// How many reports within FILTER (its cursor and limit ignored) are in each state (every
  /// state present, 0 when none).
  virtual Result<std::map<State, int64_t>> CountReports(const ReportFilter& filter) = 0;
  /// How many reports are in each state (every state present, 0 when none).
  virtual Result<std::map<State, int64_t>> CountReportsByState() = 0;
  /// How many outbox rows are still to be sent.
  virtual Result<int64_t> PendingOutbox() = 0;
  /// The report's attachments in order, without their data.
  virtual Result<std::vector<Attachment>> Attachments(const std::string& report_id) = 0;
  /// One attachment with its data; nullopt when there is no such number.
  virtual Result<std::optional<Attachment>> GetAttachment(const std::string& report_id,
                                                          int64_t number) = 0;
  virtual Result<std::optional<ReporterPrefs>> GetReporterPrefs(const std::string& report_id) = 0;
};

}  // namespace vigil
