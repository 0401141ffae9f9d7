// `vigil ingest`, `vigil mail ...`, `vigil key export`, and the mail gateway of `vigil serve`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli_context.h"
#include "cli/command_table.h"
#include "mail/smtp_listener.h"
#include "service/mail_gateway.h"
#include "service/mail_sender.h"
#include "service/report_json.h"

namespace vigil {
namespace {

namespace json = boost::json;

// sysexits.h codes for MTAs that deliver to a program.
constexpr int kExDataErr = 65;
constexpr int kExTempFail = 75;

Result<std::string> ReadFile(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  if (s.str().size() > limit)
    return Status::TooLarge(path + " is larger than " + std::to_string(limit) + " bytes");
  return s.str();
}

void Ingest(CliContext& ctx, const std::vector<std::string>& recipients) {
  Result<const Config*> config = ctx.LoadConfig();
  Result<ReportService*> service =
      config.ok() ? ctx.Service() : Result<ReportService*>(config.status());
  if (!service.ok()) {
    std::fprintf(stderr, "vigil: %s\n", service.status().message().c_str());
    ctx.exit_code = kExTempFail;
    return;
  }
  const Config& c = **config;
  // Read at most one byte over the limit, so an oversized message is refused, not truncated.
  const size_t limit = static_cast<size_t>(c.mail.max_message_bytes);
  std::string message;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    message.append(buf, n);
    if (message.size() > limit) break;
  }
  Result<mail::ProjectKey> key = LoadProjectKey(c);
  Result<std::unique_ptr<MailGateway>> made =
      ctx.runtime.MakeMailGateway(key.ok() ? &*key : nullptr);
  if (!made.ok()) {
    std::fprintf(stderr, "vigil: %s\n", made.status().message().c_str());
    ctx.exit_code = kExTempFail;
    return;
  }
  MailGateway& gateway = **made;
  mail::Envelope env;
  env.client = "ingest";
  env.recipients = recipients;
  if (env.recipients.empty()) env.recipients.push_back(gateway.address().Plain());
  // The reason for a refusal must be the only line on stderr (MTAs quote it in the bounce);
  // librnp prints its own parser errors to stderr, so fd 2 is muted during the delivery.
  std::fflush(stderr);
  const int saved_stderr = dup(2);
  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0) dup2(devnull, 2);
  Result<std::string> id = gateway.Deliver(env, std::move(message));
  if (saved_stderr >= 0) {
    dup2(saved_stderr, 2);
    close(saved_stderr);
  }
  if (devnull >= 0) close(devnull);
  if (!id.ok()) {
    std::fprintf(stderr, "vigil: %s\n", id.status().message().c_str());
    const Code code = id.status().code();
    ctx.exit_code = code == Code::kUnavailable || code == Code::kAborted ||
                            code == Code::kInternal || code == Code::kRateLimited
                        ? kExTempFail
                        : kExDataErr;
    return;
  }
  // Stored: the MTA may forget the message. Processing now is a courtesy; if it fails, the
  // server's processor picks the message up.
  (void)gateway.ProcessStored(*id);
  ctx.Print("vigil: accepted as " + *id + "\n");
}

void ListOutbox(CliContext& ctx, const std::string& state) {
  Result<MailAdminService*> mail = ctx.MailAdmin();
  if (!ctx.Check(mail.status())) return;
  const std::optional<OutboxState> only = ParseOutboxState(state);
  Result<std::vector<OutboxEntry>> rows = (*mail)->Outbox(only, 1000);
  if (!ctx.Check(rows.status())) return;
  if (ctx.json) {
    json::array out;
    for (const OutboxEntry& e : *rows) out.push_back(OutboxJson(e));
    ctx.Print(json::serialize(out) + "\n");
    return;
  }
  for (const OutboxEntry& e : *rows) {
    ctx.Print(std::to_string(e.mail.id) + "  " + OutboxStateName(e.mail.state) + "  " +
              e.mail.report_id + "  " + e.mail.recipient + "  attempts " +
              std::to_string(e.mail.attempts) +
              (e.last_error.empty() ? "" : "  last error: " + e.last_error) + "\n");
  }
}

}  // namespace

