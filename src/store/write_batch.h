// The write core of the store: a WriteBatch appends events to their hash chains together with
// every projection row they cause (each module's rows in its own part), checked against the
// chain length the writer read, atomically and durably.
#pragma once

#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "core/report.h"
#include "core/status.h"
#include "core/time.h"
#include "store/account_queries.h"
#include "store/disclosure_queries.h"
#include "store/mail_queries.h"
#include "store/patch_queries.h"
#include "store/report_queries.h"

namespace vigil {

/// The web module's part of a WriteBatch: sessions, TOTP, attachments, reporter preferences.
struct WebWrites {
  std::vector<WebSession> sessions;                // inserted
  std::vector<std::string> revoke_session_hashes;  // revoked at WriteBatch::now
  std::string revoke_sessions_of;                  // every live session of this account
  std::vector<TotpEnrolment> totp;                 // upserted by email
  std::vector<std::string> delete_totp;            // by email
  /// Each sets an enabled enrolment's last_step; a step not later than the stored one fails the
  /// whole batch with kConflict "the TOTP step of EMAIL was already used" (a replayed code,
  /// even by two logins racing), so the session it would start is not written either.
  std::vector<TotpStepUse> totp_steps;
  std::vector<Attachment> attachments;          // inserted, numbered
  std::optional<ReporterPrefs> reporter_prefs;  // upserted
  std::vector<LimitHit> limit_hits;             // recorded at WriteBatch::now (see LimitHit)
  bool index_search = false;  // bring the search index up to date in this write (before a search)
  /// Sum this batch's events up per chain and actor, for SummarizeChain (view chains).
  bool summarize_events = false;
  bool empty() const {
    return sessions.empty() && revoke_session_hashes.empty() && revoke_sessions_of.empty() &&
           totp.empty() && delete_totp.empty() && totp_steps.empty() && attachments.empty() &&
           limit_hits.empty() && !reporter_prefs && !index_search && !summarize_events;
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

class StoreWriter {
 public:
  virtual ~StoreWriter() = default;

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
};

}  // namespace vigil
