// The documented default configuration file `vigil init` writes, assembled section by section
// in the order LoadConfig documents them.
#include <cstdint>
#include <string>

#include "config/config.h"

namespace vigil {
namespace {

// The header comment of the file.
std::string Preamble() {
  return R"(# Vigil configuration. Every key is optional; the values shown are the defaults
# unless marked otherwise.

)";
}

// [project], its keys at their defaults with what each means.
std::string ProjectDefaults() {
  return R"([project]
# Shown on pages and in mail.
name = "Example project"
# Report ids are <id_prefix>-<YEAR>-<NNNN>: 1 to 16 upper-case letters and digits.
id_prefix = "SEC"
# The address reporters write to; replies go to security+<REPORT-ID>@ the same domain.
security_address = "security@example.org"
# The development branch every embargoed fix must target.
master_branch = "master"
# Release branches that level-1 fixes must also be backported to.
supported_branches = []
# Maintainers who coordinate reports, in round-robin order. Each needs an account
# (`vigil user add --role maintainer`).
maintainers = []
# Assign each new report to the next maintainer above as it arrives.
round_robin = false
# The account `vigil` commands act as (their messages and audit entries name it) when `--as` is
# not given; empty = the login name of whoever runs them.
operator = ""

)";
}

// [embargo], its keys at their defaults with what each means.
std::string EmbargoDefaults() {
  return R"([embargo]
# The longest embargo, counted from the receipt of the report (OpenStack VMT: 90 days).
cap_days = 90

)";
}

// [server], its keys at their defaults with what each means.
std::string ServerDefaults(uint16_t port) {
  return std::string(R"([server]
# Where `vigil serve` listens. Keep it on loopback behind a TLS-terminating proxy.
address = "127.0.0.1"
port = )") +
         std::to_string(port) +
         R"(
# The URL users reach Vigil at (used in links); default http://<address>:<port>.
# public_url = "https://security.example.org"
# Threads doing network I/O (0 = one less than the CPUs, at least 1: the store's single
# writer thread keeps a CPU of its own), and threads running requests (they wait on the disk).
io_threads = 0
worker_threads = 32
# Limits on untrusted clients.
max_connections = 1024
idle_timeout_seconds = 30
max_body_bytes = 1048576
max_header_bytes = 16384
# Report submissions allowed per client address per minute (0 = unlimited).
submit_per_minute = 30
# The reverse proxies (addresses or CIDR networks) whose Forwarded or X-Forwarded-For header
# names the client. Only their word is taken: limits and the login back-off then count the real
# client, not the proxy. Empty: every connection is its own client. Example, a proxy on this
# machine: trusted_proxies = ["127.0.0.1", "::1"]
trusted_proxies = []

)";
}

// [web], its keys at their defaults with what each means.
std::string WebDefaults() {
  return R"([web]
# The security policy shown on the landing page, in Markdown (rendered safely: raw HTML is
# dropped). Either inline here or from a file relative to this one (not both).
# policy = """..."""
# policy_file = "SECURITY.md"
# The project's OpenPGP public key (ASCII-armoured), shown on the landing page.
# pgp_key_file = "security-key.asc"
# Mark cookies Secure (sent over HTTPS only). Default: true when public_url is https://.
# secure_cookies = true
# How long a login lasts, in hours.
session_hours = 12
# A new report must be acknowledged within this many working days (Mon-Fri) of receipt; the
# dashboard highlights reports near or past the deadline.
ack_working_days = 3
# Attachments on the report form and on replies: the largest file and how many per form. A whole
# request must also fit in server.max_body_bytes.
max_attachment_bytes = 786432
max_attachments = 5
# Failed logins allowed within 15 minutes, per account and per client address, before logins
# must wait.
login_failures_per_account = 5
login_failures_per_address = 20
# How many days an API token lasts when it is made without an explicit lifetime (1 to 3650).
api_token_days = 90
# How many days the private links of reporters and participants keep working after their report
# closed (withdrawn, rejected, duplicate, public or disclosed); 0 = they stop at once.
capability_days_after_close = 30
)";
}

