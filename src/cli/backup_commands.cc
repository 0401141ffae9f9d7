// `vigil audit verify`, `vigil audit checkpoint`, `vigil backup`, `vigil restore`.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "cli/cli_context.h"
#include "cli/command_table.h"
#include "store/sqlite_store.h"
#include "store/store_copy.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

// Prints the verdict V on the chains of the database at PATH (a file or a PostgreSQL URL).
void PrintVerdict(CliContext& ctx, const std::string& path, const Result<AuditVerdict>& v) {
  if (!ctx.Check(v.status())) return;
  if (!v->ok) {
    std::fprintf(stderr, "vigil: audit chain of %s BROKEN at %s\n", path.c_str(),
                 v->first_broken.c_str());
    ctx.exit_code = kExitAuditBroken;
    return;
  }
  ctx.Print("audit chain of " + path + " intact: " + std::to_string(v->chains) + " chains, " +
            std::to_string(v->events) + " events\n");
}

// Checks the audit chains of the database file PATH (against CHECKPOINTED, the signed
// checkpoints) and prints the verdict.
void Verify(CliContext& ctx, const std::string& path, const CheckpointedHeads& checkpointed = {}) {
  PrintVerdict(ctx, path, ctx.runtime.database_files().VerifyAudit(path, checkpointed));
}

// A PostgreSQL store has no file to copy or replace: PostgreSQL's own tools back it up.
bool RefuseOnPostgres(CliContext& ctx) {
  Result<const Config*> c = ctx.LoadConfig();
  if (!ctx.Check(c.status())) return true;
  if (!(*c)->OnPostgres()) return false;
  ctx.Check(Status::Invalid(
      "data.backend is \"postgres\": back up and restore the database with PostgreSQL's own "
      "tools (pg_dump and pg_restore, or a replica)"));
  return true;
}

// `vigil audit verify [--checkpoint-log COPY] [--public-key HEX]`: the project's database
// against its checkpoint log, or against a copy of it kept elsewhere (the lines mailed to
// [audit] mail_to), verified with the project's key or the one given.
void VerifyProject(CliContext& ctx, const std::string& copy, const std::string& public_key_hex) {
  // The project's database must exist (else the runtime's error names `vigil init`).
  Result<AuditCheckpointLog*> log = ctx.runtime.audit_log();
  if (!ctx.Check(log.status())) return;
  std::string public_key = (*log)->public_key();
  if (!public_key_hex.empty()) {
    Result<std::string> given = AuditPublicKeyFromHex(public_key_hex);
    if (!ctx.Check(given.status())) return;
    public_key = std::move(given).value();
  }
  // The log first: a checkpoint written after the database was read could name newer events.
  Result<CheckpointedHeads> heads =
      ReplayAuditLog(copy.empty() ? (*log)->path() : copy, public_key);
  if (heads.status().code() == Code::kNotFound && !copy.empty()) {
    ctx.Check(heads.status());
    return;
  } else if (heads.status().code() == Code::kNotFound) {
    std::fprintf(stderr, "vigil: %s: a deleted tail of a chain cannot be detected\n",
                 heads.status().message().c_str());
    heads = CheckpointedHeads{};
  } else if (heads.status().code() == Code::kUnavailable) {
    ctx.Check(heads.status());
    return;
  } else if (!heads.ok()) {
    std::fprintf(stderr, "vigil: audit checkpoint log BROKEN: %s\n",
                 heads.status().message().c_str());
    ctx.exit_code = kExitAuditBroken;
    return;
  }
  Result<const Config*> c = ctx.LoadConfig();
  if ((*c)->OnPostgres()) {
    Result<Store*> store = ctx.runtime.store();
    if (!ctx.Check(store.status())) return;
    PrintVerdict(ctx, *ctx.runtime.StoreLocation(), (*store)->VerifyAudit(*heads));
    return;
  }
  Verify(ctx, (*c)->DatabasePath(), *heads);
}

// "checkpoint 4 written to PATH (2 chains moved)".
std::string Written(const CheckpointWrite& w, const std::string& path, const char* what) {
  return "checkpoint " + std::to_string(w.n) + " written to " + path + " (" +
         std::to_string(w.chains) + (w.chains == 1 ? " chain " : " chains ") + what + ")";
}

