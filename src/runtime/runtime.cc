#include "runtime/runtime.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mail/openpgp_helper.h"
#include "service/system_clock.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace vigil {

Runtime::Runtime(RuntimeHooks hooks) : hooks_(std::move(hooks)) {
  clock_ = hooks_.clock ? std::move(hooks_.clock) : std::make_unique<SystemClock>();
}

Runtime::~Runtime() {
  if (!audit_log_) return;
  Result<CheckpointWrite> w = audit_log_->Write(false);
  if (!w.ok()) {
    std::fprintf(stderr, "vigil: audit checkpoint not written: %s\n", w.status().message().c_str());
  }
}

Result<std::unique_ptr<Store>> Runtime::OpenDatabase(const std::string& path) {
  Result<std::unique_ptr<SqliteStore>> s = SqliteStore::Open(path);
  if (!s.ok()) return s.status();
  return std::unique_ptr<Store>(std::move(s).value());
}

Result<const Config*> Runtime::config() {
  if (!config_) {
    Result<Config> c = LoadConfig(config_path);
    if (!c.ok()) return c.status();
    config_ = std::make_unique<Config>(std::move(c).value());
  }
  return config_.get();
}

Result<PgTarget> ReadPgTarget(const std::string& url, const std::string& password_file) {
  PgTarget target;
  target.url = url;
  if (!password_file.empty()) {
    std::ifstream in(password_file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return Status::Unavailable("cannot read the password file " + password_file);
    target.password = text.str();
    while (!target.password.empty() &&
           (target.password.back() == '\n' || target.password.back() == '\r')) {
      target.password.pop_back();
    }
  } else if (const char* env = std::getenv("VIGIL_PG_PASSWORD")) {
    target.password = env;
  }
  return target;
}

namespace {

Result<PgTarget> PgTargetOf(const Config& c) {
  return ReadPgTarget(c.data_url, c.data_password_file);
}

}  // namespace

Result<Store*> Runtime::store() {
  VIGIL_RETURN_IF_ERROR(OpenStore());
  return store_.get();
}

Result<std::string> Runtime::StoreLocation() {
  Result<const Config*> c = config();
  if (!c.ok()) return c.status();
  return (*c)->OnPostgres() ? RedactedPgUrl((*c)->data_url) : (*c)->DatabasePath();
}

Status Runtime::OpenStore() {
  if (store_) return Status::Ok();
  Result<const Config*> c = config();
  if (!c.ok()) return c.status();
  std::error_code ec;
  if (!(*c)->OnPostgres() && !std::filesystem::exists((*c)->DatabasePath(), ec)) {
    return Status::NotFound("no database at " + (*c)->DatabasePath() + "; run `vigil init`");
  }
  Result<std::string> key = LoadOrCreateAuditKey((*c)->AuditKeyPath());
  if (!key.ok()) return key.status();
  if ((*c)->OnPostgres()) {
    Result<PgTarget> target = PgTargetOf(**c);
    if (!target.ok()) return target.status();
    Result<std::unique_ptr<PgStore>> s = PgStore::Open(*target);
    if (!s.ok()) return s.status();
    store_ = std::move(s).value();
  } else {
    Result<std::unique_ptr<SqliteStore>> s = SqliteStore::Open((*c)->DatabasePath());
    if (!s.ok()) return s.status();
    store_ = std::move(s).value();
  }
  audit_log_ = std::make_unique<AuditCheckpointLog>(
      (*c)->CheckpointLogPath(), std::move(key).value(),
      [store = store_.get()](int64_t cursor) { return store->ChainHeadsSince(cursor); }, *clock_);
  return Status::Ok();
}

Status Runtime::LoadSecretBox() {
  if (totp_box_) return Status::Ok();
  Result<std::string> key = LoadOrCreateTotpKey(config_->TotpKeyPath());
  if (!key.ok()) return key.status();
  totp_box_ = std::make_unique<TotpSecretBox>(std::move(key).value());
  return Status::Ok();
}

Result<ReportService*> Runtime::reports() {
  if (!reports_) {
    VIGIL_RETURN_IF_ERROR(OpenStore());
    VIGIL_RETURN_IF_ERROR(LoadSecretBox());
    reports_ = std::make_unique<ReportService>(*store_, *clock_, *config_, totp_box_.get());
  }
  return reports_.get();
}

Result<PatchService*> Runtime::patches() {
  if (!patches_) {
    // The approval that completes a revision asks its authors for their credit (by mail, with
    // a credit link sealed with the secrets key).
    Result<AdvisoryService*> a = advisories();
    if (!a.ok()) return a.status();
    VIGIL_RETURN_IF_ERROR(LoadSecretBox());
    credit_requests_ = std::make_unique<CreditRequests>(**a, *clock_, *config_, *totp_box_);
    patches_ = std::make_unique<PatchService>(
        *store_, *clock_, *config_,
        [c = credit_requests_.get()](const Principal& actor, const Report& report,
                                     const PatchRevision& revision, WriteBatch& batch) {
          return c->AddToApproval(actor, report, revision, batch);
        });
  }
  return patches_.get();
}

Result<SessionService*> Runtime::sessions() {
  if (!sessions_) {
    VIGIL_RETURN_IF_ERROR(OpenStore());
    VIGIL_RETURN_IF_ERROR(LoadSecretBox());
    auto sessions = std::make_unique<SessionService>(*store_, *clock_, *config_, *totp_box_);
    Result<int> sealed = sessions->SealClearTotpSecrets();
    if (!sealed.ok()) return sealed.status();
    sessions_ = std::move(sessions);
  }
  return sessions_.get();
}

Result<WorkspaceService*> Runtime::workspace() {
  if (!workspace_) {
    Result<ReportService*> r = reports();
    if (!r.ok()) return r.status();
    workspace_ = std::make_unique<WorkspaceService>(**r, *store_, *clock_, *config_);
  }
  return workspace_.get();
}

Result<AdvisoryService*> Runtime::advisories() {
  if (!advisories_) {
    VIGIL_RETURN_IF_ERROR(OpenStore());
    approved_ = std::make_unique<PatchRevisionSource>(*store_, *config_);
    advisories_ = std::make_unique<AdvisoryService>(*store_, *clock_, *config_, *approved_);
  }
  return advisories_.get();
}

Result<DisclosureService*> Runtime::disclosure() {
  if (!disclosure_) {
    Result<AdvisoryService*> a = advisories();
    if (!a.ok()) return a.status();
    if (!config_->forge_api_url.empty()) {
      forge_ = MakeGitHubForge(config_->forge_api_url, config_->forge_repository,
                               config_->forge_token, config_->forge_timeout_seconds);
    }
    disclosure_ = std::make_unique<DisclosureService>(*store_, *clock_, *config_, *approved_, **a,
                                                      forge_.get(), hooks_.crash_hook);
  }
  return disclosure_.get();
}

Result<MailAdminService*> Runtime::mail_admin() {
  if (!mail_admin_) {
    VIGIL_RETURN_IF_ERROR(OpenStore());
    mail_admin_ = std::make_unique<MailAdminService>(*store_, *clock_);
  }
  return mail_admin_.get();
}

Result<AuditCheckpointLog*> Runtime::audit_log() {
  VIGIL_RETURN_IF_ERROR(OpenStore());
  return audit_log_.get();
}

Result<AuditMailer*> Runtime::audit_mailer() {
  VIGIL_RETURN_IF_ERROR(OpenStore());
  if (config_->audit_mail_to.empty()) return static_cast<AuditMailer*>(nullptr);
  if (!audit_mailer_) {
    audit_mailer_ = std::make_unique<AuditMailer>(*store_, *clock_, audit_log_->path(),
                                                  audit_log_->public_key(), config_->audit_mail_to,
                                                  config_->project_name);
  }
  return audit_mailer_.get();
}

Result<std::unique_ptr<MailGateway>> Runtime::MakeMailGateway(const mail::ProjectKey* key) {
  Result<ReportService*> r = reports();
  if (!r.ok()) return r.status();
  Result<PatchService*> p = patches();
  if (!p.ok()) return p.status();
  auto gateway = std::make_unique<MailGateway>(*store_, *clock_, *config_, **r, **p, key);
  // Decrypt untrusted mail in a child `vigil-full` (openpgp_helper.h), whose memory goes away
  // with it; only this program knows that command, so a test program decrypts in-process.
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const std::string program = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "";
  if (key && program.ends_with("/vigil-full")) {
    gateway->SetDecryptor(
        [program, secret = key->secret_armored()](std::string_view message, size_t max_bytes) {
          return mail::DecryptInChild(program, secret, message, max_bytes);
        });
  }
  return gateway;
}

Result<std::unique_ptr<MailSender>> Runtime::MakeMailSender(const mail::ProjectKey* key) {
  VIGIL_RETURN_IF_ERROR(OpenStore());
  return std::make_unique<MailSender>(*store_, *clock_, *config_, key,
                                      /*transport=*/nullptr);  // the smarthost
}

}  // namespace vigil