// [advisory], its keys at their defaults with what each means.
std::string AdvisoryDefaults() {
  return R"([advisory]
# Who publishes advisories (CSAF publisher, CVE CNA) and what they are about.
# Publisher name and contact; empty means the project name and the security address.
publisher_name = ""
publisher_namespace = "https://example.org"
publisher_contact = ""
# Your CNA's organization UUID and short name, needed to export CVE JSON 5 records.
cna_org_id = ""
cna_short_name = ""
# The affected package: OSV ecosystem ("Go", "PyPI", "npm", ...), package name, display name
# (empty: the project name), public repository URL (optional), and how versions are numbered
# ("semver" or "ecosystem").
package_ecosystem = "Go"
package_name = "example.org/project"
product_name = ""
repository_url = ""
version_scheme = "semver"
# Where disclosure publishes the advisory files (Markdown, OSV, CVE, CSAF) and the OSV-style
# feed (index.json), relative to this file.
output_dir = "advisories"

)";
}

// [disclosure], its keys at their defaults with what each means.
std::string DisclosureDefaults() {
  return R"([disclosure]
# The remote of repository.path that disclosure pushes the security/<ID>-<branch> branches to.
remote = "origin"
# The forge's REST API (GitHub's shapes: POST /repos/{owner}/{repo}/issues and /pulls), the
# repository on it, and the API token (or a file holding it). Empty URL: no forge.
forge_api_url = ""
forge_repository = ""
forge_token = ""
forge_token_file = ""
# A forge request is abandoned (and the disclosure step retried on the next run) when the forge
# makes no progress for this many seconds (no answer, or less than 16 bytes a second), or after
# ten times this long in all.
forge_timeout_seconds = 30
# Days of notice observers (downstream distributors) get before the slot (linux-distros: at
# most 14).
notice_days = 7
# Disclose automatically: `vigil serve` checks regularly (below) for scheduled reports whose slot is
# reached and runs `vigil disclose` for them (a refusal alerts the coordinator once). Off: run
# `vigil disclose ID` (or `vigil disclose --due`, e.g. from cron) yourself.
auto_disclose = false
# How often, in seconds, `vigil serve` looks for due reports with auto_disclose (1 to 3600).
auto_disclose_interval_seconds = 60

)";
}

// [data], its keys at their defaults with what each means.
std::string DataDefaults(const std::string& data_dir) {
  return std::string(R"([data]
# Where the database lives, relative to this file.
dir = ")") +
         data_dir +
         R"("
# The key that seals TOTP (two-factor) secrets in the database: 32 random bytes, made with mode
# 0600 on first use; Vigil refuses to start if it is readable by others or not 32 bytes. Keep it
# out of database copies, but back it up separately: without it every user must enrol two-factor
# login again. Empty: totp.key in the data folder.
totp_key_file = ""
# Where reports are stored: "sqlite" (vigil.db in the data folder; one instance) or "postgres"
# (several instances may share the database; see docs/SCALING.md).
backend = "sqlite"
# For "postgres": the database as a libpq URL, without a password, for instance
# "postgresql://vigil@db.example.org:5432/vigil?sslmode=verify-full".
url = ""
# For "postgres": a file holding only the password (mode 0600). Empty: the environment variable
# VIGIL_PG_PASSWORD, else libpq's own (~/.pgpass, a client certificate).
password_file = ""

)";
}