Status FsyncPath(const std::string& path, bool directory) {
  const int fd = open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open " + path);
  const int rc = fsync(fd);
  close(fd);
  return rc == 0 ? Status::Ok() : Status::Unavailable("cannot fsync " + path);
}

void Restore(CliContext& ctx, const std::string& backup) {
  if (RefuseOnPostgres(ctx)) return;
  Result<const Config*> config = ctx.LoadConfig();
  if (!ctx.Check(config.status())) return;
  const std::string db = (*config)->DatabasePath();
  if (!fs::exists(backup)) {
    ctx.Check(Status::NotFound("no backup at " + backup));
    return;
  }
  // Refuse while a server holds the data folder.
  const std::string lock_path = (*config)->data_dir + "/vigil.lock";
  fs::create_directories((*config)->data_dir);
  const int lock = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
    if (lock >= 0) close(lock);
    ctx.Check(Status::Conflict("a vigil server is running on " + (*config)->data_dir +
                               "; stop it before restoring"));
    return;
  }
  // Check the backup before it replaces anything.
  Verify(ctx, backup);
  if (ctx.exit_code != kExitOk) return close(lock), void();
  const std::string staged = db + ".restoring";
  std::error_code ec;
  fs::copy_file(backup, staged, fs::copy_options::overwrite_existing, ec);
  if (ec || !ctx.Check(FsyncPath(staged, false))) {
    if (ec) ctx.Check(Status::Unavailable("cannot copy " + backup + ": " + ec.message()));
    return close(lock), void();
  }
  // The current database is kept aside, never deleted.
  if (fs::exists(db)) {
    const std::string aside = db + ".before-restore." + std::to_string(time(nullptr));
    (void)ctx.runtime.database_files().Backup(db, aside);  // checkpoints the WAL
    ctx.Print("vigil: previous database kept as " + aside + "\n");
  }
  fs::remove(db + "-wal", ec);
  fs::remove(db + "-shm", ec);
  fs::rename(staged, db, ec);
  if (ec) {
    ctx.Check(Status::Unavailable("cannot move " + staged + " into place: " + ec.message()));
    return close(lock), void();
  }
  (void)FsyncPath((*config)->data_dir, true);
  ctx.Print("vigil: restored " + db + " from " + backup + "\n");
  // The restored chains may be shorter than the checkpoints say: a reset line names them anew.
  Result<AuditCheckpointLog*> log = ctx.runtime.audit_log();
  Result<CheckpointWrite> reset =
      log.ok() ? (*log)->WriteReset() : Result<CheckpointWrite>(log.status());
  close(lock);
  if (!ctx.Check(reset.status())) return;
  ctx.Print("vigil: " + Written(*reset, (*log)->path(), "after the restore") + "\n");
}

// `vigil migrate-data --to URL [--password-file F]`: the project's SQLite database, as it is
// now (the server may run: writes after the snapshot are not copied), into PostgreSQL.
void MigrateData(CliContext& ctx, const std::string& url, const std::string& password_file) {
  if (RefuseOnPostgres(ctx)) return;
  if (std::string why = PgUrlProblem(url); !why.empty()) {
    ctx.Check(Status::Invalid("--to " + why));
    return;
  }
  Result<PgTarget> target = ReadPgTarget(url, password_file);
  if (!ctx.Check(target.status())) return;
  Result<Store*> store = ctx.runtime.store();
  if (!ctx.Check(store.status())) return;
  auto* sqlite = dynamic_cast<SqliteStore*>(*store);
  if (!sqlite) {
    ctx.Check(Status::Internal("the project's store is not SQLite"));
    return;
  }
  Result<StoreCopy> copy = CopyIntoPostgres(*sqlite, *target);
  if (!ctx.Check(copy.status())) return;
  const std::string where = RedactedPgUrl(url);
  for (const StoreCopy::Table& t : copy->tables) {
    ctx.Print("  " + t.name + ": " + std::to_string(t.rows) + (t.rows == 1 ? " row\n" : " rows\n"));
  }
  ctx.Print("copied " + std::to_string(copy->rows) + " rows in " +
            std::to_string(copy->tables.size()) + " tables to " + where + "\n");
  PrintVerdict(ctx, where, copy->verdict);
  if (ctx.exit_code != 0) return;
  ctx.Print("to run on it, stop the server and set in [data]: backend = \"postgres\", url = \"" +
            where + "\" and password_file\n");
}

}  // namespace

