#include "service/config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "core/report.h"
#include "core/report_id.h"

namespace vigil {
namespace {

constexpr int64_t kMaxConfigBytes = 1 << 20;

using Table = toml::basic_value<toml::discard_comments>;

// Reads the keys of one table, remembering which were consumed so unknown ones are reported.
class Section {
 public:
  Section(const Table& root, std::string name, std::string file)
      : name_(std::move(name)), file_(std::move(file)) {
    if (root.contains(name_)) {
      const Table& t = root.at(name_);
      if (!t.is_table()) {
        error_ = file_ + ": " + name_ + ": must be a table";
      } else {
        table_ = &t;
      }
    }
  }

  template <typename T>
  void Get(const char* key, T* out) {
    if (!table_ || !error_.empty() || !table_->contains(key)) return;
    seen_.insert(key);
    try {
      *out = toml::get<T>(table_->at(key));
    } catch (const std::exception&) {
      error_ = file_ + ": " + name_ + "." + key + ": wrong type";
    }
  }

  Status Finish() {
    if (!error_.empty()) return Status::Invalid(error_);
    if (table_) {
      for (const auto& [k, v] : table_->as_table()) {
        if (!seen_.count(k))
          return Status::Invalid(file_ + ": " + name_ + "." + k + ": unknown key");
      }
    }
    return Status::Ok();
  }

  Status Fail(const std::string& key, const std::string& why) const {
    return Status::Invalid(file_ + ": " + name_ + "." + key + ": " + why);
  }