// [audit], its keys at their defaults with what each means.
std::string AuditDefaults() {
  return R"([audit]
# Every change is an event in a hash chain inside the database; Vigil also signs the heads of the
# chains (Ed25519) and appends them to a log outside it, so that `vigil audit verify` notices even
# the last events of a chain deleted. Ship the log off this machine as it grows (README: audit).
# The signing key: 64 bytes, made with mode 0600 on first use; Vigil refuses to start if it is
# readable by others. Empty: audit.key in the data folder.
signing_key_file = ""
# The checkpoint log, one signed line per checkpoint. Empty: audit-checkpoints.log in the data
# folder.
checkpoint_log = ""
# `vigil serve` writes a checkpoint of the chains that moved this often, in seconds (1 to 3600);
# every command that wrote, and a server that stops cleanly, writes one before it exits.
checkpoint_seconds = 1
# Where `vigil serve` mails the checkpoint lines written since its last mail, so that a copy of the
# log lives off this machine (encrypted when the address has an OpenPGP key: `vigil mail set-key
# ADDRESS FILE`). Empty: not mailed. An auditor checks the project against the mailed copy with
# `vigil audit verify --checkpoint-log COPY --public-key HEX` (README: audit).
mail_to = ""
# How often at most new lines are mailed, in seconds (60 to 604800).
mail_seconds = 3600

)";
}

// [mail], its keys at their defaults with what each means.
std::string MailDefaults() {
  return R"([mail]
# Run the mail gateway in `vigil serve`: SMTP (and LMTP) intake and the outbound sender.
enabled = false
smtp_address = "127.0.0.1"
# SMTP port (0 = any free port, -1 = none) and LMTP port for an MTA's lmtp: transport.
smtp_port = 2525
lmtp_port = -1
# The name in the SMTP greeting.
hostname = "localhost"
# The security address is <local_part>@<domain>; replies go to <local_part>+<REPORT-ID>@<domain>.
# Empty = taken from project.security_address.
domain = ""
local_part = ""
# Limits on untrusted senders.
max_message_bytes = 10485760
# The largest plaintext an encrypted mail may decrypt and decompress to (a compression bomb stops
# here and is refused with 552, never held whole).
max_decrypted_bytes = 33554432
max_mail_header_bytes = 65536
max_recipients = 100
max_errors = 20
smtp_idle_timeout_seconds = 300
smtp_max_connections = 256
# Connections open at once from one client address (a 421 refuses more), and how long one
# connection may last in all, however busy (then 421 and closed; a delivery in progress is
# answered first).
smtp_connections_per_address = 20
smtp_session_seconds = 1800
# Per client address (0 = unlimited).
connections_per_minute = 120
messages_per_minute = 300
# Attachments larger than this, or beyond this count, are listed but not kept.
max_attachment_bytes = 5242880
max_attachments = 20
# Where outbound mail goes: "smtp://host:port" (or smtps://), or "maildir:PATH" to write each
# mail as a file in the Maildir PATH (relative to this file) for trying Vigil out; empty keeps
# mail in the outbox (`vigil mail outbox`, `vigil mail show N`).
smarthost = ""
# A delivery attempt is abandoned (and retried like any failure) when the smarthost makes no
# progress for this many seconds (no greeting, no reply, or less than 16 bytes a second), or
# after ten times this long in all.
smarthost_timeout_seconds = 30
# Delivery retries: exponential backoff from retry_base_seconds, capped at retry_max_seconds;
# after max_attempts failed attempts the mail is dead-lettered (`vigil mail outbox`).
max_attempts = 8
retry_base_seconds = 60
retry_max_seconds = 21600
# The embargo reminder that starts every mail about an embargoed report; the embargo end in UTC
# is appended. Empty = the built-in wording.
reminder = ""
# Mail about a report is from the person its From: names only when sent to their personal reply
# address (the Reply-To of Vigil's mail to them), or when an Authentication-Results field with
# this authserv-id (your MTA's, e.g. OpenDKIM's or rspamd's) reports DMARC or aligned DKIM pass
# for the From: domain; any other is held as from an unverified sender (not relayed, no role,
# its Reviewed-by:/Acked-by: not read) until a coordinator releases it. Empty: only reply
# addresses prove a sender.
authserv_id = ""
# Only the topmost field with that authserv-id counts, and only in mail that came through that
# MTA: mail the SMTP listener takes from any client not listed here loses every
# Authentication-Results field claiming authserv_id before it is stored (RFC 8601 section 5).
# List the addresses your MTA relays to Vigil's SMTP port from (IP addresses or CIDRs); LMTP and
# `vigil ingest` are always the MTA's.
authserv_relays = ["127.0.0.1", "::1"]
)";
}

