#include "config/config.h"

#include <algorithm>
#include <thread>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "core/ip_network.h"
#include "core/report.h"
#include "core/report_form.h"
#include "core/report_id.h"
#include "core/text.h"

namespace vigil {

std::string PgUrlProblem(const std::string& url) {
  if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) {
    return "must be a postgresql:// URL when backend is \"postgres\"";
  }
  // The password stays out of the configuration (files get copied, shown, committed).
  const size_t start = url.find("://") + 3;
  const size_t at = url.find('@', start);
  const size_t slash = url.find('/', start);
  const bool in_userinfo = at != std::string::npos && (slash == std::string::npos || at < slash) &&
                           url.substr(start, at - start).find(':') != std::string::npos;
  if (in_userinfo || url.find("password=") != std::string::npos) {
    return "must not contain a password: put it in data.password_file or the environment "
           "variable VIGIL_PG_PASSWORD";
  }
  return "";
}
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

// A path relative to the configuration file's folder, made absolute.
std::string RelativeToConfig(const std::string& config_path, const std::string& value) {
  std::filesystem::path p(value);
  if (p.is_relative()) p = std::filesystem::absolute(config_path).parent_path() / p;
  return p.lexically_normal().string();
}

bool IsHttpUrl(const std::string& s) {
  return (s.starts_with("https://") || s.starts_with("http://")) &&
         s.find_first_of(" \t\r\n\"<>") == std::string::npos;
}

// [advisory] and [disclosure].
Status LoadDisclosureSections(const Table& root, const std::string& file, const std::string& path,
                              Config* c) {
  Section adv(root, "advisory", file);
  adv.Get("publisher_name", &c->publisher_name);
  adv.Get("publisher_namespace", &c->publisher_namespace);
  adv.Get("publisher_contact", &c->publisher_contact);
  adv.Get("cna_org_id", &c->cna_org_id);
  adv.Get("cna_short_name", &c->cna_short_name);
  adv.Get("package_ecosystem", &c->package_ecosystem);
  adv.Get("package_name", &c->package_name);
  adv.Get("product_name", &c->product_name);
  adv.Get("repository_url", &c->repository_url);
  adv.Get("version_scheme", &c->version_scheme);
  adv.Get("output_dir", &c->advisory_dir);
  VIGIL_RETURN_IF_ERROR(adv.Finish());
  if (c->publisher_name.empty()) c->publisher_name = c->project_name;
  if (c->publisher_contact.empty()) c->publisher_contact = c->security_address;
  if (c->product_name.empty()) c->product_name = c->project_name;
  if (!IsHttpUrl(c->publisher_namespace)) {
    return adv.Fail("publisher_namespace", "must be an http(s) URL");
  }
  if (!c->repository_url.empty() && !IsHttpUrl(c->repository_url)) {
    return adv.Fail("repository_url", "must be an http(s) URL");
  }
  if (c->version_scheme != "semver" && c->version_scheme != "ecosystem") {
    return adv.Fail("version_scheme", "must be \"semver\" or \"ecosystem\"");
  }
  if (c->advisory_dir.empty()) return adv.Fail("output_dir", "must not be empty");
  c->advisory_dir = RelativeToConfig(path, c->advisory_dir);

  Section dis(root, "disclosure", file);
  int64_t notice = c->notice_days, forge_timeout = c->forge_timeout_seconds;
  int64_t disclose_every = c->auto_disclose_interval_seconds;
  dis.Get("remote", &c->disclosure_remote);
  dis.Get("forge_api_url", &c->forge_api_url);
  dis.Get("forge_repository", &c->forge_repository);
  dis.Get("forge_token", &c->forge_token);
  dis.Get("forge_token_file", &c->forge_token_file);
  dis.Get("forge_timeout_seconds", &forge_timeout);
  dis.Get("notice_days", &notice);
  dis.Get("auto_disclose", &c->auto_disclose);
  dis.Get("auto_disclose_interval_seconds", &disclose_every);
  VIGIL_RETURN_IF_ERROR(dis.Finish());
  if (notice < 0 || notice > 90) return dis.Fail("notice_days", "must be 0 to 90");
  c->notice_days = static_cast<int>(notice);
  if (forge_timeout < 1 || forge_timeout > 3600) {
    return dis.Fail("forge_timeout_seconds", "must be 1 to 3600");
  }
  c->forge_timeout_seconds = static_cast<int>(forge_timeout);
  if (disclose_every < 1 || disclose_every > 3600) {
    return dis.Fail("auto_disclose_interval_seconds", "must be 1 to 3600");
  }
  c->auto_disclose_interval_seconds = static_cast<int>(disclose_every);
  if (c->disclosure_remote.empty() || c->disclosure_remote.starts_with("-")) {
    return dis.Fail("remote", "must be a remote name");
  }
  if (!c->forge_api_url.empty() && !IsHttpUrl(c->forge_api_url)) {
    return dis.Fail("forge_api_url", "must be an http(s) URL");
  }
  if (!c->forge_api_url.empty()) {
    const size_t slash = c->forge_repository.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == c->forge_repository.size() ||
        c->forge_repository.find_first_of("/?#% ", slash + 1) != std::string::npos) {
      return dis.Fail("forge_repository", "must be \"owner/name\"");
    }
  }
  if (!c->forge_token_file.empty()) {
    const std::string token_path = RelativeToConfig(path, c->forge_token_file);
    std::ifstream in(token_path);
    if (!in) return dis.Fail("forge_token_file", "cannot read " + token_path);
    std::getline(in, c->forge_token);
    while (!c->forge_token.empty() &&
           std::isspace(static_cast<unsigned char>(c->forge_token.back()))) {
      c->forge_token.pop_back();
    }
  }
  if (c->forge_token.find_first_of("\r\n") != std::string::npos) {
    return dis.Fail("forge_token", "must be one line");
  }
  return Status::Ok();
}