 private:
  std::string name_, file_;
  const Table* table_ = nullptr;
  std::set<std::string> seen_;
  std::string error_;
};

// [mail]. Defaults for the domain and local part come from project.security_address.
Status LoadMailSection(const Table& root, const std::string& file, Config* c) {
  MailConfig& m = c->mail;
  Section mail(root, "mail", file);
  int64_t smtp = m.smtp_port, lmtp = m.lmtp_port, header = m.max_header_bytes,
          rcpt = m.max_recipients, errors = m.max_errors, idle = m.idle_timeout_seconds,
          conns = m.max_connections, cpm = m.connections_per_minute, mpm = m.messages_per_minute,
          atts = m.max_attachments, attempts = m.max_attempts, base = m.retry_base_seconds,
          max_retry = m.retry_max_seconds;
  mail.Get("enabled", &m.enabled);
  mail.Get("smtp_address", &m.address);
  mail.Get("smtp_port", &smtp);
  mail.Get("lmtp_port", &lmtp);
  mail.Get("hostname", &m.hostname);
  mail.Get("domain", &m.domain);
  mail.Get("local_part", &m.local_part);
  mail.Get("max_message_bytes", &m.max_message_bytes);
  mail.Get("max_mail_header_bytes", &header);
  mail.Get("max_recipients", &rcpt);
  mail.Get("max_errors", &errors);
  mail.Get("smtp_idle_timeout_seconds", &idle);
  mail.Get("smtp_max_connections", &conns);
  mail.Get("connections_per_minute", &cpm);
  mail.Get("messages_per_minute", &mpm);
  mail.Get("max_attachment_bytes", &m.max_attachment_bytes);
  mail.Get("max_attachments", &atts);
  mail.Get("smarthost", &m.smarthost);
  mail.Get("max_attempts", &attempts);
  mail.Get("retry_base_seconds", &base);
  mail.Get("retry_max_seconds", &max_retry);
  mail.Get("reminder", &m.reminder);
  VIGIL_RETURN_IF_ERROR(mail.Finish());
  auto range = [&](const char* key, int64_t v, int64_t lo, int64_t hi) {
    return v < lo || v > hi
               ? mail.Fail(key, "must be " + std::to_string(lo) + " to " + std::to_string(hi))
               : Status::Ok();
  };
  VIGIL_RETURN_IF_ERROR(range("smtp_port", smtp, -1, 65535));
  VIGIL_RETURN_IF_ERROR(range("lmtp_port", lmtp, -1, 65535));
  VIGIL_RETURN_IF_ERROR(range("max_message_bytes", m.max_message_bytes, 1024, int64_t{1} << 30));
  VIGIL_RETURN_IF_ERROR(range("max_mail_header_bytes", header, 1024, 1 << 20));
  VIGIL_RETURN_IF_ERROR(range("max_recipients", rcpt, 1, 10000));
  VIGIL_RETURN_IF_ERROR(range("max_errors", errors, 1, 1000));
  VIGIL_RETURN_IF_ERROR(range("smtp_idle_timeout_seconds", idle, 1, 3600));
  VIGIL_RETURN_IF_ERROR(range("smtp_max_connections", conns, 1, 100000));
  VIGIL_RETURN_IF_ERROR(range("connections_per_minute", cpm, 0, 1000000));
  VIGIL_RETURN_IF_ERROR(range("messages_per_minute", mpm, 0, 1000000));
  VIGIL_RETURN_IF_ERROR(range("max_attachment_bytes", m.max_attachment_bytes, 0, int64_t{1} << 30));
  VIGIL_RETURN_IF_ERROR(range("max_attachments", atts, 0, 1000));
  VIGIL_RETURN_IF_ERROR(range("max_attempts", attempts, 1, 100));
  VIGIL_RETURN_IF_ERROR(range("retry_base_seconds", base, 1, 86400));
  VIGIL_RETURN_IF_ERROR(range("retry_max_seconds", max_retry, 1, 7 * 86400));
  if (!m.smarthost.empty() && !m.smarthost.starts_with("smtp://") &&
      !m.smarthost.starts_with("smtps://")) {
    return mail.Fail("smarthost", "must start with smtp:// or smtps://");
  }
  if (m.reminder.size() > 4096) return mail.Fail("reminder", "must be at most 4096 bytes");
  const size_t at = c->security_address.rfind('@');
  if (m.domain.empty() && at != std::string::npos) m.domain = c->security_address.substr(at + 1);
  if (m.local_part.empty() && at != std::string::npos) {
    m.local_part = c->security_address.substr(0, at);
  }
  if (m.domain.empty() || m.local_part.empty() ||
      m.local_part.find_first_of("+@ ") != std::string::npos) {
    return mail.Fail("local_part", "needs a security address like security@example.org");
  }
  m.smtp_port = static_cast<int>(smtp);
  m.lmtp_port = static_cast<int>(lmtp);
  m.max_header_bytes = static_cast<int>(header);
  m.max_recipients = static_cast<int>(rcpt);
  m.max_errors = static_cast<int>(errors);
  m.idle_timeout_seconds = static_cast<int>(idle);
  m.max_connections = static_cast<int>(conns);
  m.connections_per_minute = static_cast<int>(cpm);
  m.messages_per_minute = static_cast<int>(mpm);
  m.max_attachments = static_cast<int>(atts);
  m.max_attempts = static_cast<int>(attempts);
  m.retry_base_seconds = static_cast<int>(base);
  m.retry_max_seconds = static_cast<int>(max_retry);
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound("cannot read " + path + ": " + ec.message());
  if (size > kMaxConfigBytes) return Status::TooLarge(path + ": larger than 1 MiB");
  Table root;
  try {
    root = toml::parse<toml::discard_comments>(path);
  } catch (const std::exception& e) {
    std::string what = e.what();
    const size_t nl = what.find('\n');
    return Status::Invalid(path + ": " + what.substr(0, nl));
  }
  const std::string file = std::filesystem::path(path).filename().string();
  for (const auto& [k, v] : root.as_table()) {
    if (k != "project" && k != "embargo" && k != "server" && k != "data" && k != "mail") {
      return Status::Invalid(file + ": " + k + ": unknown key");
    }
  }
  Config c;
  Section project(root, "project", file);
  project.Get("name", &c.project_name);
  project.Get("id_prefix", &c.id_prefix);
  project.Get("security_address", &c.security_address);
  project.Get("master_branch", &c.master_branch);
  project.Get("supported_branches", &c.supported_branches);
  project.Get("maintainers", &c.maintainers);
  project.Get("round_robin", &c.round_robin);
  VIGIL_RETURN_IF_ERROR(project.Finish());
  if (Status s = ValidateIdPrefix(c.id_prefix); !s.ok()) {
    return project.Fail("id_prefix", s.message());
  }
  for (std::string& m : c.maintainers) {
    m = LowerAscii(m);
    if (!IsPlausibleEmail(m)) return project.Fail("maintainers", "\"" + m + "\" is not an email");
  }
  if (c.round_robin && c.maintainers.empty()) {
    return project.Fail("round_robin", "needs at least one entry in project.maintainers");
  }

  Section embargo(root, "embargo", file);
  int64_t cap = c.embargo_cap_days;
  embargo.Get("cap_days", &cap);
  VIGIL_RETURN_IF_ERROR(embargo.Finish());
  if (cap < 1 || cap > 365) return embargo.Fail("cap_days", "must be 1 to 365");
  c.embargo_cap_days = static_cast<int>(cap);

  Section server(root, "server", file);
  int64_t port = c.listen_port, io = c.io_threads, workers = c.worker_threads,
          conns = c.max_connections, idle = c.idle_timeout_seconds, header = c.max_header_bytes,
          rate = c.submit_per_minute;
  server.Get("address", &c.listen_address);
  server.Get("port", &port);
  server.Get("public_url", &c.public_url);
  server.Get("io_threads", &io);
  server.Get("worker_threads", &workers);
  server.Get("max_connections", &conns);
  server.Get("idle_timeout_seconds", &idle);
  server.Get("max_body_bytes", &c.max_body_bytes);
  server.Get("max_header_bytes", &header);
  server.Get("submit_per_minute", &rate);
  VIGIL_RETURN_IF_ERROR(server.Finish());
  if (port < 0 || port > 65535) return server.Fail("port", "must be 0 to 65535");
  if (io < 1 || io > 64) return server.Fail("io_threads", "must be 1 to 64");
  if (workers < 1 || workers > 1024) return server.Fail("worker_threads", "must be 1 to 1024");
  if (conns < 1 || conns > 100000) return server.Fail("max_connections", "must be 1 to 100000");
  if (idle < 1 || idle > 3600) return server.Fail("idle_timeout_seconds", "must be 1 to 3600");
  if (c.max_body_bytes < 1024 || c.max_body_bytes > (int64_t{1} << 30)) {
    return server.Fail("max_body_bytes", "must be 1024 to 1073741824");
  }
  if (header < 1024 || header > (1 << 20)) {
    return server.Fail("max_header_bytes", "must be 1024 to 1048576");
  }
  if (rate < 0 || rate > 1000000) return server.Fail("submit_per_minute", "must be 0 to 1000000");
  c.listen_port = static_cast<uint16_t>(port);
  c.io_threads = static_cast<int>(io);
  c.worker_threads = static_cast<int>(workers);
  c.max_connections = static_cast<int>(conns);
  c.idle_timeout_seconds = static_cast<int>(idle);
  c.max_header_bytes = static_cast<int>(header);
  c.submit_per_minute = static_cast<int>(rate);

  Section data(root, "data", file);
  data.Get("dir", &c.data_dir);
  VIGIL_RETURN_IF_ERROR(data.Finish());
  if (c.data_dir.empty()) return data.Fail("dir", "must not be empty");
  std::filesystem::path dir(c.data_dir);
  if (dir.is_relative()) {
    dir = std::filesystem::absolute(path).parent_path() / dir;
  }
  c.data_dir = dir.lexically_normal().string();
  VIGIL_RETURN_IF_ERROR(LoadMailSection(root, file, &c));
  if (c.public_url.empty()) {
    c.public_url = "http://" + c.listen_address + ":" + std::to_string(c.listen_port);
  }
  return c;
}

std::string DefaultConfigText(const std::string& data_dir, uint16_t port) {
  std::ostringstream out;
  out << R"(# Vigil configuration. Every key is optional; the values shown are the defaults
# unless marked otherwise.

[project]
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

[embargo]
# The longest embargo, counted from the receipt of the report (OpenStack VMT: 90 days).
cap_days = 90

[server]
# Where `vigil serve` listens. Keep it on loopback behind a TLS-terminating proxy.
address = "127.0.0.1"
port = )"
      << port << R"(
# The URL users reach Vigil at (used in links); default http://<address>:<port>.
# public_url = "https://security.example.org"
# Threads doing network I/O, and threads running requests (they wait on the disk).
io_threads = 2
worker_threads = 32
# Limits on untrusted clients.
max_connections = 1024
idle_timeout_seconds = 30
max_body_bytes = 1048576
max_header_bytes = 16384
# Report submissions allowed per client address per minute (0 = unlimited).
submit_per_minute = 30

[data]
# Where the database lives, relative to this file.
dir = ")"
      << data_dir << R"("

[mail]
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
max_mail_header_bytes = 65536
max_recipients = 100
max_errors = 20
smtp_idle_timeout_seconds = 300
smtp_max_connections = 256
# Per client address (0 = unlimited).
connections_per_minute = 120
messages_per_minute = 300
# Attachments larger than this, or beyond this count, are listed but not kept.
max_attachment_bytes = 5242880
max_attachments = 20
# Where outbound mail goes ("smtp://host:port"); empty keeps it in the outbox.
smarthost = ""
# Delivery retries: exponential backoff from retry_base_seconds, capped at retry_max_seconds;
# after max_attempts failed attempts the mail is dead-lettered (`vigil mail outbox`).
max_attempts = 8
retry_base_seconds = 60
retry_max_seconds = 21600
# The embargo reminder that starts every mail about an embargoed report; the embargo end in UTC
# is appended. Empty = the built-in wording.
reminder = ""
)";
  return out.str();
}

}  // namespace vigil