Result<mail::ProjectKey> LoadProjectKey(const Config& config) {
  Result<std::string> text = ReadFile(config.ProjectKeyPath(), 1 << 20);
  if (!text.ok()) return text.status();
  return mail::ProjectKey::Load(*text);
}

Status CreateProjectKey(const Config& config) {
  std::error_code ec;
  if (std::filesystem::exists(config.ProjectKeyPath(), ec)) return Status::Ok();
  Result<mail::ProjectKey> key = mail::ProjectKey::Generate(config.project_name + " security <" +
                                                            config.security_address + ">");
  VIGIL_RETURN_IF_ERROR(key.status());
  const mode_t old = umask(077);
  std::ofstream out(config.ProjectKeyPath());
  out << key->secret_armored();
  out.close();
  umask(old);
  if (!out) return Status::Unavailable("cannot write " + config.ProjectKeyPath());
  return Status::Ok();
}

struct MailRuntime {
  std::optional<mail::ProjectKey> key;
  std::unique_ptr<MailGateway> gateway;
  std::unique_ptr<MailSender> sender;
  std::unique_ptr<mail::SmtpListener> listener;  // declared last: stopped first
  ~MailRuntime() {
    if (listener) listener->Stop();
    if (sender) sender->Stop();
    if (gateway) gateway->StopProcessor();
  }
};

Result<std::shared_ptr<MailRuntime>> StartMail(Runtime& runtime, const Config& c) {
  auto rt = std::make_shared<MailRuntime>();
  if (!c.mail.enabled) return rt;
  Result<mail::ProjectKey> key = LoadProjectKey(c);
  if (key.ok()) rt->key = std::move(key).value();
  const mail::ProjectKey* k = rt->key ? &*rt->key : nullptr;
  Result<std::unique_ptr<MailGateway>> gateway = runtime.MakeMailGateway(k);
  if (!gateway.ok()) return gateway.status();
  rt->gateway = std::move(gateway).value();
  rt->gateway->StartProcessor();
  if (!c.mail.smarthost.empty()) {
    Result<std::unique_ptr<MailSender>> sender = runtime.MakeMailSender(k);
    if (!sender.ok()) return sender.status();
    rt->sender = std::move(sender).value();
    rt->sender->Start();
  }
  mail::ListenerOptions o;
  o.hostname = c.mail.hostname;
  o.address = c.mail.address;
  o.smtp_port = c.mail.smtp_port;
  o.lmtp_port = c.mail.lmtp_port;
  o.max_connections = c.mail.max_connections;
  o.idle_timeout_seconds = c.mail.idle_timeout_seconds;
  o.connections_per_address = c.mail.connections_per_address;
  o.session_seconds = c.mail.session_seconds;
  o.connections_per_minute = c.mail.connections_per_minute;
  o.messages_per_minute = c.mail.messages_per_minute;
  o.io_threads = 2;
  o.worker_threads = 64;
  o.limits.max_message_bytes = static_cast<size_t>(c.mail.max_message_bytes);
  o.limits.max_recipients = static_cast<size_t>(c.mail.max_recipients);
  o.limits.max_errors = c.mail.max_errors;
  rt->listener = std::make_unique<mail::SmtpListener>(*rt->gateway, o);
  VIGIL_RETURN_IF_ERROR(rt->listener->Start());
  if (rt->listener->smtp_port() >= 0) {
    std::printf("vigil: smtp listening on %s:%d\n", c.mail.address.c_str(),
                rt->listener->smtp_port());
  }
  if (rt->listener->lmtp_port() >= 0) {
    std::printf("vigil: lmtp listening on %s:%d\n", c.mail.address.c_str(),
                rt->listener->lmtp_port());
  }
  std::fflush(stdout);
  return rt;
}