// [repository], its keys at their defaults with what each means.
std::string RepositoryDefaults() {
  return R"([repository]
# A local clone of the project, relative to this file or absolute. Patches are checked against
# its branches; disclosure creates the security/<ID>-<branch> branches in it. Empty: neither.
path = ""
# The committer of the commits Vigil creates from approved patches (default: git's own); the
# authors are always those of the approved patches.
committer_name = ""
committer_email = ""
# Every patch revision is checked against project.master_branch and each supported branch of
# the clone (keep it fetched; `vigil patch recheck` re-checks after branches move).

)";
}

// [patch], its keys at their defaults with what each means.
std::string PatchDefaults() {
  return R"([patch]
# Limits on one patch upload (an mbox or a single patch), by API or mail. The API's upload
# route accepts a request body of up to max_bytes, even above server.max_body_bytes.
max_bytes = 10485760
max_patches = 200
# How many maintainers must approve a patch revision before it counts, by report level (levels 1
# to 7, 1 to 10 each). Whoever wrote a patch of a revision or submitted it never counts: with 1,
# a fix still needs a second person.
approvals_required = [1, 1, 1, 1, 1, 1, 1]
# Uploads and rechecks through the API run git for every branch: at most this many a minute for
# each token and each client address (0 = no limit; answered 429 with Retry-After) ...
work_per_minute = 20
# ... on this many threads of their own, never the HTTP threads, with at most check_queue of
# them queued or running at once (more: 503 with Retry-After) and one per report at a time.
check_workers = 1
check_queue = 64
)";
}

// [report_form]: a new project starts with the generic form.
std::string ReportFormDefaults() {
  return R"(
# The questions a reporter is asked: on the report form, in the API, in the mail template shown
# on the landing page, and the headings read from a report that arrives by mail. A report's text
# is kept in eight fields with fixed keys (subject, steps, effects_cluster,
# effects_applications, effects_infrastructure, workflows, attack_vectors, other_software);
# the form says which are asked, in which order and with which wording. Text a report already
# holds in a field the form stops asking for is still shown.
[report_form]
# "generic": impact, affected versions, attack vector, mitigations, environment (written here
# for a new project; a vigil.toml without preset keeps "kubernetes", the wording of the
# reports written before the form was configuration).
# "kubernetes": effects on the cluster, on applications and on the infrastructure, affected
# workflows, attack vectors and surface, other software used.
preset = "generic"
# Which keys are asked, in order (default: the preset's; subject and steps always).
# fields = ["subject", "steps", "effects_cluster", "attack_vectors"]
# A field's wording, changed or added (a key the preset lacks takes the other preset's wording):
# [[report_form.field]]
# key = "effects_cluster"
# label = "Impact"
# help = "What an attacker gains, and from whom."
# required = false          # subject and steps are always required; mail is never refused
# rows = 3                  # 0 = one line
# headings = ["effects"]    # more headings (lower case) that start this field in a mail
)";
}

}  // namespace

std::string DefaultConfigText(const std::string& data_dir, uint16_t port) {
  return Preamble() + ProjectDefaults() + EmbargoDefaults() + ServerDefaults(port) + WebDefaults() +
         AdvisoryDefaults() + DisclosureDefaults() + DataDefaults(data_dir) + AuditDefaults() +
         MailDefaults() + RepositoryDefaults() + PatchDefaults() + ReportFormDefaults();
}

}  // namespace vigil
