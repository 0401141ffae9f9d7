// vigil.toml: every key, its default and its meaning. See docs in README ("Configuration").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/report_form.h"
#include "core/status.h"

namespace vigil {

/// [mail]: the mail gateway (SMTP/LMTP intake, outbound mail, OpenPGP).
struct MailConfig {
  bool enabled = false;  // `vigil serve` runs the SMTP/LMTP listener and the outbound sender
  std::string address = "127.0.0.1";
  int smtp_port = 2525;                // 0 = any free port, -1 = no SMTP listener
  int lmtp_port = -1;                  // 0 = any free port, -1 = no LMTP listener
  std::string hostname = "localhost";  // in the SMTP greeting
  std::string domain;                  // default: the domain of project.security_address
  std::string local_part;              // default: the local part of project.security_address
  int64_t max_message_bytes = 10 << 20;
  /// The largest plaintext an encrypted mail may decrypt (and decompress) to; a larger one is
  /// refused at intake (552) before it is ever held whole.
  int64_t max_decrypted_bytes = 32 << 20;
  int max_header_bytes = 64 << 10;
  int max_recipients = 100;
  int max_errors = 20;
  int idle_timeout_seconds = 300;
  int max_connections = 256;
  int connections_per_address = 20;  // open at once from one client address
  int session_seconds = 1800;        // a connection is closed (421) after this long in all
  int connections_per_minute = 120;  // per client address; 0 = unlimited
  int messages_per_minute = 300;     // per client address; 0 = unlimited
  int64_t max_attachment_bytes = 5 << 20;
  int max_attachments = 20;
  /// "smtp://host:port", "smtps://…", or "maildir:/absolute/path" (made absolute on load);
  /// empty = mail stays in the outbox.
  std::string smarthost;
  /// An attempt is abandoned when the smarthost makes no progress for this long (no greeting,
  /// no reply, or less than 16 bytes a second), or after ten times this long in all.
  int smarthost_timeout_seconds = 30;
  int max_attempts = 8;  // then the mail is dead-lettered
  int retry_base_seconds = 60;
  int retry_max_seconds = 6 * 3600;
  std::string reminder;  // replaces the built-in embargo reminder wording when set
  /// The authserv-id of the MTA's Authentication-Results fields: a mail it authenticated (DMARC
  /// or aligned DKIM pass for the From: domain) is from its From: (MailGateway::Prove). Empty:
  /// only personal reply addresses prove a sender.
  std::string authserv_id;
  /// The addresses (CIDRs) the MTA owning authserv_id hands mail to the SMTP listener from. Mail
  /// from any other client loses every Authentication-Results field claiming authserv_id before it
  /// is stored (RFC 8601 section 5): only that MTA may vouch. LMTP and `vigil ingest` are the
  /// local MTA's by definition.
  std::vector<std::string> authserv_relays = {"127.0.0.1", "::1"};
};

struct Config {
  // [project]
  std::string project_name = "Example project";
  /// [project] operator: the account CLI actions are attributed to when `--as` is not given
  /// (lower case); empty = the login name of whoever runs the command.
  std::string cli_operator;
  std::string id_prefix = "SEC";
  std::string security_address = "security@example.org";
  std::string master_branch = "master";
  std::vector<std::string> supported_branches;
  /// Maintainers who coordinate reports, in round-robin order (each needs a maintainer or admin
  /// account).
  std::vector<std::string> maintainers;
  bool round_robin = false;  // assign new reports automatically on submission
  // [embargo]
  int embargo_cap_days = 90;
  // [server]
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string public_url;  // defaults to http://<listen>
  /// 0 = one less than the CPUs, at least 1 (IoThreads()): the store's writer thread keeps a
  /// CPU of its own.
  int io_threads = 0;
  int worker_threads = 32;
  int max_connections = 1024;
  int idle_timeout_seconds = 30;
  int64_t max_body_bytes = 1 << 20;
  int max_header_bytes = 16 << 10;
  int submit_per_minute = 30;  // per client address
  /// server.trusted_proxies: the reverse proxies (addresses or CIDR networks) whose Forwarded /
  /// X-Forwarded-For headers name the client; empty: every connection is its own client.
  std::vector<std::string> trusted_proxies;
  // [web]
  std::string policy_markdown;  // web.policy, or the contents of web.policy_file
  /// [report_form]: the fields a reporter is asked for (the web form, the API, the mail
  /// template and the headings read from a mailed report).
  ReportForm report_form = GenericReportForm();
  std::string pgp_public_key;   // contents of web.pgp_key_file (ASCII-armoured), may be empty
  bool secure_cookies = false;  // web.secure_cookies; default: public_url starts with https://
  int session_hours = 12;
  int api_token_days = 90;  // web.api_token_days: the lifetime of an API token made without one
  /// web.capability_days_after_close: capability links stop working this many days after their
  /// report closed (0 = at once).
  int capability_days_after_close = 30;
  int ack_working_days = 3;
  int64_t max_attachment_bytes = 768 << 10;
  int max_attachments = 5;
  int login_failures_per_account = 5;   // within 15 minutes, then logins wait
  int login_failures_per_address = 20;  // within 15 minutes
  // [advisory] who publishes advisories, what they are about, where the files go
  std::string publisher_name;                               // default: the project name
  std::string publisher_namespace = "https://example.org";  // CSAF publisher namespace
  std::string publisher_contact;                            // default: the security address
  std::string cna_org_id;  // the CNA's UUID, needed for CVE records
  std::string cna_short_name;
  std::string package_ecosystem = "Go";  // OSV ecosystem of the affected package
  std::string package_name = "example.org/project";
  std::string product_name;                 // display name; default: the project name
  std::string repository_url;               // public https URL of the repository; optional
  std::string version_scheme = "semver";    // "semver" or "ecosystem"
  std::string advisory_dir = "advisories";  // published advisory files (absolute after loading)