// [mail]. Defaults for the domain and local part come from project.security_address.
Status LoadMailSection(const Table& root, const std::string& file, const std::string& path,
                       Config* c) {
  MailConfig& m = c->mail;
  Section mail(root, "mail", file);
  int64_t smtp = m.smtp_port, lmtp = m.lmtp_port, header = m.max_header_bytes,
          rcpt = m.max_recipients, errors = m.max_errors, idle = m.idle_timeout_seconds,
          conns = m.max_connections, cpm = m.connections_per_minute, mpm = m.messages_per_minute,
          atts = m.max_attachments, attempts = m.max_attempts, base = m.retry_base_seconds,
          max_retry = m.retry_max_seconds, smarthost_timeout = m.smarthost_timeout_seconds,
          per_address = m.connections_per_address, session = m.session_seconds;
  mail.Get("enabled", &m.enabled);
  mail.Get("smtp_address", &m.address);
  mail.Get("smtp_port", &smtp);
  mail.Get("lmtp_port", &lmtp);
  mail.Get("hostname", &m.hostname);
  mail.Get("domain", &m.domain);
  mail.Get("local_part", &m.local_part);
  mail.Get("max_message_bytes", &m.max_message_bytes);
  mail.Get("max_decrypted_bytes", &m.max_decrypted_bytes);
  mail.Get("max_mail_header_bytes", &header);
  mail.Get("max_recipients", &rcpt);
  mail.Get("max_errors", &errors);
  mail.Get("smtp_idle_timeout_seconds", &idle);
  mail.Get("smtp_max_connections", &conns);
  mail.Get("smtp_connections_per_address", &per_address);
  mail.Get("smtp_session_seconds", &session);
  mail.Get("connections_per_minute", &cpm);
  mail.Get("messages_per_minute", &mpm);
  mail.Get("max_attachment_bytes", &m.max_attachment_bytes);
  mail.Get("max_attachments", &atts);
  mail.Get("smarthost", &m.smarthost);
  mail.Get("smarthost_timeout_seconds", &smarthost_timeout);
  mail.Get("max_attempts", &attempts);
  mail.Get("retry_base_seconds", &base);
  mail.Get("retry_max_seconds", &max_retry);
  mail.Get("reminder", &m.reminder);
  mail.Get("authserv_id", &m.authserv_id);
  mail.Get("authserv_relays", &m.authserv_relays);
  VIGIL_RETURN_IF_ERROR(mail.Finish());
  if (m.authserv_relays.size() > 256) return mail.Fail("authserv_relays", "at most 256 entries");
  for (const std::string& r : m.authserv_relays) {
    Result<IpNetwork> n = IpNetwork::Parse(r);
    if (!n.ok()) return mail.Fail("authserv_relays", n.status().message());
  }
  auto range = [&](const char* key, int64_t v, int64_t lo, int64_t hi) {
    return v < lo || v > hi
               ? mail.Fail(key, "must be " + std::to_string(lo) + " to " + std::to_string(hi))
               : Status::Ok();
  };
  VIGIL_RETURN_IF_ERROR(range("smtp_port", smtp, -1, 65535));
  VIGIL_RETURN_IF_ERROR(range("lmtp_port", lmtp, -1, 65535));
  VIGIL_RETURN_IF_ERROR(range("max_message_bytes", m.max_message_bytes, 1024, int64_t{1} << 30));
  VIGIL_RETURN_IF_ERROR(
      range("max_decrypted_bytes", m.max_decrypted_bytes, 1024, int64_t{1} << 30));
  VIGIL_RETURN_IF_ERROR(range("max_mail_header_bytes", header, 1024, 1 << 20));
  VIGIL_RETURN_IF_ERROR(range("max_recipients", rcpt, 1, 10000));
  VIGIL_RETURN_IF_ERROR(range("max_errors", errors, 1, 1000));
  VIGIL_RETURN_IF_ERROR(range("smtp_idle_timeout_seconds", idle, 1, 3600));
  VIGIL_RETURN_IF_ERROR(range("smtp_max_connections", conns, 1, 100000));
  VIGIL_RETURN_IF_ERROR(range("smtp_connections_per_address", per_address, 1, 100000));
  VIGIL_RETURN_IF_ERROR(range("smtp_session_seconds", session, 1, 86400));
  VIGIL_RETURN_IF_ERROR(range("connections_per_minute", cpm, 0, 1000000));
  VIGIL_RETURN_IF_ERROR(range("messages_per_minute", mpm, 0, 1000000));
  VIGIL_RETURN_IF_ERROR(range("max_attachment_bytes", m.max_attachment_bytes, 0, int64_t{1} << 30));
  VIGIL_RETURN_IF_ERROR(range("max_attachments", atts, 0, 1000));
  VIGIL_RETURN_IF_ERROR(range("smarthost_timeout_seconds", smarthost_timeout, 1, 3600));
  VIGIL_RETURN_IF_ERROR(range("max_attempts", attempts, 1, 100));
  VIGIL_RETURN_IF_ERROR(range("retry_base_seconds", base, 1, 86400));
  VIGIL_RETURN_IF_ERROR(range("retry_max_seconds", max_retry, 1, 7 * 86400));
  if (m.smarthost.starts_with("maildir:")) {
    // A folder relative to the configuration file's, made absolute here so every command (and
    // `vigil mail outbox`) names the same Maildir.
    if (m.smarthost.size() == 8) return mail.Fail("smarthost", "maildir: needs a folder");
    m.smarthost = "maildir:" + RelativeToConfig(path, m.smarthost.substr(8));
  } else if (!m.smarthost.empty() && !m.smarthost.starts_with("smtp://") &&
             !m.smarthost.starts_with("smtps://")) {
    return mail.Fail("smarthost", "must start with smtp://, smtps:// or maildir:");
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
  m.connections_per_address = static_cast<int>(per_address);
  m.session_seconds = static_cast<int>(session);
  m.connections_per_minute = static_cast<int>(cpm);
  m.messages_per_minute = static_cast<int>(mpm);
  m.max_attachments = static_cast<int>(atts);
  m.smarthost_timeout_seconds = static_cast<int>(smarthost_timeout);
  m.max_attempts = static_cast<int>(attempts);
  m.retry_base_seconds = static_cast<int>(base);
  m.retry_max_seconds = static_cast<int>(max_retry);
  return Status::Ok();
}

// [project].
Status LoadProjectSection(const Table& root, const std::string& file, Config* c) {
  Section project(root, "project", file);
  project.Get("name", &c->project_name);
  project.Get("id_prefix", &c->id_prefix);
  project.Get("security_address", &c->security_address);
  project.Get("master_branch", &c->master_branch);
  project.Get("supported_branches", &c->supported_branches);
  project.Get("maintainers", &c->maintainers);
  project.Get("round_robin", &c->round_robin);
  project.Get("operator", &c->cli_operator);
  VIGIL_RETURN_IF_ERROR(project.Finish());
  c->cli_operator = LowerAscii(c->cli_operator);
  if (!c->cli_operator.empty() && !IsPlausibleEmail(c->cli_operator)) {
    return project.Fail("operator", "\"" + c->cli_operator + "\" is not an email");
  }
  if (Status s = ValidateIdPrefix(c->id_prefix); !s.ok()) {
    return project.Fail("id_prefix", s.message());
  }
  for (std::string& m : c->maintainers) {
    m = LowerAscii(m);
    if (!IsPlausibleEmail(m)) return project.Fail("maintainers", "\"" + m + "\" is not an email");
  }
  if (c->round_robin && c->maintainers.empty()) {
    return project.Fail("round_robin", "needs at least one entry in project.maintainers");
  }
  return Status::Ok();
}

// [embargo].
Status LoadEmbargoSection(const Table& root, const std::string& file, Config* c) {
  Section embargo(root, "embargo", file);
  int64_t cap = c->embargo_cap_days;
  embargo.Get("cap_days", &cap);
  VIGIL_RETURN_IF_ERROR(embargo.Finish());
  if (cap < 1 || cap > 365) return embargo.Fail("cap_days", "must be 1 to 365");
  c->embargo_cap_days = static_cast<int>(cap);
  return Status::Ok();
}

// [server].
Status LoadServerSection(const Table& root, const std::string& file, Config* c) {
  Section server(root, "server", file);
  int64_t port = c->listen_port, io = c->io_threads, workers = c->worker_threads,
          conns = c->max_connections, idle = c->idle_timeout_seconds, header = c->max_header_bytes,
          rate = c->submit_per_minute;
  server.Get("address", &c->listen_address);
  server.Get("port", &port);
  server.Get("public_url", &c->public_url);
  server.Get("io_threads", &io);
  server.Get("worker_threads", &workers);
  server.Get("max_connections", &conns);
  server.Get("idle_timeout_seconds", &idle);
  server.Get("max_body_bytes", &c->max_body_bytes);
  server.Get("max_header_bytes", &header);
  server.Get("submit_per_minute", &rate);
  server.Get("trusted_proxies", &c->trusted_proxies);
  VIGIL_RETURN_IF_ERROR(server.Finish());
  if (c->trusted_proxies.size() > 256) return server.Fail("trusted_proxies", "at most 256 entries");
  for (const std::string& p : c->trusted_proxies) {
    Result<IpNetwork> n = IpNetwork::Parse(p);
    if (!n.ok()) return server.Fail("trusted_proxies", n.status().message());
  }
  if (port < 0 || port > 65535) return server.Fail("port", "must be 0 to 65535");
  if (io < 0 || io > 64) return server.Fail("io_threads", "must be 0 to 64");
  if (workers < 1 || workers > 1024) return server.Fail("worker_threads", "must be 1 to 1024");
  if (conns < 1 || conns > 100000) return server.Fail("max_connections", "must be 1 to 100000");
  if (idle < 1 || idle > 3600) return server.Fail("idle_timeout_seconds", "must be 1 to 3600");
  if (c->max_body_bytes < 1024 || c->max_body_bytes > (int64_t{1} << 30)) {
    return server.Fail("max_body_bytes", "must be 1024 to 1073741824");
  }
  if (header < 1024 || header > (1 << 20)) {
    return server.Fail("max_header_bytes", "must be 1024 to 1048576");
  }
  if (rate < 0 || rate > 1000000) return server.Fail("submit_per_minute", "must be 0 to 1000000");
  c->listen_port = static_cast<uint16_t>(port);
  c->io_threads = static_cast<int>(io);
  c->worker_threads = static_cast<int>(workers);
  c->max_connections = static_cast<int>(conns);
  c->idle_timeout_seconds = static_cast<int>(idle);
  c->max_header_bytes = static_cast<int>(header);
  c->submit_per_minute = static_cast<int>(rate);
  return Status::Ok();
}

// [web]. *SECURE is web.secure_cookies when it is set (its default needs server.public_url).
// The policy and key files are read relative to the folder of PATH.
Status LoadWebSection(const Table& root, const std::string& file, const std::string& path,
                      std::optional<bool>* secure, Config* c) {
  Section web(root, "web", file);
  std::string policy_file, key_file;
  bool secure_value = false;
  int64_t session_hours = c->session_hours, ack_days = c->ack_working_days,
          max_files = c->max_attachments, per_account = c->login_failures_per_account,
          per_address = c->login_failures_per_address, token_days = c->api_token_days,
          capability_days = c->capability_days_after_close;
  web.Get("policy", &c->policy_markdown);
  web.Get("policy_file", &policy_file);
  web.Get("pgp_key_file", &key_file);
  if (root.contains("web") && root.at("web").is_table() &&
      root.at("web").contains("secure_cookies")) {
    web.Get("secure_cookies", &secure_value);
    *secure = secure_value;
  }
  web.Get("session_hours", &session_hours);
  web.Get("ack_working_days", &ack_days);
  web.Get("max_attachment_bytes", &c->max_attachment_bytes);
  web.Get("max_attachments", &max_files);
  web.Get("login_failures_per_account", &per_account);
  web.Get("login_failures_per_address", &per_address);
  web.Get("api_token_days", &token_days);
  web.Get("capability_days_after_close", &capability_days);
  VIGIL_RETURN_IF_ERROR(web.Finish());
  if (session_hours < 1 || session_hours > 24 * 30) {
    return web.Fail("session_hours", "must be 1 to 720");
  }
  if (ack_days < 1 || ack_days > 60) return web.Fail("ack_working_days", "must be 1 to 60");
  if (c->max_attachment_bytes < 1 || c->max_attachment_bytes > (int64_t{1} << 30)) {
    return web.Fail("max_attachment_bytes", "must be 1 to 1073741824");
  }
  if (max_files < 0 || max_files > 100) return web.Fail("max_attachments", "must be 0 to 100");
  if (per_account < 1 || per_account > 1000) {
    return web.Fail("login_failures_per_account", "must be 1 to 1000");
  }
  if (per_address < 1 || per_address > 100000) {
    return web.Fail("login_failures_per_address", "must be 1 to 100000");
  }
  if (token_days < 1 || token_days > 3650) return web.Fail("api_token_days", "must be 1 to 3650");
  c->session_hours = static_cast<int>(session_hours);
  c->ack_working_days = static_cast<int>(ack_days);
  c->max_attachments = static_cast<int>(max_files);
  c->login_failures_per_account = static_cast<int>(per_account);
  c->login_failures_per_address = static_cast<int>(per_address);
  if (capability_days < 0 || capability_days > 3650) {
    return web.Fail("capability_days_after_close", "must be 0 to 3650");
  }
  c->api_token_days = static_cast<int>(token_days);
  c->capability_days_after_close = static_cast<int>(capability_days);
  const auto config_dir = std::filesystem::absolute(path).parent_path();
  auto read_small = [&](const std::string& key, const std::string& name,
                        std::string* out) -> Status {
    if (name.empty()) return Status::Ok();
    std::filesystem::path p(name);
    if (p.is_relative()) p = config_dir / p;
    std::error_code fec;
    const auto bytes = std::filesystem::file_size(p, fec);
    if (fec) return web.Fail(key, "cannot read " + p.string() + ": " + fec.message());
    if (bytes > (256 << 10)) return web.Fail(key, p.string() + " is larger than 256 KiB");
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    *out = text.str();
    return Status::Ok();
  };
  if (!policy_file.empty() && !c->policy_markdown.empty()) {
    return web.Fail("policy_file", "set either web.policy or web.policy_file, not both");
  }
  VIGIL_RETURN_IF_ERROR(read_small("policy_file", policy_file, &c->policy_markdown));
  VIGIL_RETURN_IF_ERROR(read_small("pgp_key_file", key_file, &c->pgp_public_key));
  if (c->policy_markdown.size() > (256 << 10)) return web.Fail("policy", "is larger than 256 KiB");
  return Status::Ok();
}

// [data]: the data folder, made absolute.
Status LoadDataSection(const Table& root, const std::string& file, const std::string& path,
                       Config* c) {
  Section data(root, "data", file);
  data.Get("dir", &c->data_dir);
  data.Get("totp_key_file", &c->totp_key_file);
  data.Get("backend", &c->data_backend);
  data.Get("url", &c->data_url);
  data.Get("password_file", &c->data_password_file);
  VIGIL_RETURN_IF_ERROR(data.Finish());
  if (c->data_dir.empty()) return data.Fail("dir", "must not be empty");
  if (c->data_backend != "sqlite" && c->data_backend != "postgres") {
    return data.Fail("backend", "must be \"sqlite\" or \"postgres\"");
  }
  if (c->data_backend == "postgres") {
    if (std::string why = PgUrlProblem(c->data_url); !why.empty()) return data.Fail("url", why);
  }
  if (!c->data_password_file.empty()) {
    c->data_password_file = RelativeToConfig(path, c->data_password_file);
  }
  if (!c->totp_key_file.empty()) c->totp_key_file = RelativeToConfig(path, c->totp_key_file);
  std::filesystem::path dir(c->data_dir);
  if (dir.is_relative()) {
    dir = std::filesystem::absolute(path).parent_path() / dir;
  }
  c->data_dir = dir.lexically_normal().string();
  return Status::Ok();
}

// [audit].
Status LoadAuditSection(const Table& root, const std::string& file, const std::string& path,
                        Config* c) {
  Section audit(root, "audit", file);
  int64_t seconds = c->audit_checkpoint_seconds, mail_seconds = c->audit_mail_seconds;
  audit.Get("signing_key_file", &c->audit_signing_key_file);
  audit.Get("checkpoint_log", &c->audit_checkpoint_log);
  audit.Get("checkpoint_seconds", &seconds);
  audit.Get("mail_to", &c->audit_mail_to);
  audit.Get("mail_seconds", &mail_seconds);
  VIGIL_RETURN_IF_ERROR(audit.Finish());
  if (seconds < 1 || seconds > 3600) return audit.Fail("checkpoint_seconds", "must be 1 to 3600");
  c->audit_checkpoint_seconds = static_cast<int>(seconds);
  if (mail_seconds < 60 || mail_seconds > 604800) {
    return audit.Fail("mail_seconds", "must be 60 to 604800");
  }
  c->audit_mail_seconds = static_cast<int>(mail_seconds);
  c->audit_mail_to = LowerAscii(c->audit_mail_to);
  if (!c->audit_mail_to.empty() && !IsPlausibleEmail(c->audit_mail_to)) {
    return audit.Fail("mail_to", "\"" + c->audit_mail_to + "\" is not an email");
  }
  if (!c->audit_signing_key_file.empty()) {
    c->audit_signing_key_file = RelativeToConfig(path, c->audit_signing_key_file);
  }
  if (!c->audit_checkpoint_log.empty()) {
    c->audit_checkpoint_log = RelativeToConfig(path, c->audit_checkpoint_log);
  }
  return Status::Ok();
}

// [repository].
Status LoadRepositorySection(const Table& root, const std::string& file, const std::string& path,
                             Config* c) {
  Section repository(root, "repository", file);
  repository.Get("path", &c->repository_path);
  repository.Get("committer_name", &c->committer_name);
  repository.Get("committer_email", &c->committer_email);
  VIGIL_RETURN_IF_ERROR(repository.Finish());
  if (!c->repository_path.empty()) c->repository_path = RelativeToConfig(path, c->repository_path);
  if (!c->committer_email.empty() && !IsPlausibleEmail(c->committer_email)) {
    return repository.Fail("committer_email", "must be an email address");
  }
  return Status::Ok();
}

// [patch].
Status LoadPatchSection(const Table& root, const std::string& file, Config* c) {
  Section patch(root, "patch", file);
  int64_t patch_count = c->patch_max_count;
  patch.Get("max_bytes", &c->patch_max_bytes);
  patch.Get("max_patches", &patch_count);
  std::vector<int64_t> approvals(c->approvals_required.begin(), c->approvals_required.end());
  patch.Get("approvals_required", &approvals);
  int64_t per_minute = c->patch_work_per_minute, workers = c->patch_check_workers,
          queue = c->patch_check_queue;
  patch.Get("work_per_minute", &per_minute);
  patch.Get("check_workers", &workers);
  patch.Get("check_queue", &queue);
  VIGIL_RETURN_IF_ERROR(patch.Finish());
  if (per_minute < 0 || per_minute > 100000) {
    return patch.Fail("work_per_minute", "must be 0 (no limit) to 100000");
  }
  if (workers < 1 || workers > 64) return patch.Fail("check_workers", "must be 1 to 64");
  if (queue < 1 || queue > 10000) return patch.Fail("check_queue", "must be 1 to 10000");
  c->patch_work_per_minute = static_cast<int>(per_minute);
  c->patch_check_workers = static_cast<int>(workers);
  c->patch_check_queue = static_cast<int>(queue);
  if (approvals.size() != 7 ||
      std::any_of(approvals.begin(), approvals.end(), [](int64_t n) { return n < 1 || n > 10; })) {
    return patch.Fail("approvals_required", "must list 7 numbers (levels 1 to 7), each 1 to 10");
  }
  c->approvals_required.assign(approvals.begin(), approvals.end());
  if (c->patch_max_bytes < 1024 || c->patch_max_bytes > (int64_t{1} << 30)) {
    return patch.Fail("max_bytes", "must be 1024 to 1073741824");
  }
  if (patch_count < 1 || patch_count > 10000) {
    return patch.Fail("max_patches", "must be 1 to 10000");
  }
  c->patch_max_count = static_cast<int>(patch_count);
  return Status::Ok();
}

// [report_form]: a preset, the keys asked for in order (optional), and [[report_form.field]]
// tables that change or add a field. A key the preset lacks takes its wording from the other
// preset unless a field table gives it.
Status LoadReportFormSection(const Table& root, const std::string& file, Config* c) {
  Section s(root, "report_form", file);
  // Without a preset: the wording Vigil asked before the form was configuration, so reports
  // written then keep their labels; `vigil init` writes preset = "generic".
  std::string preset = "kubernetes";
  std::vector<std::string> order;
  std::vector<Table> tables;
  s.Get("preset", &preset);
  s.Get("fields", &order);
  s.Get("field", &tables);
  VIGIL_RETURN_IF_ERROR(s.Finish());
  std::optional<ReportForm> form = PresetReportForm(preset);
  if (!form) return s.Fail("preset", "must be \"generic\" or \"kubernetes\"");
  const ReportForm other = preset == "generic" ? KubernetesReportForm() : GenericReportForm();
  // Every definition a key can take, the preset's first.
  auto definition = [&](const std::string& key) -> FormField* {
    for (FormField& f : form->fields) {
      if (f.key == key) return &f;
    }
    if (const FormField* f = other.Find(key)) {
      form->fields.push_back(*f);
      return &form->fields.back();
    }
    return nullptr;
  };
  std::vector<std::string> changed;  // the key of each field table, in order
  for (size_t i = 0; i < tables.size(); ++i) {
    const std::string where = "field[" + std::to_string(i + 1) + "]";
    const Table& t = tables[i];
    if (!t.is_table()) return s.Fail(where, "must be a table");
    for (const auto& [k, v] : t.as_table()) {
      if (k != "key" && k != "label" && k != "help" && k != "required" && k != "rows" &&
          k != "headings") {
        return s.Fail(where + "." + k, "unknown key");
      }
    }
    std::string key;
    try {
      key = toml::find<std::string>(t, "key");
    } catch (const std::exception&) {
      return s.Fail(where + ".key", "missing, or not a string");
    }
    FormField* f = IsStoredFieldKey(key) ? definition(key) : nullptr;
    if (!f) {
      return s.Fail(where + ".key", "\"" + key.substr(0, 80) +
                                        "\" is not a stored field (subject, steps, "
                                        "effects_cluster, effects_applications, "
                                        "effects_infrastructure, workflows, attack_vectors, "
                                        "other_software)");
    }
    if (std::find(changed.begin(), changed.end(), key) != changed.end()) {
      return s.Fail(where + ".key", "\"" + key + "\" has a field table already");
    }
    changed.push_back(key);
    const char* at = "";
    try {
      if (t.contains("label")) f->label = toml::find<std::string>(t, at = "label");
      if (t.contains("help")) f->help = toml::find<std::string>(t, at = "help");
      if (t.contains("required")) f->required = toml::find<bool>(t, at = "required");
      if (t.contains("rows")) {
        const int64_t rows = toml::find<int64_t>(t, at = "rows");
        f->rows = rows < 0 || rows > 40 ? -1 : static_cast<int>(rows);
      }
      if (t.contains("headings")) {
        f->headings = toml::find<std::vector<std::string>>(t, at = "headings");
      }
    } catch (const std::exception&) {
      return s.Fail(where + "." + at, "wrong type");
    }
  }
  if (!order.empty()) {
    ReportForm ordered;
    for (const std::string& key : order) {
      const FormField* f = IsStoredFieldKey(key) ? definition(key) : nullptr;
      if (!f) {
        return s.Fail("fields", "\"" + key.substr(0, 80) + "\" is not a stored field");
      }
      ordered.fields.push_back(*f);
    }
    form = std::move(ordered);
  }
  for (size_t i = 0; i < changed.size(); ++i) {
    if (!form->Find(changed[i])) {
      return s.Fail("field[" + std::to_string(i + 1) + "].key",
                    "\"" + changed[i] + "\" is not in report_form.fields");
    }
  }
  if (std::optional<std::string> err = CheckReportForm(*form)) {
    return Status::Invalid(file + ": report_form: " + *err);
  }
  c->report_form = std::move(*form);
  return Status::Ok();
}
}  // namespace