void AddMailCommands(CLI::App& app, CliContext& ctx) {
  auto recipients = std::make_shared<std::vector<std::string>>();
  auto* ingest = AddCommand(app, "ingest");
  ingest->add_option("--recipient", *recipients,
                     "Envelope recipient (repeatable; default: the security address)");
  ingest->callback([&ctx, recipients] { Ingest(ctx, *recipients); });

  auto* mail = AddCommand(app, "mail");
  mail->require_subcommand(1);
  auto state = std::make_shared<std::string>();
  auto* outbox =
      mail->add_subcommand("outbox", "List outbound mail (pending, sending, sent, dead)");
  outbox->add_option("--state", *state, "Only rows in this state")
      ->check(CLI::IsMember({"pending", "sending", "sent", "dead"}));
  outbox->add_flag("--json", ctx.json, "JSON output");
  outbox->callback([&ctx, state] { ListOutbox(ctx, *state); });

  auto id = std::make_shared<int64_t>(0);
  auto* retry = mail->add_subcommand("retry", "Queue a dead-lettered mail again, due now");
  retry->add_option("id", *id, "Outbox id (see `vigil mail outbox`)")->required();
  retry->callback([&ctx, id] {
    Result<MailAdminService*> admin = ctx.MailAdmin();
    if (!ctx.Check(admin.status())) return;
    if (ctx.Check((*admin)->Retry(ctx.Operator(), *id))) {
      ctx.Print("vigil: outbox mail " + std::to_string(*id) + " queued again\n");
    }
  });

  auto* inbox = mail->add_subcommand("inbox", "List received mail and what became of it");
  inbox->add_flag("--json", ctx.json, "JSON output");
  inbox->callback([&ctx] {
    Result<MailAdminService*> admin = ctx.MailAdmin();
    if (!ctx.Check(admin.status())) return;
    Result<std::vector<InboxMail>> rows = (*admin)->Inbox(100000);
    if (!ctx.Check(rows.status())) return;
    json::array out;
    for (const InboxMail& m : *rows) {
      if (ctx.json) {
        out.push_back(json::object{{"id", m.id},
                                   {"received_at", FormatUtcMicros(m.received_at)},
                                   {"client", m.client},
                                   {"mail_from", m.mail_from},
                                   {"state", m.state},
                                   {"outcome", m.outcome},
                                   {"report_id", m.report_id}});
      } else {
        ctx.Print(m.id + "  " + FormatUtc(m.received_at) + "  " + m.state + "  " + m.outcome +
                  "  " + m.report_id + "\n");
      }
    }
    if (ctx.json) ctx.Print(json::serialize(out) + "\n");
  });

  auto report = std::make_shared<std::string>();
  auto* patches = mail->add_subcommand("patches", "List the patches a report received by mail");
  patches->add_option("report", *report, "Report id")->required();
  patches->callback([&ctx, report] {
    Result<MailAdminService*> admin = ctx.MailAdmin();
    if (!ctx.Check(admin.status())) return;
    Result<std::vector<MailPatch>> rows = (*admin)->PatchMails(*report);
    if (!ctx.Check(rows.status())) return;
    for (const MailPatch& p : *rows) {
      ctx.Print("v" + std::to_string(p.version) + " " + std::to_string(p.index) + "/" +
                std::to_string(p.total) + "  " + p.patch_id + "  " + p.subject + "\n");
    }
  });

  auto email = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto* setkey = mail->add_subcommand("set-key", "Encrypt mail to EMAIL with the key in FILE");
  setkey->add_option("email", *email, "The person's address")->required();
  setkey->add_option("file", *file, "Armored OpenPGP public key file ('-' = stdin)")->required();
  setkey->callback([&ctx, email, file] {
    Result<MailAdminService*> admin = ctx.MailAdmin();
    if (!ctx.Check(admin.status())) return;
    Result<std::string> text =
        *file == "-"
            ? Result<std::string>(std::string(std::istreambuf_iterator<char>(std::cin), {}))
            : ReadFile(*file, 1 << 20);
    if (!ctx.Check(text.status())) return;
    if (ctx.Check((*admin)->SetKey(ctx.Operator(), *email, *text))) {
      ctx.Print("vigil: mail to " + LowerAscii(*email) + " will be encrypted\n");
    }
  });

  auto* reply_address = mail->add_subcommand(
      "reply-address", "Print a participant's personal reply address on a report");
  auto reply_id = std::make_shared<std::string>();
  reply_address->add_option("id", *reply_id, "Report id")->required();
  reply_address->add_option("email", *email, "The participant's address")->required();
  reply_address->callback([&ctx, reply_id, email] {
    Result<const Config*> c = ctx.LoadConfig();
    if (!ctx.Check(c.status())) return;
    Result<MailAdminService*> admin = ctx.MailAdmin();
    if (!ctx.Check(admin.status())) return;
    Result<std::string> a = (*admin)->ReplyAddress(**c, *reply_id, *email);
    if (ctx.Check(a.status())) ctx.Print(*a + "\n");
  });
  auto* bounce_address = mail->add_subcommand(
      "bounce-address", "Print the envelope sender (bounce address) an outbox mail went out with");
  auto outbox_id = std::make_shared<int64_t>(0);
  bounce_address->add_option("n", *outbox_id, "Outbox mail number (`vigil mail outbox`)")
      ->required();
  bounce_address->callback([&ctx, outbox_id] {
    Result<const Config*> c = ctx.LoadConfig();
    if (!ctx.Check(c.status())) return;
    Result<MailAdminService*> admin = ctx.MailAdmin();
    if (!ctx.Check(admin.status())) return;
    Result<std::string> a = (*admin)->BounceAddress(**c, *outbox_id);
    if (ctx.Check(a.status())) ctx.Print(*a + "\n");
  });

  auto* show = mail->add_subcommand(
      "show", "Print an outbox mail in full, as it goes (or went) out, before any encryption");
  auto show_id = std::make_shared<int64_t>(0);
  show->add_option("n", *show_id, "Outbox mail number (`vigil mail outbox`)")->required();
  show->add_flag("--json", ctx.json, "JSON output");
  show->callback([&ctx, show_id] {
    Result<const Config*> c = ctx.LoadConfig();
    if (!ctx.Check(c.status())) return;
    Result<MailAdminService*> admin = ctx.MailAdmin();
    if (!ctx.Check(admin.status())) return;
    Result<ShownMail> m = (*admin)->Show(**c, *show_id);
    if (!ctx.Check(m.status())) return;
    if (ctx.json) return ctx.Print(json::serialize(ShownMailJson(*m)) + "\n");
    const OutboxEntry& e = m->entry;
    std::string head = "outbox mail " + std::to_string(e.mail.id) + ": " +
                       OutboxStateName(e.mail.state) + ", " + std::to_string(e.mail.attempts) +
                       (e.mail.attempts == 1 ? " attempt" : " attempts");
    if (!e.last_error.empty()) head += ", last error: " + e.last_error;
    head += "\nenvelope sender: " + m->envelope_from + "\n";
    if (m->encrypted) head += "encrypted to the recipient's OpenPGP key (shown before that)\n";
    ctx.Print(head + "\n" + m->text);
  });

  auto* rotate = mail->add_subcommand("rotate-tag-key",
                                      "Replace the key of personal reply and bounce addresses "
                                      "(earlier ones stop proving anything)");
  rotate->callback([&ctx] {
    Result<const Config*> c = ctx.LoadConfig();
    if (!ctx.Check(c.status())) return;
    Result<MailAdminService*> admin = ctx.MailAdmin();
    if (!ctx.Check(admin.status())) return;
    if (ctx.Check((*admin)->RotateTagKey(ctx.Operator(), MailTags::KeyPath((*c)->data_dir)))) {
      ctx.Print(
          "vigil: new mail tag key; replies to earlier reply addresses are held as "
          "unverified from now on (restart `vigil serve` to use it)\n");
    }
  });

  auto* key = AddCommand(app, "key");
  key->require_subcommand(1);
  auto* exp = key->add_subcommand("export", "Print the public key (for SECURITY.md)");
  exp->callback([&ctx] {
    Result<const Config*> c = ctx.LoadConfig();
    if (!ctx.Check(c.status())) return;
    Result<mail::ProjectKey> k = LoadProjectKey(**c);
    if (!ctx.Check(k.status())) return;
    ctx.Print(k->public_armored());
  });
}

}  // namespace vigil
