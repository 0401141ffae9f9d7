// The use cases of Vigil: the only layer that combines core rules with the store. HTTP and the
// CLI authenticate and authorize through here, then call one use case per request.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/access.h"
#include "core/report.h"
#include "core/time.h"
#include "core/workflow.h"
#include "service/sealed_link.h"
#include "store/store.h"

namespace vigil {

/// Limits on what a submission and a message may hold.
inline constexpr size_t kMaxSubjectBytes = 300;
inline constexpr size_t kMaxFieldBytes = 64 << 10;
inline constexpr size_t kMaxMessageBytes = 256 << 10;

struct SubmitRequest {
  TemplateFields fields;
  std::string reporter_email;  // optional: reports may be anonymous
  std::string reporter_name;
  /// A report written as free text (a mail read into the fields by its headings): the form's
  /// required fields beyond subject and steps are not asked of it.
  bool free_text = false;
  /// Adds rows of other modules (attachments, preferences) to the submission's own batch once
  /// its id is allocated, so they are stored atomically with it. Must not block.
  std::function<void(WriteBatch&)> extend;
};

/// Where a credential was presented. Each kind of token is accepted from one place only.
enum class CredentialSource {
  kBearer,  // Authorization: Bearer (API tokens, capability tokens)
  kCookie,  // the browser session cookie (session tokens)
  kPath,    // a capability link's path segment (capability tokens)
};

struct Submitted {
  std::string id;
  std::string token;  // the reporter's capability token; shown once, stored hashed
};

/// An API token as its owner and admins see it: named by its id, never by its hash.
struct ApiTokenInfo {
  std::string id;  // TokenHashLabel of the stored form, as events name the token
  std::string account;
  std::string label;
  Instant created_at = 0;
  Instant expires_at = 0;  // 0 = never
  Instant revoked_at = 0;  // 0 = not revoked
  std::string state;       // "live", "expired" or "revoked", when listed
};

struct Invited {
  Report report;
  std::string token;  // the participant's capability token; shown once
};

/// A decision on a report as its reporter reads it (ReportService::Decisions).
struct Decision {
  Instant time = 0;
  std::string kind;     // the event: "report.rejected", "report.duplicate", ...
  std::string summary;  // "Rejected: not treated as a vulnerability.", "Classified at level 4: …"
  std::string reason;   // the coordinator's words; may be empty
};

/// The decision event E records, if it is one the reporter is told of.
std::optional<Decision> DecisionOf(const StoredEvent& e);

/// The longest full-text search accepted (API q=, dashboard).
inline constexpr size_t kMaxSearchBytes = 256;
/// The most reports one page of the list holds.
inline constexpr int kMaxPageSize = 1000;

/// One page of the report list (GET /api/v1/reports): filters, a search, where to start.
struct ReportQuery {
  std::optional<State> state;
  std::optional<int> level;                // 0 = not classified
  std::optional<std::string> coordinator;  // "" = nobody assigned
  Instant updated_since = 0;
  std::string text;    // full-text search, every word as a prefix; "" = none
  std::string cursor;  // the next_cursor of the previous page; "" = the first page
  int limit = 50;
};
struct ReportListPage {
  std::vector<ReportSummary> reports;  // newest first
  std::string next_cursor;             // "" when this is the last page
};

/// The opaque text of a list position (URL-safe Base64, no padding), and back. Error:
/// kInvalidArgument "the cursor is not valid: pass the next_cursor of the previous page as is".
std::string EncodeReportCursor(const ReportCursor& cursor);
Result<ReportCursor> DecodeReportCursor(std::string_view text);

class ReportService {
 public:
  /// STORE and CLOCK must outlive the service. Thread-safe: one instance serves every request.
  /// LINK_BOX, when given, seals the private links of queued mail (see SealedLink); it must
  /// outlive the service. Without it (tests) links are queued in clear.
  ReportService(Store& store, const Clock& clock, Config config,
                const TotpSecretBox* link_box = nullptr);

  const Config& config() const { return config_; }

