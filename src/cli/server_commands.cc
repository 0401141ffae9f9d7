// `vigil init` and `vigil serve`.
#include <fcntl.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

#include "cli/cli_context.h"
#include "cli/command_table.h"
#include "core/ip_network.h"
#include "core/log_line.h"
#include "http/advisory_api.h"
#include "http/disclosure_panel.h"
#include "http/mail_api.h"
#include "http/metrics.h"
#include "http/patch_api.h"
#include "http/patch_panel.h"
#include "http/report_api.h"
#include "http/router.h"
#include "http/server.h"
#include "http/web.h"
#include "service/audit_checkpoints.h"
#include "service/credentials.h"
#include "service/disclosure_scheduler.h"
#include "service/patch_service.h"
#include "service/rate_limiter.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

// Holds an exclusive lock on <data>/vigil.lock for the life of `vigil serve`, so that a second
// server or a restore cannot run against the same data folder.
class DataLock {
 public:
  explicit DataLock(const std::string& data_dir) : path_(data_dir + "/vigil.lock") {}
  ~DataLock() {
    if (fd_ >= 0) close(fd_);
  }
  Status Acquire() {
    fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) return Status::Unavailable("cannot open " + path_);
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      return Status::Conflict("another vigil server is using " + path_);
    }
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_ = -1;
};

void Init(CliContext& ctx, const std::string& dir, int port, const std::string& admin) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    ctx.Check(Status::Unavailable("cannot create " + dir + ": " + ec.message()));
    return;
  }
  const std::string config_path = (fs::path(dir) / "vigil.toml").string();
  ctx.runtime.config_path = config_path;
  if (!fs::exists(config_path)) {
    std::ofstream out(config_path);
    out << DefaultConfigText("data", static_cast<uint16_t>(port));
    if (!out.flush()) {
      ctx.Check(Status::Unavailable("cannot write " + config_path));
      return;
    }
    ctx.Print("vigil: wrote " + config_path + "\n");
  }
  Result<const Config*> config = ctx.LoadConfig();
  if (!ctx.Check(config.status())) return;
  fs::create_directories((*config)->data_dir, ec);
  chmod((*config)->data_dir.c_str(), 0700);
  // Create the database (a PostgreSQL database is migrated when the store opens).
  if (!(*config)->OnPostgres() &&
      !ctx.Check(ctx.runtime.database_files().Create((*config)->DatabasePath()))) {
    return;
  }
  Result<ReportService*> service = ctx.Service();
  if (!ctx.Check(service.status())) return;
  if (!ctx.Check(CreateProjectKey(**config))) return;
  Result<std::vector<Account>> accounts = (*service)->ListAccounts();
  if (!ctx.Check(accounts.status())) return;
  const std::string creds = (*config)->data_dir + "/initial-admin.txt";
  if (!accounts->empty()) {
    ctx.Print("vigil: " + (*config)->data_dir + " is already initialised (" +
              std::to_string(accounts->size()) + " accounts)\n");
    if (fs::exists(creds)) ctx.Print("vigil: the first admin's credentials are in " + creds + "\n");
    return;
  }
  // The first admin gets a generated password and API token (expiring after web.api_token_days
  // like any other), shown once and kept in a file only the owner can read, so the README's
  // commands can use it.
  const std::string password = NewPassword();
  if (!ctx.Check((*service)->AddAccount(ctx.Operator(), admin, "Administrator", AccountRole::kAdmin,
                                        password))) {
    return;
  }
  Result<std::string> token =
      (*service)->CreateApiToken(ctx.Operator(), admin, "initial", std::nullopt);
  if (!ctx.Check(token.status())) return;
  const mode_t old = umask(077);
  std::ofstream(creds) << "email=" << admin << "\npassword=" << password << "\ntoken=" << *token
                       << "\n";
  umask(old);
  ctx.Print("vigil: initialised " + (*config)->data_dir + "\n" + "vigil: admin account " + admin +
            "\n" + "vigil:   password  " + password + "\n" + "vigil:   API token " + *token +
            " (expires in " + std::to_string((*config)->api_token_days) + " days)\n" +
            "vigil: (also saved in " + creds + ", readable by you only)\n");
}