void AddBackupCommands(CLI::App& app, CliContext& ctx) {
  auto path = std::make_shared<std::string>();

  auto* audit = AddCommand(app, "audit");
  audit->require_subcommand(1);
  auto* verify =
      audit->add_subcommand("verify", "Check every hash chain; name the first broken event");
  auto copy = std::make_shared<std::string>();
  auto public_key = std::make_shared<std::string>();
  verify->add_option("--checkpoint-log", *copy,
                     "Check against this copy of the checkpoint log (e.g. the mailed lines)");
  verify->add_option("--public-key", *public_key,
                     "Verify the checkpoints with this Ed25519 key (64 hex digits; default: the "
                     "project's key)");
  verify->callback([&ctx, copy, public_key] { VerifyProject(ctx, *copy, *public_key); });
  auto* checkpoint = audit->add_subcommand(
      "checkpoint",
      "Sign the chains' heads into the checkpoint log now, even if none moved; with [audit] "
      "mail_to, queue the lines not mailed yet");
  checkpoint->callback([&ctx] {
    Result<AuditCheckpointLog*> log = ctx.runtime.audit_log();
    if (!ctx.Check(log.status())) return;
    Result<CheckpointWrite> w = (*log)->Write(true);
    if (!ctx.Check(w.status())) return;
    ctx.Print(Written(*w, (*log)->path(), "moved") + "\n");
    Result<AuditMailer*> mailer = ctx.runtime.audit_mailer();
    if (!ctx.Check(mailer.status()) || !*mailer) return;
    Result<AuditMailing> m = (*mailer)->MailNew();
    if (!ctx.Check(m.status())) return;
    if (m->mails > 0) {
      ctx.Print("checkpoints " + std::to_string(m->first) + " to " + std::to_string(m->last) +
                " queued for mail to " + (*mailer)->to() + " (" + std::to_string(m->mails) +
                (m->mails == 1 ? " mail)\n" : " mails)\n"));
    }
  });
  auto* key = audit->add_subcommand(
      "public-key", "Print the key that verifies the checkpoints (Ed25519, 64 hex digits)");
  key->callback([&ctx] {
    Result<AuditCheckpointLog*> log = ctx.runtime.audit_log();
    if (!ctx.Check(log.status())) return;
    ctx.Print(AuditPublicKeyHex((*log)->public_key()) + "\n");
  });

  auto* backup = AddCommand(app, "backup");
  backup->add_option("path", *path, "Where to write the backup")->required();
  backup->callback([&ctx, path] {
    if (RefuseOnPostgres(ctx)) return;
    // The project's database must exist (else the runtime's error names `vigil init`).
    Result<ReportService*> s = ctx.Service();
    if (!ctx.Check(s.status())) return;
    Result<const Config*> c = ctx.LoadConfig();
    const DatabaseFiles& files = ctx.runtime.database_files();
    if (!ctx.Check(files.Backup((*c)->DatabasePath(), *path))) return;
    Verify(ctx, *path);
  });

  auto* restore = AddCommand(app, "restore");
  restore->add_option("path", *path, "The backup file")->required();
  restore->callback([&ctx, path] { Restore(ctx, *path); });

  auto* migrate = AddCommand(app, "migrate-data");
  auto to = std::make_shared<std::string>();
  auto password_file = std::make_shared<std::string>();
  migrate->add_option("--to", *to, "The PostgreSQL database: postgresql://user@host:port/name")
      ->required();
  migrate->add_option("--password-file", *password_file,
                      "Its password, alone in a file (else VIGIL_PG_PASSWORD)");
  migrate->callback([&ctx, to, password_file] { MigrateData(ctx, *to, *password_file); });
}

}  // namespace vigil