  /// Resolves a bearer credential. An empty credential is the anonymous principal; an unknown,
  /// revoked or expired token, or a disabled account's, is kUnauthenticated ("invalid
  /// credentials"), whatever the reason, so a caller learns nothing from the refusal. The one
  /// exception: a capability whose report closed more than web.capability_days_after_close
  /// days ago is kPermissionDenied "this link expired on <UTC>: report <ID> is closed" (its
  /// holder knew the report; the refusal tells them why, and nothing of the report).
  /// A session cookie resolves to the account (kAccount) while the session is live; a capability
  /// link's token to kCapability. A token of the wrong kind for SOURCE is invalid.
  Result<Principal> Authenticate(std::string_view bearer,
                                 CredentialSource source = CredentialSource::kBearer);

  /// The one authorization decision of a request: looks up the caller's relation to REPORT_ID
  /// (for report-scoped actions) and applies the access policy of core/access.h.
  Status Authorize(const Principal& principal, Action action, const std::string& report_id);

  // Report use cases. REQUIRES: the caller was authorized for the matching Action.
  /// REQUEST.extend, when set, adds rows to the batch that records the submission once its id is
  /// known (attachments; the mail gateway marks the received mail processed in the same
  /// transaction); it may run more than once.
  Result<Submitted> Submit(const Principal& actor, SubmitRequest request);
  /// Submit without waiting: DONE receives what Submit would have returned, at once for a
  /// refused request, else once the report is durable (or the write failed), on the store's
  /// writer thread (see Store::WriteThen: DONE must be quick and must not block).
  using SubmitCallback = std::function<void(Result<Submitted>)>;
  void SubmitThen(const Principal& actor, SubmitRequest request, SubmitCallback done);
  Result<Report> Show(const std::string& id);
  /// One page of the reports VIEWER may see (exactly the visibility of List), newest first,
  /// within QUERY's filters; a search matches as the dashboard's does. Errors:
  /// kInvalidArgument "limit must be 1 to 1000", "the search is longer than 256 bytes", the
  /// cursor's (DecodeReportCursor).
  Result<ReportListPage> ListPage(const Principal& viewer, const ReportQuery& query);
  /// Reports VIEWER may see, newest first; at most LIMIT of them (0 = all).
  Result<std::vector<ReportSummary>> List(const Principal& viewer, std::optional<State> state,
                                          int limit = 500);
  /// The thread as VIEWER may read it: a message held from an unverified sender (role
  /// "unverified", see HoldMessage) only for those who may triage the report, who decide on it.
  Result<std::vector<ThreadMessage>> Thread(const Principal& viewer, const std::string& id);
  Result<std::vector<StoredEvent>> AuditTrail(const std::string& id);
  /// The coordinator's decisions on report ID the reporter is told of, oldest first: rejection,
  /// duplicate, classification (level and route), withdrawal, each with its reason.
  Result<std::vector<Decision>> Decisions(const std::string& id);
  /// The tracking page address of capability TOKEN: <public_url>/track/<TOKEN>.
  std::string TrackingUrl(const std::string& token) const;
  /// TrackingUrl(TOKEN) as queued in a mail to RECIPIENT about REPORT_ID: with the token sealed
  /// (SealLink) when the service has a link box, so the outbox never holds a working link.
  std::string QueuedTrackingUrl(const std::string& report_id, const std::string& recipient,
                                const std::string& token) const;
  /// Assigns COORDINATOR (an active maintainer or admin account), or the next maintainer of the
  /// round-robin rotation when COORDINATOR is empty.
  Result<Report> Assign(const Principal& actor, const std::string& id, std::string coordinator);
  Result<Report> Confirm(const Principal& actor, const std::string& id);
  Result<Report> Reject(const Principal& actor, const std::string& id, std::string reason);
  /// Marks report ID a duplicate of ORIGINAL. REASON (optional, trimmed, at most 4,096 bytes)
  /// goes to the reporter with the decision, by mail and on their tracking page, as for Reject
  /// and Classify.
  Result<Report> MarkDuplicate(const Principal& actor, const std::string& id,
                               const std::string& original, std::string reason = "");
  Result<Report> Classify(const Principal& actor, const std::string& id, int level,
                          std::string reason = "");
  Result<Report> Withdraw(const Principal& actor, const std::string& id, std::string reason);
  Result<Report> SetEmbargo(const Principal& actor, const std::string& id, Instant end,
                            std::string reason);
  Result<Report> BreakEmbargo(const Principal& actor, const std::string& id, std::string reason);
  Result<Invited> Invite(const Principal& actor, const std::string& id, std::string email,
                         std::string name, Role role);
  /// Removes participant EMAIL from report ID ("participant.removed" event): their link stops
  /// working at once, they are no longer mailed or read in; their row stays for the history.
  /// REQUIRES: authorized for Action::kManageParticipants. Refusals: core RemoveParticipant's.
  Result<Report> RemoveParticipant(const Principal& actor, const std::string& id,
                                   const std::string& email);
  /// Clears participant EMAIL's bouncing mark on report ID ("participant.bouncing-cleared"):
  /// the thread mails them again. REQUIRES: authorized for Action::kManageParticipants.
  /// Refusals: core ClearBouncing's.
  Result<Report> ClearBouncing(const Principal& actor, const std::string& id,
                               const std::string& email);
  /// Replaces the capability link of participant EMAIL on report ID ("participant.link_replaced"
  /// event with the new token's hash): the old link stops working at once and the new one is
  /// mailed to EMAIL through the outbox, in the same write. The token is never returned or
  /// logged. REQUIRES: authorized for Action::kManageParticipants. Refusals: core
  /// ReplaceCapability's.
  Result<Report> ReplaceLink(const Principal& actor, const std::string& id,
                             const std::string& email);
  /// EXTEND, when set, adds rows to the message's batch (attachments of the message, the mail
  /// that carried it); it may run more than once.
  Result<ThreadMessage> PostMessage(const Principal& actor, const std::string& id, std::string body,
                                    const std::function<void(WriteBatch&)>& extend = {});

