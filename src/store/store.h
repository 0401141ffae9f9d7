// The Store: Vigil's only durable state. Every change is a WriteBatch applied atomically: events
// appended to their hash chains together with the projections and outbox rows they cause.
// Implementations: SqliteStore (embedded default); PostgreSQL to follow (keep SQL portable).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/access.h"
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

enum class OutboxState { kPending, kSent, kDead };

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

struct Account {
  std::string email;
  std::string name;
  AccountRole role = AccountRole::kMember;
  std::string password_hash;  // libsodium Argon2id string; empty = no password login
  bool disabled = false;
  Instant created_at = 0;
};

struct ApiToken {
  std::string hash;  // hex SHA-256 of the token; the token itself is never stored
  std::string account_email;
  std::string label;
  Instant created_at = 0;
  Instant expires_at = 0;  // 0 = never
  Instant revoked_at = 0;  // 0 = not revoked
};

/// What a capability token resolves to.
struct CapabilityGrant {
  std::string report_id;
  std::string email;
  Role role = Role::kReporter;
};

/// A compare-and-set on a named counter, applied with the batch (used for round-robin).
struct CounterUpdate {
  std::string name;
  int64_t expected = 0;
  int64_t value = 0;
};

// ---- patch module: series, revisions, applicability, approvals (sqlite_store_patches.cc) ----

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

/// One atomic change. Either everything in it is durable, or nothing is.
struct WriteBatch {
  /// The report projection to write. For a new report (expected_version == 0) the store
  /// allocates the id <prefix>-<year>-<NNNN>, fills it in, and puts the report's events (those
  /// with an empty chain) on that new chain.
  std::optional<Report> report;
  std::string id_prefix;  // for a new report
  /// The chain length the writer read; a different current length fails with kAborted.
  int64_t expected_version = 0;
  std::vector<NewEvent> events;
  std::vector<ThreadMessage> messages;
  std::vector<OutboxMail> outbox;
  std::vector<Account> accounts;  // upserted by email
  std::vector<ApiToken> tokens;   // inserted
  std::vector<std::string> revoke_token_hashes;
  Instant now = 0;  // revocation time
  std::optional<CounterUpdate> counter;
  /// For a new report: called inside the write once the id is allocated (batch.report->id is
  /// set), to add what needs the id (notifications naming it). Must not block.
  std::function<void(WriteBatch&)> on_id_allocated;
  PatchWrites patches;  // patch module
};

struct WriteResult {
  std::string report_id;
  int64_t version = 0;  // the report chain's length after the write
};

struct ReportFilter {
  /// Restrict to reports where this email participates; empty = every report.
  std::optional<std::string> participant_email;
  std::optional<std::string> report_id;  // restrict to one report (capability holders)
  std::optional<State> state;
  int limit = 500;
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

/// The result of checking every hash chain.
struct AuditVerdict {
  bool ok = true;
  int64_t chains = 0;
  int64_t events = 0;
  /// For a broken chain: "SEC-2026-0001 event 3: hash does not match its content".
  std::string first_broken;
};

class Store {
 public:
  virtual ~Store() = default;

  /// Applies BATCH atomically and durably (fsynced) before returning OK. Thread-safe; concurrent
  /// calls share a commit. Errors: kAborted when expected_version is stale (re-read and retry),
  /// kConflict when a uniqueness rule fails, kUnavailable when storage fails.
  virtual Result<WriteResult> Write(WriteBatch batch) = 0;

  // Reads see every write acknowledged before they started. Thread-safe.
  virtual Result<Report> GetReport(const std::string& id) = 0;
  virtual Result<std::vector<ReportSummary>> ListReports(const ReportFilter& filter) = 0;
  virtual Result<std::vector<ThreadMessage>> Thread(const std::string& report_id) = 0;
  virtual Result<std::vector<StoredEvent>> Events(const std::string& chain) = 0;
  virtual Result<std::optional<Account>> FindAccount(const std::string& email) = 0;
  virtual Result<std::vector<Account>> ListAccounts() = 0;
  virtual Result<std::optional<ApiToken>> FindApiToken(const std::string& hash) = 0;
  virtual Result<std::optional<CapabilityGrant>> FindCapability(const std::string& hash) = 0;
  virtual Result<std::vector<OutboxMail>> Outbox(const std::string& report_id) = 0;
  virtual Result<int64_t> Counter(const std::string& name) = 0;
  virtual Result<std::map<State, int64_t>> CountReportsByState() = 0;
  virtual Result<int64_t> PendingOutbox() = 0;

  // ---- patch module ----
  /// Every revision of every patch series of REPORT_ID, ordered by series and version, with
  /// patches, trailers, applicability rows and approvals (voided ones included).
  virtual Result<std::vector<PatchRevision>> PatchRevisions(const std::string& report_id) = 0;

  /// Recomputes every chain and compares with the stored hashes.
  virtual Result<AuditVerdict> VerifyAudit() = 0;
  /// Writes a consistent snapshot of the whole store to PATH while writes go on.
  virtual Status Backup(const std::string& path) = 0;
};

}  // namespace vigil