namespace {

constexpr int kMaxTomlNesting = 32;

// The line (from 1) where TEXT nests arrays and inline tables deeper than kMaxTomlNesting, or 0.
// toml11 parses nested values by recursion: a kilobyte of "[" overflowed the stack (found by
// fuzz_config). Brackets in strings and comments do not count; table headers ("[a]", "[[a]]")
// open and close on their line.
int TooDeeplyNested(std::string_view text) {
  int depth = 0, line = 1;
  size_t i = 0;
  auto starts = [&text, &i](std::string_view s) { return text.substr(i, s.size()) == s; };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (starts("\"\"\"") || starts("'''")) {
      const std::string_view close = text.substr(i, 3);
      i += 3;
      while (i < text.size() && !starts(close)) {
        if (text[i] == '\n') ++line;
        i += close[0] == '"' && text[i] == '\\' ? 2 : 1;
      }
      i += 3;
      while (i < text.size() && text[i] == close[0]) ++i;  // """a"""" ends with a quote
    } else if (c == '"' || c == '\'') {
      ++i;
      while (i < text.size() && text[i] != c && text[i] != '\n') {
        i += c == '"' && text[i] == '\\' ? 2 : 1;
      }
      ++i;
    } else {
      if (c == '[' || c == '{') {
        if (++depth > kMaxTomlNesting) return line;
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      }
      ++i;
    }
  }
  return 0;
}

}  // namespace