  /// Keeps a mail from a sender nobody vouches for (service/mail_gateway.h) in report ID's
  /// thread, as written by FROM_EMAIL with role "unverified": relayed to nobody, shown only to
  /// those who may triage, carrying no role ("message.held" event, actor "unverified:<email>",
  /// with WHY). EXTEND as for PostMessage. Errors: PostMessage's.
  Result<ThreadMessage> HoldMessage(const std::string& from_email, const std::string& from_name,
                                    const std::string& id, std::string body, const std::string& why,
                                    const std::function<void(WriteBatch&)>& extend = {});
  /// Releases held message SEQ of report ID: ACTOR posts it to the thread, quoted under
  /// "Released by ACTOR from an unverified sender, EMAIL:", so it reaches everyone read in; the
  /// held message stays as it was. "message.released" event. REQUIRES: authorized for
  /// Action::kTriage. Errors: kNotFound "message N of ID not found"; kConflict "message N of ID
  /// is not held: only mail from an unverified sender is released", "message N of ID is
  /// already released"; PostMessage's.
  Result<ThreadMessage> ReleaseMessage(const Principal& actor, const std::string& id, int64_t seq);

  // Accounts. REQUIRES: the caller was authorized for Action::kAdminister (or is the CLI).
  Status AddAccount(const Principal& actor, std::string email, std::string name, AccountRole role,
                    std::string_view password);
  /// Disables (or enables again) EMAIL's account. Errors: kConflict "you cannot disable your own
  /// account" (an account acting on itself, whichever DISABLED); kNotFound.
  Status SetAccountDisabled(const Principal& actor, const std::string& email, bool disabled);
  /// A new API token for EMAIL's account, valid for TTL_DAYS, or for web.api_token_days when
  /// TTL_DAYS is nullopt; 0 = no expiry (callers make that choice visible). Returns the token;
  /// only its hash is stored. Errors: kNotFound "account X not found"; kInvalidArgument "expiry
  /// must be 0 to 3650 days", or for a label that is not one line of text.
  Result<std::string> CreateApiToken(const Principal& actor, const std::string& email,
                                     std::string label, std::optional<int> ttl_days);
  /// Revokes the API token TOKEN itself (the CLI, which reads it from stdin). Error: kNotFound
  /// "no such active token".
  Status RevokeApiToken(const Principal& actor, std::string_view token);