void Serve(CliContext& ctx, int port_override) {
  auto logger = spdlog::stderr_logger_mt("vigil");
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  if (const char* level = std::getenv("VIGIL_LOG_LEVEL")) {
    spdlog::set_level(spdlog::level::from_str(level));
  }
  Result<const Config*> config = ctx.LoadConfig();
  if (!ctx.Check(config.status())) return;
  DataLock lock((*config)->data_dir);
  if (!ctx.Check(lock.Acquire())) return;
  Result<ReportService*> service = ctx.Service();
  if (!ctx.Check(service.status())) return;
  const Config& c = **config;
  // Every service is built before the server's threads start (the runtime builds lazily and is
  // not safe to build from several threads).
  Runtime& rt = ctx.runtime;
  const Clock& clock = rt.clock();
  Result<SessionService*> sessions = rt.sessions();
  if (!ctx.Check(sessions.status())) return;
  Result<WorkspaceService*> workspace = rt.workspace();
  if (!ctx.Check(workspace.status())) return;
  Result<PatchService*> patches_service = rt.patches();
  if (!ctx.Check(patches_service.status())) return;
  PatchService& patches = **patches_service;
  DiscloseServices* disclose = ctx.Disclose();
  if (!disclose) return;
  Result<MailAdminService*> mail_admin = rt.mail_admin();
  if (!ctx.Check(mail_admin.status())) return;
  Result<AuditCheckpointLog*> audit_log = rt.audit_log();
  if (!ctx.Check(audit_log.status())) return;
  Result<AuditMailer*> audit_mailer = rt.audit_mailer();  // null without [audit] mail_to
  if (!ctx.Check(audit_mailer.status())) return;
  Result<Store*> store = rt.store();
  if (!ctx.Check(store.status())) return;
  // Counted in the store: every instance on one database enforces the same limits.
  RateLimiter limiter(**store, clock, c.submit_per_minute);
  Metrics metrics;
  Router router(**service, limiter);
  AddReportApiRoutes(router, **service, metrics);
  AddMailRoutes(router, **mail_admin, c);
  // The HTML pages share the router, so they are authenticated and authorized the same way.
  PageRenderer renderer;
  if (!ctx.Check(renderer.Init())) return;
  // Declared before the server, so destroyed after it: every queued upload is answered.
  RateLimiter patch_limiter(**store, clock, c.patch_work_per_minute);
  WorkQueue patch_queue(c.patch_check_workers, c.patch_check_queue);
  AddPatchRoutes(router, patches, {&patch_queue, &patch_limiter});
  WebContext web{**service, **sessions, **workspace, c, clock, renderer, {}};
  web.panels.patches = PatchPanel(patches);
  web.panels.approve = PatchApproveAction(patches);
  web.panels.disclosure = DisclosurePanel(*disclose->advisories, *disclose->disclosure, c);
  web.panels.publish = [d = disclose->disclosure](const Principal& p,
                                                  const std::string& id) -> Result<std::string> {
    Result<ForgeItem> item = d->OpenPublicIssue(p, id, false);
    if (!item.ok()) return item.status();
    return item->url;
  };
  AddWebRoutes(router, web);
  AddCreditPageRoutes(router, web, *disclose->advisories);
  AddAdvisoryRoutes(router, *disclose->advisories, *disclose->disclosure);

  ServerOptions opts;
  opts.address = c.listen_address;
  opts.port = port_override >= 0 ? static_cast<uint16_t>(port_override) : c.listen_port;
  opts.io_threads = c.IoThreads();
  opts.worker_threads = c.worker_threads;
  opts.max_connections = c.max_connections;
  opts.idle_timeout_seconds = c.idle_timeout_seconds;
  opts.max_body_bytes = c.max_body_bytes;
  opts.max_header_bytes = c.max_header_bytes;
  opts.access_log = spdlog::should_log(spdlog::level::info);
  for (const std::string& p : c.trusted_proxies) {
    opts.trusted_proxies.push_back(*IpNetwork::Parse(p));  // the config checked each
  }
  HttpServer server(router, metrics, opts);
  Result<std::shared_ptr<MailRuntime>> mail = StartMail(rt, c);
  if (!ctx.Check(mail.status())) return;
  if (!ctx.Check(server.Start())) return;
  server.ShutdownOnSignals();
  // Every committed write is in a signed checkpoint within [audit] checkpoint_seconds; the
  // runtime writes the last one when the server has stopped. With [audit] mail_to, new lines go
  // to the outbox at most every [audit] mail_seconds.
  AuditCheckpointer checkpointer(**audit_log, std::chrono::seconds(c.audit_checkpoint_seconds));
  if (*audit_mailer) {
    checkpointer.MailWith(**audit_mailer, std::chrono::seconds(c.audit_mail_seconds));
  }
  checkpointer.Start();
  std::optional<DisclosureScheduler> scheduler;
  if (c.auto_disclose) {
    scheduler.emplace(*disclose->disclosure,
                      std::chrono::seconds(c.auto_disclose_interval_seconds));
    scheduler->Start();
  }
  const std::string url = "http://" + c.listen_address + ":" + std::to_string(server.port());
  std::printf("vigil: listening on %s\n", url.c_str());
  std::fflush(stdout);
  Result<std::string> location = ctx.runtime.StoreLocation();
  spdlog::info("{}",
               LogLine("listening", {{"url", url}, {"database", location.ok() ? *location : ""}}));
  server.Wait();
  if (scheduler) scheduler->Stop();
  checkpointer.Stop();
  spdlog::info("{}", LogLine("stopped"));
  std::printf("vigil: stopped\n");
}

}  // namespace

void AddServerCommands(CLI::App& app, CliContext& ctx) {
  struct InitOptions {
    std::string dir = ".";
    int port = 8080;
    std::string admin = "admin@example.org";
  };
  auto o = std::make_shared<InitOptions>();  // kept alive by the callback
  auto* init = AddCommand(app, "init");
  init->add_option("--dir", o->dir, "Folder for vigil.toml and data/ (default: .)");
  init->add_option("--port", o->port, "Port written to a new vigil.toml")
      ->check(CLI::Range(0, 65535));
  init->add_option("--admin", o->admin, "Email of the first admin account");
  init->callback([&ctx, o] { Init(ctx, o->dir, o->port, o->admin); });

  auto* serve = AddCommand(app, "serve");
  auto port = std::make_shared<int>(-1);
  serve->add_option("--port", *port, "Override server.port (0 = any free port)")
      ->check(CLI::Range(0, 65535));
  serve->callback([&ctx, port] { Serve(ctx, *port); });
}

}  // namespace vigil
