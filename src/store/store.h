// The Store: Vigil's only durable state. Every change is a WriteBatch applied atomically: events
// appended to their hash chains together with the projections and outbox rows they cause.
// Implementations: SqliteStore (embedded default); PostgreSQL to follow (keep SQL portable).
#pragma once

#include <functional>
#include <future>
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
  std::string hash;  // the stored form (TokenHash in service/credentials.h); never the token
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

/// A browser session. The cookie holds the token; only its hash is stored.
struct WebSession {
  std::string hash;  // the stored form of the session token (TokenHash)
  std::string account_email;
  Instant created_at = 0;
  Instant expires_at = 0;
  Instant revoked_at = 0;  // 0 = live
};

/// An account's TOTP secret (RFC 6238). Pending until the first code confirms it.
struct TotpEnrolment {
  std::string email;
  std::string secret_base32;
  bool enabled = false;
  int64_t last_step = 0;  // the last time step accepted (a code is never accepted twice)
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

struct WebWrites {
  std::vector<WebSession> sessions;                // inserted
  std::vector<std::string> revoke_session_hashes;  // revoked at WriteBatch::now
  std::string revoke_sessions_of;                  // every live session of this account
  std::vector<TotpEnrolment> totp;                 // upserted by email
  std::vector<std::string> delete_totp;            // by email
  std::vector<Attachment> attachments;             // inserted, numbered
  std::optional<ReporterPrefs> reporter_prefs;     // upserted
  bool index_search = false;  // bring the search index up to date in this write (before a search)
  /// Sum this batch's events up per chain and actor, for SummarizeChain (view chains).
  bool summarize_events = false;
  bool empty() const {
    return sessions.empty() && revoke_session_hashes.empty() && revoke_sessions_of.empty() &&
           totp.empty() && delete_totp.empty() && attachments.empty() && !reporter_prefs &&
           !index_search && !summarize_events;
  }
};

// --- disclose module: advisory drafts, disclosure plans, execution logs ---

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

// ---- mail gateway (store/sqlite_store_mail.cc) ----

/// A received message, stored before it is acknowledged and processed afterwards.
struct InboxMail {
  std::string id;  // queue id, unique (random)
  Instant received_at = 0;
  std::string client;  // remote address, or "ingest"
  std::string mail_from;
  std::vector<std::string> recipients;
  std::string raw;               // as received (for an encrypted mail: the encrypted original)
  std::string plaintext;         // the decrypted MIME entity or text; empty when not encrypted
  std::string state = "stored";  // "stored" (not processed yet) or "processed"
  std::string outcome;           // "new-report", "reply", "patch", "bounce", "duplicate", ...
  std::string report_id;         // the report it went to, if any
};

/// Marks an inbox message processed (in the same batch as what processing wrote).
struct InboxOutcome {
  std::string inbox_id;
  std::string outcome;
  std::string report_id;  // empty = the batch's new report, if the batch creates one
};

/// A Message-ID seen on a report's mail, incoming or outgoing, for threading replies.
struct MailMessageId {
  std::string message_id;  // without angle brackets
  std::string report_id;   // empty = the batch's new report
  std::string direction;   // "in" or "out"
  Instant created_at = 0;
};

/// A patch received by mail, with its git patch-id (until the patch engine takes it over).
struct MailPatch {
  std::string report_id;  // empty = the batch's new report
  std::string inbox_id;
  std::string message_id;
  std::string subject;
  std::string author;
  std::string sender;  // the From: address of the mail (lower-cased), which may not be the author
  int version = 1, index = 1, total = 1;
  std::string patch_id;  // `git patch-id --stable`
  Instant received_at = 0;
};

struct MailAttachment {
  std::string inbox_id;
  std::string filename;
  std::string content_type;
  int64_t size = 0;
  std::string data;  // empty when over the limit
};

/// An OpenPGP public key of a person (by email), used to encrypt mail to them.
struct MailKey {
  std::string email;
  std::string fingerprint;
  std::string armored;
  Instant added_at = 0;
};

/// A delivery attempt's result on an outbox row.
struct OutboxUpdate {
  int64_t id = 0;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
  Instant next_attempt_at = 0;
  std::string last_error;
};

/// An outbox row with its delivery bookkeeping.
struct OutboxEntry {
  OutboxMail mail;
  Instant next_attempt_at = 0;
  std::string last_error;
};

struct OutboxQuery {
  std::optional<OutboxState> state;
  Instant due_by = 0;  // with state pending: only rows whose next attempt is due by then
  int64_t id = 0;      // one row
  int limit = 500;
};

struct MailWrites {
  std::vector<InboxMail> inbox;  // inserted
  std::vector<InboxOutcome> processed;
  std::vector<MailMessageId> message_ids;  // inserted; an existing id is left as it is
  std::vector<MailPatch> patches;
  std::vector<MailAttachment> attachments;
  std::vector<MailKey> keys;  // upserted by email
  std::vector<OutboxUpdate> outbox_updates;
  bool empty() const {
    return inbox.empty() && processed.empty() && message_ids.empty() && patches.empty() &&
           attachments.empty() && keys.empty() && outbox_updates.empty();
  }
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
  /// For a new report: when set, the store reads this counter inside the write, stores it plus
  /// one, and puts the value read in `turn` before on_id_allocated runs (round-robin turns that
  /// never conflict, unlike a compare-and-set `counter`).
  std::string turn_counter;
  int64_t turn = 0;
  DisclosureWrites disclosure;  // the disclose module's rows
  MailWrites mail;
  /// For a new report: called inside the write once the id is allocated (batch.report->id is
  /// set), to add what needs the id (notifications naming it). Must not block.
  std::function<void(WriteBatch&)> on_id_allocated;
  WebWrites web;
  PatchWrites patches;  // patch module
};

struct WriteResult {
  std::string report_id;
  int64_t version = 0;         // the report chain's length after the write
  int64_t last_event_seq = 0;  // the seq given to the batch's last event (0 = no event)
};

struct ReportFilter {
  /// Restrict to reports where this email participates; empty = every report.
  std::optional<std::string> participant_email;
  std::optional<std::string> report_id;  // restrict to one report (capability holders)
  std::optional<State> state;
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
  /// Queues BATCH for the same group commit as Write and returns at once; the future holds what
  /// Write would have returned, once the batch is durable or failed. Lets a caller overlap a
  /// write with its reads. REQUIRES: what BATCH's callbacks capture outlives the write.
  virtual std::future<Result<WriteResult>> WriteAsync(WriteBatch batch) = 0;
  /// Queues BATCH like WriteAsync; DONE receives what Write would have returned, once the batch
  /// is durable or failed. DONE runs on the store's writer thread, after the commit: it must be
  /// quick, must not block and must not wait for another write. Nothing waits for the write.
  using WriteCallback = std::function<void(Result<WriteResult>)>;
  virtual void WriteThen(WriteBatch batch, WriteCallback done) = 0;
  /// Makes durable every write committed so far, including those whose answer is still on its
  /// way. A read may see a write a moment before it is durable (its writer has not been answered
  /// yet); call this before acting outside Vigil (sending mail, publishing) on what a read
  /// returned, so that a crash cannot take back what the world was told.
  virtual Status WaitDurable() = 0;

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