  // Tokens by id. REQUIRES: the caller was authorized for Action::kManageTokens; which tokens
  // ACTOR may see and revoke is MayManageTokensOf (core/access.h): an account its own, an admin
  // (or the CLI) every account's. Whatever ACTOR may not manage looks like what does not exist.
  /// The tokens of account EMAIL (every account ACTOR may manage when EMAIL is empty), revoked
  /// and expired ones included, oldest first, with their state now. Error: kNotFound "account X
  /// not found" when there is no such account or ACTOR may not manage its tokens.
  Result<std::vector<ApiTokenInfo>> ListApiTokens(const Principal& actor, const std::string& email);
  /// Revokes the token whose id is ID (an expired one too), with a "token.revoked" event on the
  /// system chain. Errors: kInvalidArgument "an API token id is 12 hex digits"; kNotFound "no API
  /// token with id X" (none, or not ACTOR's to manage); kConflict "API token X is already
  /// revoked", or "API token id X names more than one token; revoke it with the token itself".
  Status RevokeApiTokenById(const Principal& actor, const std::string& id);
  /// Every account, disabled ones included.
  Result<std::vector<Account>> ListAccounts();
  /// The accounts that may coordinate (see MayCoordinate), in ListAccounts' order.
  Result<std::vector<Account>> Coordinators();

  // Figures for /metrics.
  /// The number of reports in each state (states without reports may be missing).
  Result<std::map<State, int64_t>> CountByState();
  /// The number of outbound mails waiting for delivery.
  Result<int64_t> PendingMailCount();

 private:
  /// Appends a message with BODY to report ID's thread, retrying on contention: BUILD fills the
  /// author fields of the message and adds its event (and outbox rows) to the batch, for the
  /// report as read; EXTEND as for PostMessage. Refusals: kInvalidArgument for an empty or bad
  /// body, kConflict "cannot post to ID: it is STATE".
  Result<ThreadMessage> AppendMessage(
      const std::string& id, std::string body,
      const std::function<void(const Report&, ThreadMessage&, WriteBatch&)>& build,
      const std::function<void(WriteBatch&)>& extend);
  using Mutation = std::function<Result<Report>(const Report&)>;
  /// Reads report ID, applies MUTATE, and writes the new projection with an event of KIND (the
  /// payload built by PAYLOAD from the new report) plus the notifications it causes; retries on
  /// a concurrent change. EXTEND, when set, adds rows to the batch (it may run more than once).
  Result<Report> Change(const Principal& actor, const std::string& id, const std::string& kind,
                        const Mutation& mutate,
                        const std::function<std::string(const Report&)>& payload,
                        const std::function<void(const Report&, WriteBatch&)>& extend = {});
  /// The principal of account EMAIL, which a live credential named; kUnauthenticated "invalid
  /// credentials" when the account is gone or disabled.
  Result<Principal> ActiveAccount(const std::string& email);
  /// Change with the workflow's COMMAND (core/workflow.h) and its ARGS as the mutation.
  Result<Report> RunCommand(const Principal& actor, const std::string& id, const std::string& kind,
                            Command command, const CommandArgs& args,
                            const std::function<std::string(const Report&)>& payload);
  /// RunCommand for a decision the reporter is told of (DecisionOf): the mail to them is queued
  /// with the change.
  Result<Report> DecideAndTell(const Principal& actor, const std::string& id,
                               const std::string& kind, Command command, const CommandArgs& args,
                               const std::function<boost::json::object(const Report&)>& payload);
  /// Rejects or withdraws (COMMAND) report ID for REASON (trimmed, at most 4,096 bytes), with an
  /// event of KIND carrying the reason.
  Result<Report> CloseWithReason(const Principal& actor, const std::string& id,
                                 const std::string& kind, Command command, std::string_view reason);
  /// Queues DECISION (see Decisions) to the reporter of R by mail, when there is one to mail
  /// and it was not the reporter (ACTOR) who decided.
  void QueueDecisionMail(const Principal& actor, const Report& r, const Decision& decision,
                         WriteBatch* batch) const;
  /// Adds the private link of TOKEN to the welcome mail (the embargo reminder) queued in BATCH
  /// for EMAIL: the reporter's receipt, an invitation.
  void AddLinkToWelcome(const std::string& email, const std::string& token,
                        WriteBatch* batch) const;
  /// Queues the embargo reminder for every participant of AFTER who was not on BEFORE.
  void QueueReminders(const Report* before, const Report& after, WriteBatch* batch) const;
  OutboxMail Notice(const Report& r, const std::string& recipient, const std::string& kind,
                    const std::string& subject, const std::string& text) const;

  Store& store_;
  const Clock& clock_;
  const Config config_;
  const TotpSecretBox* link_box_;  // seals private links in queued mail; may be null
};

}  // namespace vigil