int Config::IoThreads() const {
  if (io_threads > 0) return io_threads;
  const int cpus = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, cpus - 1);
}

Result<Config> LoadConfig(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound("cannot read " + path + ": " + ec.message());
  if (size > kMaxConfigBytes) return Status::TooLarge(path + ": larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Status::NotFound("cannot read " + path);
  // TOML is UTF-8, and toml11 reads past its buffer on some malformed sequences (found by
  // fuzz_config): other bytes never reach it.
  if (const size_t bad = FirstInvalidUtf8(text); bad != std::string::npos) {
    return Status::Invalid(path + ": not UTF-8 (byte " + std::to_string(bad + 1) + ")");
  }
  if (const int line = TooDeeplyNested(text); line > 0) {
    return Status::Invalid(path + ": line " + std::to_string(line) +
                           ": arrays and inline tables nested deeper than " +
                           std::to_string(kMaxTomlNesting));
  }
  Table root;
  try {
    std::istringstream stream(text);
    root = toml::parse<toml::discard_comments>(stream, path);
  } catch (const std::exception& e) {
    std::string what = e.what();
    const size_t nl = what.find('\n');
    return Status::Invalid(path + ": " + what.substr(0, nl));
  }
  const std::string file = std::filesystem::path(path).filename().string();
  for (const auto& [k, v] : root.as_table()) {
    if (k != "project" && k != "embargo" && k != "server" && k != "web" && k != "data" &&
        k != "audit" && k != "advisory" && k != "disclosure" && k != "mail" && k != "repository" &&
        k != "patch" && k != "report_form") {
      return Status::Invalid(file + ": " + k + ": unknown key");
    }
  }
  Config c;
  std::optional<bool> secure;
  VIGIL_RETURN_IF_ERROR(LoadProjectSection(root, file, &c));
  VIGIL_RETURN_IF_ERROR(LoadEmbargoSection(root, file, &c));
  VIGIL_RETURN_IF_ERROR(LoadServerSection(root, file, &c));
  VIGIL_RETURN_IF_ERROR(LoadWebSection(root, file, path, &secure, &c));
  VIGIL_RETURN_IF_ERROR(LoadDataSection(root, file, path, &c));
  VIGIL_RETURN_IF_ERROR(LoadAuditSection(root, file, path, &c));
  VIGIL_RETURN_IF_ERROR(LoadRepositorySection(root, file, path, &c));
  VIGIL_RETURN_IF_ERROR(LoadDisclosureSections(root, file, path, &c));
  VIGIL_RETURN_IF_ERROR(LoadMailSection(root, file, path, &c));
  VIGIL_RETURN_IF_ERROR(LoadPatchSection(root, file, &c));
  VIGIL_RETURN_IF_ERROR(LoadReportFormSection(root, file, &c));
  if (c.public_url.empty()) {
    c.public_url = "http://" + c.listen_address + ":" + std::to_string(c.listen_port);
  }
  c.secure_cookies = secure.value_or(c.public_url.starts_with("https://"));
  return c;
}

}  // namespace vigil