  // [disclosure] the remote Vigil pushes to and the forge it opens issues and PRs on
  std::string disclosure_remote = "origin";  // a remote of repository_path
  std::string forge_api_url;                 // "https://api.github.com"; empty = no forge
  std::string forge_repository;              // "owner/name"
  std::string forge_token;                   // or forge_token_file (read at load, trimmed)
  std::string forge_token_file;
  /// A forge request is abandoned when the forge makes no progress for this long (no answer, or
  /// less than 16 bytes a second), or after ten times this long in all.
  int forge_timeout_seconds = 30;
  int notice_days = 7;         // observers' notice before the slot
  bool auto_disclose = false;  // `vigil serve` discloses scheduled reports at their slot
  int auto_disclose_interval_seconds = 60;  // how often it looks for due reports

  // [data]
  std::string data_dir = "data";  // relative paths are relative to the config file's folder
  /// data.backend: "sqlite" (the embedded default: vigil.db in data_dir) or "postgres"
  /// (data.url; several instances may share it).
  std::string data_backend = "sqlite";
  /// data.url: the PostgreSQL database as a libpq URL (postgresql://user@host:port/dbname,
  /// options such as ?sslmode=verify-full), never with a password in it.
  std::string data_url;
  /// data.password_file: the PostgreSQL password, alone in a file (made absolute, relative to
  /// the config file's folder). Empty: the environment variable VIGIL_PG_PASSWORD, else libpq's
  /// own sources (~/.pgpass, a client certificate).
  std::string data_password_file;
  /// data.totp_key_file: the 32-byte key sealing TOTP secrets (outside the database, mode 0600,
  /// made on first use); relative to the config file's folder. Default: <data_dir>/totp.key.
  std::string totp_key_file;
  // [audit] signed checkpoints of the audit chains, outside the database
  /// audit.signing_key_file: the Ed25519 key signing checkpoints (mode 0600, made on first use);
  /// relative to the config file's folder. Default: <data_dir>/audit.key.
  std::string audit_signing_key_file;
  /// audit.checkpoint_log: the append-only checkpoint log; relative to the config file's folder.
  /// Default: <data_dir>/audit-checkpoints.log.
  std::string audit_checkpoint_log;
  /// `vigil serve` checkpoints the chains that moved this often (1 to 3600).
  int audit_checkpoint_seconds = 1;
  /// audit.mail_to: where `vigil serve` mails the checkpoint lines written since its last mail
  /// (a copy of the log off this machine); empty = not mailed.
  std::string audit_mail_to;
  /// How often at most `vigil serve` mails new checkpoint lines (60 to 604800 seconds).
  int audit_mail_seconds = 3600;
  // [mail]
  MailConfig mail;
  // [repository]
  /// A local clone of the project (made absolute like data.dir); empty = patches are stored
  /// but not checked against branches, and disclosure cannot push.
  std::string repository_path;
  /// The committer of commits Vigil creates from approved patches; empty = git's configuration.
  std::string committer_name;
  std::string committer_email;
  // [patch]
  int64_t patch_max_bytes = 10 << 20;  // one upload (mbox or patch)
  int patch_max_count = 200;           // patches in one upload
  /// Patch uploads and rechecks through the API, per minute, for each token and each client
  /// address (0 = no limit).
  int patch_work_per_minute = 20;
  /// Threads that run uploads and rechecks (git), off the HTTP threads; and how many may be
  /// queued or running at once (more are refused with 503 and Retry-After).
  int patch_check_workers = 1;
  int patch_check_queue = 64;
  /// The approvals a patch revision needs, by report level (index 0: level 1): distinct
  /// maintainers, none an author of its patches or its submitter. 1 to 10 each.
  std::vector<int> approvals_required = {1, 1, 1, 1, 1, 1, 1};

  std::string DatabasePath() const { return data_dir + "/vigil.db"; }
  bool OnPostgres() const { return data_backend == "postgres"; }
  std::string ProjectKeyPath() const { return data_dir + "/openpgp-secret.asc"; }
  std::string TotpKeyPath() const {
    return totp_key_file.empty() ? data_dir + "/totp.key" : totp_key_file;
  }
  std::string AuditKeyPath() const {
    return audit_signing_key_file.empty() ? data_dir + "/audit.key" : audit_signing_key_file;
  }
  std::string CheckpointLogPath() const {
    return audit_checkpoint_log.empty() ? data_dir + "/audit-checkpoints.log"
                                        : audit_checkpoint_log;
  }
  /// io_threads, with 0 resolved for this machine.
  int IoThreads() const;
};

/// Reads PATH. Unknown keys, wrong types and out-of-range values are errors naming the key:
/// "vigil.toml: server.port: must be 0 to 65535". A missing file is an error.
Result<Config> LoadConfig(const std::string& path);

/// The documented default configuration file, as `vigil init` writes it.
std::string DefaultConfigText(const std::string& data_dir, uint16_t port);

/// Why URL cannot name a PostgreSQL database in data.url: "" when it can; else "must be a
/// postgresql:// URL ..." or "must not contain a password: ..." (the password stays out of files
/// and command lines).
std::string PgUrlProblem(const std::string& url);

}  // namespace vigil