  // ---- web ----
  virtual Result<std::optional<WebSession>> FindSession(const std::string& hash) = 0;
  virtual Result<std::optional<TotpEnrolment>> FindTotp(const std::string& email) = 0;
  /// The report's attachments in order, without their data.
  virtual Result<std::vector<Attachment>> Attachments(const std::string& report_id) = 0;
  /// One attachment with its data; nullopt when there is no such number.
  virtual Result<std::optional<Attachment>> GetAttachment(const std::string& report_id,
                                                          int64_t number) = 0;
  virtual Result<std::optional<ReporterPrefs>> GetReporterPrefs(const std::string& report_id) = 0;
  /// CHAIN's events summed up by actor, read from the sums kept for the batches that asked for
  /// them (WebWrites::summarize_events): one row per actor, however long the chain.
  virtual Result<ChainActivity> SummarizeChain(const std::string& chain) = 0;
  /// The newest LIMIT events of CHAIN, newest first (the first one's seq is the chain's length).
  virtual Result<std::vector<StoredEvent>> LatestEvents(const std::string& chain,
                                                        int64_t limit) = 0;
  /// Reports matching the FTS5 query MATCH_EXPR (in their fields or thread) within FILTER, best
  /// match first. MATCH_EXPR must be well-formed FTS5 (see FtsQuery in workspace_service.h).
  virtual Result<std::vector<ReportSummary>> SearchReports(const std::string& match_expr,
                                                           const ReportFilter& filter) = 0;
  // --- disclose module (store/sqlite_store_disclose.cc) ---
  virtual Result<std::optional<AdvisoryDraftRow>> FindAdvisoryDraft(
      const std::string& report_id) = 0;
  virtual Result<std::optional<DisclosurePlanRow>> FindDisclosurePlan(
      const std::string& report_id) = 0;
  /// The execution log of REPORT_ID's disclosure, in the order the entries were written.
  virtual Result<std::vector<DisclosureStepRow>> DisclosureLog(const std::string& report_id) = 0;
  // ---- mail gateway ----
  /// Inbox messages not processed yet, oldest first.
  virtual Result<std::vector<InboxMail>> PendingInbox(int limit) = 0;
  /// The newest inbox messages (raw text omitted), newest first.
  virtual Result<std::vector<InboxMail>> ListInbox(int limit) = 0;
  /// One inbox message with its raw text, or nullopt.
  virtual Result<std::optional<InboxMail>> FindInboxMail(const std::string& id) = 0;
  /// The report a Message-ID belongs to, if known.
  virtual Result<std::optional<std::string>> ReportOfMessageId(const std::string& message_id) = 0;
  /// Whether an incoming message with this Message-ID was already processed.
  virtual Result<bool> SeenIncoming(const std::string& message_id) = 0;
  virtual Result<std::vector<MailPatch>> MailPatches(const std::string& report_id) = 0;
  virtual Result<std::vector<MailAttachment>> MailAttachments(const std::string& inbox_id) = 0;
  virtual Result<std::optional<MailKey>> FindMailKey(const std::string& email) = 0;
  virtual Result<std::vector<OutboxEntry>> ListOutbox(const OutboxQuery& query) = 0;
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
