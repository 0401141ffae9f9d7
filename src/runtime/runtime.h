// Runtime: the program assembled once. `main` builds one and hands it to the CLI, which hands its
// services to http for `vigil serve`: one configuration, one store, one clock and one instance
// of each service per process, each made on first use (so `vigil cvss` opens no database).
// Production uses the system clock and has no crash points; only test programs pass hooks.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/status.h"
#include "core/time.h"
#include "forge/forge.h"
#include "service/advisory_service.h"
#include "service/audit_checkpoints.h"
#include "service/audit_mailer.h"
#include "service/credit_requests.h"
#include "service/database_files.h"
#include "service/disclosure_service.h"
#include "service/mail_admin_service.h"
#include "service/mail_gateway.h"
#include "service/mail_sender.h"
#include "service/patch_revision_source.h"
#include "service/patch_service.h"
#include "service/report_service.h"
#include "service/session_service.h"
#include "service/workspace_service.h"
#include "store/pg_connection.h"
#include "store/store.h"

namespace vigil {

/// What a test program injects. Empty members keep the production behaviour.
struct RuntimeHooks {
  /// Replaces the system clock for the whole process.
  std::unique_ptr<Clock> clock;
  /// Called at each crash point of a disclosure (see DisclosureService::CrashHook).
  DisclosureService::CrashHook crash_hook;
};

/// The PostgreSQL login for URL: the password from PASSWORD_FILE (its trailing newlines
/// dropped), else from VIGIL_PG_PASSWORD, else none (libpq's own sources). Error kUnavailable
/// "cannot read the password file F".
Result<PgTarget> ReadPgTarget(const std::string& url, const std::string& password_file);

class Runtime {
 public:
  explicit Runtime(RuntimeHooks hooks = {});
  /// Once the store was opened: writes a checkpoint of the chains that moved (nothing when none
  /// did), so that every command that wrote and a server that stops cleanly leave one; a failure
  /// is printed to stderr as "vigil: audit checkpoint not written: WHY".
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// The configuration file; may change until config() is first called (the CLI's -c option).
  std::string config_path = "vigil.toml";

  /// The configuration, loaded once. Errors: LoadConfig's.
  Result<const Config*> config();
  /// The process's one clock.
  const Clock& clock() const { return *clock_; }

  /// The services on the project's store, opened once. Errors: the configuration's; kNotFound
  /// "no database at PATH; run `vigil init`"; LoadOrCreateAuditKey's (the audit signing key is
  /// read, or made, with the store); the store's.
  Result<ReportService*> reports();
  Result<PatchService*> patches();
  /// Also reads the TOTP key file (making it on first use) and seals the TOTP secrets still in
  /// clear; errors: LoadOrCreateTotpKey's, so `vigil serve` refuses to start on a bad key file.
  Result<SessionService*> sessions();
  Result<WorkspaceService*> workspace();
  Result<AdvisoryService*> advisories();
  Result<DisclosureService*> disclosure();
  Result<MailAdminService*> mail_admin();
  /// The signed checkpoint log of the project's store ([audit] checkpoint_log). Errors: as
  /// reports().
  Result<AuditCheckpointLog*> audit_log();
  /// What mails the checkpoint log to [audit] mail_to; null when no address is configured.
  /// Errors: as reports().
  Result<AuditMailer*> audit_mailer();

  /// The mail gateway and the outbox sender on the project's store, for `vigil serve` and
  /// `vigil ingest` (the caller owns and starts them). KEY (may be null) must outlive them.
  /// Errors: those of reports() and patches().
  Result<std::unique_ptr<MailGateway>> MakeMailGateway(const mail::ProjectKey* key);
  Result<std::unique_ptr<MailSender>> MakeMailSender(const mail::ProjectKey* key);

  /// The database files themselves (init, backup, restore, audit verify); needs no
  /// configuration and opens nothing until used. SQLite only.
  const DatabaseFiles& database_files() const { return database_files_; }

  /// The project's store, opened on first use as [data] says: the SQLite file (which must
  /// exist: "no database at PATH; run `vigil init`") or the PostgreSQL database (migrated on
  /// open). Errors: the store's; for PostgreSQL also "cannot read the password file PATH".
  Result<Store*> store();
  /// Where the store is, for messages: the SQLite file's path or the PostgreSQL URL (never a
  /// password). Errors: the configuration's.
  Result<std::string> StoreLocation();

 private:
  /// Opens (creating it when missing) the database file PATH with the store implementation.
  static Result<std::unique_ptr<Store>> OpenDatabase(const std::string& path);
  Status OpenStore();
  /// Loads (or makes) the key that seals TOTP secrets and queued private links, once.
  Status LoadSecretBox();

  RuntimeHooks hooks_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<Config> config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditCheckpointLog> audit_log_;  // on store_
  std::unique_ptr<AuditMailer> audit_mailer_;      // on store_
  std::unique_ptr<ReportService> reports_;
  std::unique_ptr<PatchService> patches_;
  std::unique_ptr<TotpSecretBox> totp_box_;
  std::unique_ptr<SessionService> sessions_;
  std::unique_ptr<WorkspaceService> workspace_;
  std::unique_ptr<PatchRevisionSource> approved_;
  std::unique_ptr<Forge> forge_;
  std::unique_ptr<AdvisoryService> advisories_;
  std::unique_ptr<CreditRequests> credit_requests_;  // on advisories_ and totp_box_
  std::unique_ptr<DisclosureService> disclosure_;
  std::unique_ptr<MailAdminService> mail_admin_;
  const DatabaseFiles database_files_{&Runtime::OpenDatabase};
};

}  // namespace vigil
