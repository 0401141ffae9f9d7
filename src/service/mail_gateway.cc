#include "service/mail_gateway.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "core/log_line.h"
#include "core/report_id.h"
#include "core/text.h"
#include "mail/authentication_results.h"
#include "patch/mailinfo.h"
#include "patch/patch_id.h"
#include "patch/trailers.h"
#include "service/credentials.h"

namespace vigil {
namespace {

namespace json = boost::json;

std::string CutUtf8(std::string_view s, size_t n) { return std::string(Utf8Prefix(s, n)); }

std::string Lf(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    out += raw[i];
  }
  return out;
}

std::string AttachmentList(const mail::DecodedMail& m) {
  std::string out;
  for (const mail::Attachment& a : m.attachments) {
    out += "\n[attachment: " + (a.filename.empty() ? std::string("(unnamed)") : a.filename) + ", " +
           a.content_type + ", " + std::to_string(a.size) + " bytes" +
           (a.omitted ? ", not kept: over the attachment limit" : "") + "]";
  }
  return out;
}

// The largest public key taken from a report's attachment.
constexpr size_t kMaxReporterKeyBytes = 64 << 10;

// The Message-ID given to a mail that has none: "<inbox-id>@inbox.vigil.invalid".
constexpr char kSyntheticIdSuffix[] = "@inbox.vigil.invalid";

// A Message-ID without its angle brackets (mailinfo keeps them, GMime drops them).
std::string BareMessageId(std::string_view id) {
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  return std::string(id);
}

// The branch a patch subject names in its prefix, "[PATCH release-1.0 v2 1/3] ..." (one of
// BRANCHES), or "" for the default.
std::string BranchInSubjectPrefix(std::string_view subject,
                                  const std::vector<std::string>& branches) {
  while (!subject.empty() && subject.front() == ' ') subject.remove_prefix(1);
  if (subject.empty() || subject.front() != '[') return "";
  const size_t end = subject.find(']');
  if (end == std::string_view::npos) return "";
  std::istringstream words(std::string(subject.substr(1, end - 1)));
  for (std::string w; words >> w;) {
    if (std::find(branches.begin(), branches.end(), w) != branches.end()) return w;
  }
  return "";
}

}  // namespace

MailGateway::MailGateway(Store& store, const Clock& clock, const Config& config,
                         ReportService& reports, PatchService& patches, const mail::ProjectKey* key)
    : store_(store),
      clock_(clock),
      config_(config),
      reports_(reports),
      patches_(patches),
      key_(key),
      tags_(MailTags::Load(MailTags::KeyPath(config.data_dir))) {
  address_.local = config.mail.local_part;
  address_.domain = config.mail.domain;
  mime_limits_.max_attachment_bytes = static_cast<size_t>(config.mail.max_attachment_bytes);
  mime_limits_.max_attachments = static_cast<size_t>(config.mail.max_attachments);
  if (!tags_.ok()) {
    spdlog::error("{}", LogLine("mail: no reply addresses can be proven",
                                {{"error", tags_.status().message()}}));
  }
  for (const std::string& r : config.mail.authserv_relays) {
    if (Result<IpNetwork> n = IpNetwork::Parse(r); n.ok()) authserv_relays_.push_back(*n);
  }
  InitCrypto();
}

MailGateway::~MailGateway() { StopProcessor(); }

Status MailGateway::CheckRecipient(std::string_view address) {
  if (!mail::MatchSecurityRecipient(address, address_)) {
    return Status::NotFound("recipient not accepted");
  }
  return Status::Ok();
}

Result<std::string> MailGateway::Deliver(const mail::Envelope& envelope, std::string message) {
  const auto& mc = config_.mail;
  if (message.empty()) return Status::Invalid("message is empty");
  if (message.size() > static_cast<size_t>(mc.max_message_bytes)) {
    return Status::TooLarge("message is larger than " + std::to_string(mc.max_message_bytes) +
                            " bytes");
  }
  if (message.find('\0') != std::string::npos) {
    return Status::Invalid("message contains NUL bytes");
  }
  // Only the MTA owning [mail] authserv_id may vouch for a sender: mail that did not come
  // through it loses every field claiming that id before it is stored (RFC 8601 section 5).
  // LMTP and `vigil ingest` are that MTA's; an SMTP client is when it is one of its relays.
  const bool through_mta =
      envelope.lmtp || envelope.client == "ingest" ||
      std::any_of(authserv_relays_.begin(), authserv_relays_.end(),
                  [&](const IpNetwork& n) { return n.Contains(envelope.client); });
  if (!mc.authserv_id.empty() && !through_mta) {
    int removed = 0;
    message = mail::RemoveAuthenticationResults(message, mc.authserv_id, &removed);
    if (removed > 0) {
      spdlog::info("{}", LogLine("mail: removed Authentication-Results fields claiming our MTA's "
                                 "authserv-id from a client that is not that MTA",
                                 {{"client", envelope.client}, {"fields", removed}}));
    }
  }
  size_t header_end = message.find("\n\r\n");
  if (header_end == std::string::npos) header_end = message.find("\n\n");
  if (header_end == std::string::npos) header_end = message.size();
  if (header_end > static_cast<size_t>(mc.max_header_bytes)) {
    return Status::TooLarge("message header is larger than " + std::to_string(mc.max_header_bytes) +
                            " bytes");
  }
  {
    const size_t eol = message.find('\n');
    const std::string_view first(message.data(), eol == std::string::npos ? message.size() : eol);
    const size_t colon = first.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        first.substr(0, colon).find_first_of(" \t") != std::string_view::npos) {
      if (!first.starts_with("From ")) {
        return Status::Invalid("message does not start with a header field");
      }
    }
  }
  for (const std::string& r : envelope.recipients) {
    if (!CheckRecipient(r).ok()) return Status::Invalid("recipient <" + r + "> not accepted");
  }
  // A mail the MIME reader would have to build a million parts for is refused now, before it is
  // acknowledged, not found unreadable later.
  VIGIL_RETURN_IF_ERROR(mail::CheckMimeShape(message, mime_limits_));
  InboxMail in;
  // Encrypted mail is decrypted now, while the client waits, so one we cannot read is refused
  // with a reason instead of being acknowledged and lost to nobody-can-read-it.
  std::string lower_head = LowerAscii(message.substr(0, header_end));
  if (lower_head.find("multipart/encrypted") != std::string::npos ||
      message.find("-----BEGIN PGP MESSAGE-----") != std::string::npos) {
    Result<mail::DecodedMail> decoded = mail::DecodeMail(message, mime_limits_);
    if (decoded.ok() && decoded->encryption != mail::Encryption::kNone) {
      if (!key_) {
        return Status::Denied("encrypted mail cannot be read: this server has no OpenPGP key");
      }
      const size_t cap = static_cast<size_t>(config_.mail.max_decrypted_bytes);
      Result<std::string> plain = decrypt_ ? decrypt_(decoded->encrypted_payload, cap)
                                           : key_->Decrypt(decoded->encrypted_payload, cap);
      if (plain.status().code() == Code::kTooLarge) {
        return Quarantine(envelope, message, plain.status());
      }
      if (!plain.ok()) return plain.status();
      in.plaintext = std::move(plain).value();
    }
  }
  in.id = NewMailId();
  in.received_at = clock_.Now();
  in.client = envelope.client;
  in.mail_from = envelope.mail_from;
  in.recipients = envelope.recipients;
  in.raw = std::move(message);
  WriteBatch b;
  b.mail.inbox.push_back(std::move(in));
  const std::string id = b.mail.inbox.back().id;
  Result<WriteResult> w = store_.Write(std::move(b));
  if (!w.ok()) {
    spdlog::error("{}", LogLine("mail not stored", {{"error", w.status().message()}}));
    return Status::Unavailable("storage failure; try again later");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = true;
  }
  wake_.notify_one();
  return id;
}

Status MailGateway::Quarantine(const mail::Envelope& envelope, std::string message,
                               const Status& why) {
  InboxMail in;
  in.id = NewMailId();
  in.received_at = clock_.Now();
  in.client = envelope.client;
  in.mail_from = envelope.mail_from;
  in.recipients = envelope.recipients;
  in.raw = std::move(message);  // the encrypted original: it is never decrypted whole
  in.state = "processed";
  in.outcome = "quarantined: " + why.message();
  WriteBatch b;
  b.now = in.received_at;
  b.mail.inbox.push_back(in);
  Result<WriteResult> w = store_.Write(std::move(b));
  if (!w.ok()) {
    spdlog::error("{}", LogLine("mail not stored", {{"error", w.status().message()}}));
    return Status::Unavailable("storage failure; try again later");
  }
  spdlog::warn("{}",
               LogLine("mail: quarantined, not processed",
                       {{"inbox", in.id}, {"client", envelope.client}, {"why", why.message()}}));
  return Status::TooLarge(why.message() + "; kept in quarantine as " + in.id);
}

std::function<void(WriteBatch&)> MailGateway::Processed(const InboxMail& in,
                                                        const mail::DecodedMail& m,
                                                        const std::string& outcome,
                                                        const std::string& report_id) const {
  const Instant now = clock_.Now();
  return [in_id = in.id, mid = m.message_id, outcome, report_id, now](WriteBatch& b) {
    b.now = now;
    b.mail.processed.push_back({in_id, outcome, report_id});
    if (!mid.empty()) b.mail.message_ids.push_back({mid, report_id, "in", now});
  };
}

Status MailGateway::MarkOnly(const InboxMail& in, const std::string& outcome) {
  WriteBatch b;
  b.now = clock_.Now();
  b.mail.processed.push_back({in.id, outcome, ""});
  return store_.Write(std::move(b)).status();
}

bool MailGateway::IsMaintainer(const Report& r, const std::string& email) const {
  if (const Participant* p = r.FindParticipant(email)) {
    if (p->role == Role::kMaintainer || p->role == Role::kCoordinator) return true;
  }
  if (email == r.coordinator) return true;
  Result<std::optional<Account>> a = store_.FindAccount(email);
  return a.ok() && a->has_value() && MayCoordinate((*a)->role, (*a)->disabled);
}

std::optional<Principal> MailGateway::SenderOn(const Report& r, const std::string& email) const {
  if (email.empty()) return std::nullopt;
  Principal p;
  p.email = email;
  Result<std::optional<Account>> a = store_.FindAccount(email);
  if (a.ok() && a->has_value() && !(*a)->disabled) {
    p.kind = Principal::Kind::kAccount;
    p.account_role = (*a)->role;
    // Maintainers and admins see every report; members only those they are on.
    if (p.account_role != AccountRole::kMember || r.FindParticipant(email)) return p;
    return std::nullopt;
  }
  if (!r.FindParticipant(email)) return std::nullopt;
  p.kind = Principal::Kind::kCapability;
  p.report_id = r.id;
  return p;
}

Status MailGateway::Process(const InboxMail& in) {
  std::lock_guard<std::mutex> guard(process_mu_);
  // One message at a time across processes too (the CLI's ingest, every server instance on the
  // database): the store's lock, which a killed process lets go of.
  Result<std::unique_ptr<RunLock>> lock = store_.TryRunLock("mail-processing", /*wait=*/true);
  if (!lock.ok()) return lock.status();
  return ProcessOne(in);
}

Status MailGateway::ProcessOne(const InboxMail& in) {
  // Another process may have processed it while this one waited for the lock.
  Result<std::optional<InboxMail>> current = store_.FindInboxMail(in.id);
  VIGIL_RETURN_IF_ERROR(current.status());
  if (!current->has_value() || (*current)->state != "stored") return Status::Ok();
  const std::string raw = Lf(in.raw);
  Result<mail::DecodedMail> decoded = mail::DecodeMail(raw, mime_limits_);
  if (!decoded.ok()) return MarkOnly(in, "rejected: " + decoded.status().message());
  mail::DecodedMail& m = *decoded;
  if (!in.plaintext.empty()) mail::ApplyDecrypted(&m, in.plaintext, mime_limits_);

  if (!m.message_id.empty()) {
    Result<bool> seen = store_.SeenIncoming(m.message_id);
    VIGIL_RETURN_IF_ERROR(seen.status());
    if (*seen) return MarkOnly(in, "duplicate");  // the same mail delivered twice
  }
  // Where the mail says it belongs: the plus-address, then the thread, then the subject tag.
  std::string target;
  std::optional<mail::SecurityRecipient> addressed;  // the recipient that named it
  for (const std::string& rcpt : in.recipients) {
    std::optional<mail::SecurityRecipient> r = mail::ParseSecurityRecipient(rcpt, address_);
    if (r && !r->report_id.empty()) {
      target = r->report_id;
      addressed = std::move(r);
      break;
    }
  }
  if (target.empty()) {
    std::vector<std::string> ids = m.references;
    if (!m.in_reply_to.empty()) ids.insert(ids.begin(), m.in_reply_to);
    if (!m.dsn_original_message_id.empty()) ids.insert(ids.begin(), m.dsn_original_message_id);
    for (const std::string& id : ids) {
      Result<std::optional<std::string>> r = store_.ReportOfMessageId(id);
      VIGIL_RETURN_IF_ERROR(r.status());
      if (r->has_value()) {
        target = **r;
        break;
      }
    }
  }
  if (target.empty()) target = mail::SubjectReportTag(m.subject);

  if (m.is_dsn || (in.mail_from.empty() && !m.dsn_failed.empty())) return Bounce(in, m, addressed);

  std::optional<Report> report;
  if (!target.empty()) {
    Result<Report> r = store_.GetReport(target);
    if (r.ok()) {
      report = std::move(r).value();
    } else if (r.status().code() != Code::kNotFound) {
      return r.status();
    }
  }
  if (!report) return NewReport(in, m, "");
  const Proof proof = Prove(in, m, *report, addressed ? &*addressed : nullptr);
  if (!proof.email.empty()) {
    if (std::optional<Principal> sender = SenderOn(*report, proof.email)) {
      patch::MailinfoOptions opts;
      Result<patch::MailInfo> info = patch::ParseMail(raw, opts);
      if (info.ok() && !info->patch.empty()) {
        return HandOverPatch(in, m, *report, *sender, proof, raw);
      }
      return Reply(in, m, *report, *sender, proof);
    }
  }
  return Hold(in, m, *report,
              proof.email.empty()
                  ? proof.why
                  : proof.email + " (" + proof.how + ") is not read into " + report->id);
}

MailGateway::Proof MailGateway::Prove(const InboxMail& in, const mail::DecodedMail& m,
                                      const Report& r,
                                      const mail::SecurityRecipient* addressed) const {
  // Their personal reply address: the tag names one person on this report.
  if (addressed && addressed->report_id == r.id && addressed->outbox_id == 0 &&
      !addressed->tag.empty()) {
    if (tags_.ok()) {
      for (const Participant& p : r.participants) {
        if (p.email.empty() || !r.FindParticipant(p.email)) continue;  // removed: revoked
        if (MailTags::Matches(addressed->tag, tags_->ReplyTag(r.id, p.email))) {
          return {p.email, "reply-address", ""};
        }
      }
    }
  }
  // An RFC 3156 signature by a key on record for the From: address: one set for it (`vigil mail
  // set-key`, a participant's key) or, for the report's reporter, the key they gave with it.
  std::string signature_why;
  if (IsPlausibleEmail(m.from_email)) {
    if (std::optional<mail::PgpSignedParts> parts = mail::FindPgpSignedParts(in.raw)) {
      std::vector<std::string> keys;
      Result<std::optional<MailKey>> set = store_.FindMailKey(m.from_email);
      if (set.ok() && set->has_value()) keys.push_back((*set)->armored);
      const Participant* p = r.FindParticipant(m.from_email);
      if (p && p->role == Role::kReporter) {
        Result<std::optional<ReporterPrefs>> prefs = store_.GetReporterPrefs(r.id);
        if (prefs.ok() && prefs->has_value() && !(*prefs)->public_key.empty()) {
          keys.push_back((*prefs)->public_key);
        }
      }
      signature_why =
          keys.empty() ? "signed, but no OpenPGP key is on record for " + m.from_email : "";
      for (const std::string& key : keys) {
        Result<std::string> signer =
            mail::VerifyDetachedSignature(parts->signed_entity, parts->signature, key);
        if (signer.ok()) return {m.from_email, "openpgp", ""};
        signature_why = "signed, but " + signer.status().message();
      }
    }
  }
  // The receiving MTA's word for the From: domain (topmost Authentication-Results only).
  if (!config_.mail.authserv_id.empty() && IsPlausibleEmail(m.from_email)) {
    const std::string domain = m.from_email.substr(m.from_email.rfind('@') + 1);
    if (mail::AuthenticatesDomain(in.raw, config_.mail.authserv_id, domain)) {
      return {m.from_email, "authentication-results", ""};
    }
  }
  if (!signature_why.empty()) return {"", "", signature_why};
  if (addressed && !addressed->tag.empty()) {
    return {"", "", "sent to a reply address that is not a participant's of " + r.id};
  }
  return {"", "",
          config_.mail.authserv_id.empty()
              ? "not sent to a personal reply address, and no MTA vouches for senders "
                "([mail] authserv_id is not set)"
              : "not sent to a personal reply address, and " + config_.mail.authserv_id +
                    " reports no DMARC or aligned DKIM pass for the From: domain"};
}

Status MailGateway::Hold(const InboxMail& in, const mail::DecodedMail& m, const Report& r,
                         const std::string& why) {
  std::string body(Trim(m.text));
  if (body.empty()) body = "(empty message)";
  body = CutUtf8(body + AttachmentList(m), kMaxMessageBytes - 64);
  std::string from = IsPlausibleEmail(m.from_email) ? m.from_email : std::string("(no address)");
  auto mark = Processed(in, m, "held: unverified sender", r.id);
  Result<ThreadMessage> held = reports_.HoldMessage(CutUtf8(from, 254), CutUtf8(m.from_name, 256),
                                                    r.id, mail::CleanText(body), why, mark);
  if (held.status().code() == Code::kConflict) {
    return MarkOnly(in, "rejected: " + held.status().message());
  }
  if (held.ok()) {
    spdlog::info("{}", LogLine("mail: held from an unverified sender",
                               {{"inbox", in.id}, {"report", r.id}}));
  }
  return held.status();
}

Status MailGateway::NewReport(const InboxMail& in, const mail::DecodedMail& m,
                              const std::string& note) {
  std::string subject(Trim(m.subject));
  if (subject.empty()) subject = "(no subject)";
  SubmitRequest req;
  req.fields = TemplateFromText(CutUtf8(subject, kMaxSubjectBytes),
                                note + m.text + AttachmentList(m), config_.report_form);
  req.free_text = true;
  if (IsPlausibleEmail(m.from_email)) {
    req.reporter_email = m.from_email;
    req.reporter_name = CutUtf8(m.from_name, 256);
  }
  Principal anonymous;
  auto mark = Processed(in, m, "new-report", "");
  std::vector<MailAttachment> attachments;
  for (const mail::Attachment& a : m.attachments) {
    attachments.push_back(
        {in.id, a.filename, a.content_type, static_cast<int64_t>(a.size), a.data});
  }
  // A public key attached to the report (application/pgp-keys, or an armoured key block): mail
  // to the reporter about this report is encrypted to it.
  std::string reporter_key;
  for (const mail::Attachment& a : m.attachments) {
    const bool looks_like_key =
        a.content_type == "application/pgp-keys" ||
        a.data.find("-----BEGIN PGP PUBLIC KEY BLOCK-----") != std::string::npos;
    if (!looks_like_key || a.data.empty() || a.data.size() > kMaxReporterKeyBytes) continue;
    if (!req.reporter_email.empty() && mail::PublicKeyFingerprint(a.data).ok()) {
      reporter_key = a.data;
      break;
    }
  }
  req.extend = [&](WriteBatch& b) {
    mark(b);
    b.mail.attachments = attachments;
    if (!reporter_key.empty()) {
      ReporterPrefs prefs;
      prefs.anonymous = false;  // with no credit name: the reporter has not chosen (pending)
      prefs.public_key = reporter_key;
      prefs.updated_at = clock_.Now();
      b.web.reporter_prefs = prefs;
      b.events.push_back({"", clock_.Now(), "mail", "reporter.preferences",
                          json::serialize(json::object{{"public_key_bytes", reporter_key.size()},
                                                       {"from", "mail attachment"}})});
    }
  };
  Result<Submitted> s = reports_.Submit(anonymous, std::move(req));
  if (s.ok()) {
    spdlog::info("{}", LogLine("mail: new report", {{"inbox", in.id}, {"report", s->id}}));
  }
  return s.status();
}

Status MailGateway::Reply(const InboxMail& in, const mail::DecodedMail& m, const Report& r,
                          const Principal& sender, const Proof& proof) {
  std::string body(Trim(m.text));
  if (body.empty()) body = "(empty message)";
  body = CutUtf8(body + AttachmentList(m), kMaxMessageBytes - 64);
  auto mark = Processed(in, m, "reply", r.id);
  // Review trailers count as approval of the revision replied to (found by the Message-ID of
  // one of its mails) only when the trailer names the sender and the sender is a maintainer.
  // The approval is the patch engine's (PatchService::Approve: an active maintainer account,
  // not an author of the revision, its latest revision); it is written before the reply, and a
  // retry after a crash finds it "already approved".
  std::vector<NewEvent> reviews;
  const bool maintainer = IsMaintainer(r, sender.email);
  // In-Reply-To first, then References from the nearest (last) to the thread's root.
  std::vector<std::string> replied(m.references.rbegin(), m.references.rend());
  if (!m.in_reply_to.empty()) replied.insert(replied.begin(), m.in_reply_to);
  Result<std::vector<PatchRevision>> revisions = store_.PatchRevisions(r.id);
  VIGIL_RETURN_IF_ERROR(revisions.status());
  const PatchRevision* revision = nullptr;
  for (const std::string& id : replied) {
    for (const PatchRevision& rev : *revisions) {
      std::istringstream ids(rev.message_ids);
      for (std::string mid; ids >> mid;) {
        if (BareMessageId(mid) == BareMessageId(id)) revision = &rev;
      }
    }
    if (revision) break;
  }
  std::string approval;  // "" = not tried; "approved" or why not
  for (const patch::Trailer& t : patch::ParseTrailers(m.text, patch::TrailerSource::kFollowup)) {
    if (!patch::IsApprovalTrailer(t)) continue;
    std::string why = !revision     ? "not a reply to a patch revision of this report"
                      : !maintainer ? "the sender is not a maintainer"
                      : !patch::TrailerMatchesSender(t, sender.email)
                          ? "the trailer names someone else than the sender"
                          : "";
    if (why.empty()) {
      if (approval.empty()) {
        Result<PatchRevision> approved = patches_.Approve(sender, r.id, revision->Name(), "");
        const Code code = approved.status().code();
        if (code == Code::kUnavailable || code == Code::kInternal || code == Code::kAborted) {
          return approved.status();
        }
        approval =
            approved.ok() || approved.status().message().find("is already approved by " +
                                                              sender.email) != std::string::npos
                ? "approved"
                : approved.status().message();
      }
      if (approval != "approved") why = approval;
    }
    json::object payload{{"trailer", t.name + ": " + t.value},
                         {"sender", sender.email},
                         {"proof", proof.how},
                         {"counted", why.empty()}};
    if (revision) payload["revision"] = revision->Name();
    if (!why.empty()) payload["why"] = why;
    reviews.push_back({r.id, clock_.Now(), sender.AuditName(),
                       why.empty() ? "patch.review" : "patch.review-ignored",
                       json::serialize(payload)});
  }
  Result<ThreadMessage> posted = reports_.PostMessage(sender, r.id, body, [&](WriteBatch& b) {
    mark(b);
    b.events.push_back({r.id, clock_.Now(), sender.AuditName(), "mail.proven",
                        json::serialize(json::object{
                            {"sender", sender.email}, {"proof", proof.how}, {"inbox", in.id}})});
    // Mail from them through their reply address shows their mailbox works: a bounce mark is
    // cleared.
    if (b.report && proof.how == "reply-address") {
      for (Participant& p : b.report->participants) {
        if (p.email != sender.email || !p.bouncing) continue;
        p.bouncing = false;
        b.events.push_back({r.id, clock_.Now(), sender.AuditName(), "participant.bouncing-cleared",
                            json::serialize(json::object{
                                {"email", p.email}, {"by", "their mail to their reply address"}})});
      }
    }
    b.events.insert(b.events.end(), reviews.begin(), reviews.end());
  });
  if (posted.status().code() == Code::kConflict) {
    return MarkOnly(in, "rejected: " + posted.status().message());
  }
  return posted.status();
}

Result<std::string> MailGateway::SubmitIfComplete(const InboxMail& in, const mail::DecodedMail& m,
                                                  const Report& r, const Principal& sender,
                                                  const patch::MailInfo& info,
                                                  const std::string& mail_text,
                                                  const std::string& message_id) {
  Result<std::vector<PatchRevision>> revisions = store_.PatchRevisions(r.id);
  VIGIL_RETURN_IF_ERROR(revisions.status());
  std::set<std::string> taken;  // Message-IDs already in a revision, without angle brackets
  for (const PatchRevision& rev : *revisions) {
    std::istringstream ids(rev.message_ids);
    for (std::string id; ids >> id;) taken.insert(BareMessageId(id));
    if (taken.count(BareMessageId(message_id))) return "in revision " + rev.Name();
  }
  const int total = std::max(1, info.series.total);
  const int index = std::clamp(info.series.index, 1, total);
  std::map<int, std::string> parts{{index, mail_text}};
  if (total > 1) {
    // The latest part of each other position from the same sender, same version and count,
    // not yet in a revision (rows come ordered by version, position, arrival).
    Result<std::vector<MailPatch>> rows = store_.MailPatches(r.id);
    VIGIL_RETURN_IF_ERROR(rows.status());
    std::map<int, const MailPatch*> latest;
    for (const MailPatch& p : *rows) {
      if (p.sender != sender.email || p.version != info.series.version || p.total != total ||
          p.index < 1 || p.index > total || p.index == index ||
          taken.count(BareMessageId(p.message_id))) {
        continue;
      }
      latest[p.index] = &p;
    }
    if (static_cast<int>(latest.size()) < total - 1) {
      return "part " + std::to_string(index) + " of " + std::to_string(total) +
             "; waiting for the others";
    }
    for (const auto& [position, p] : latest) {
      Result<std::optional<InboxMail>> stored = store_.FindInboxMail(p->inbox_id);
      VIGIL_RETURN_IF_ERROR(stored.status());
      if (!stored->has_value()) return Status::Internal("inbox message " + p->inbox_id + " lost");
      std::string text = Lf((*stored)->raw);
      if (p->message_id.ends_with(kSyntheticIdSuffix)) {
        text = "Message-ID: <" + p->message_id + ">\n" + text;
      }
      parts[position] = std::move(text);
    }
  }
  std::string mbox;
  for (const auto& [position, text] : parts) {
    mbox += "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n";
    mbox += text;
    if (!text.ends_with('\n')) mbox += '\n';
  }
  PatchSubmitOptions options;
  options.target_branch = BranchInSubjectPrefix(m.subject, patches_.Branches());
  Result<PatchRevision> rev = patches_.SubmitSeries(sender, r.id, mbox, options);
  if (rev.ok()) {
    spdlog::info("{}", LogLine("mail: patch series",
                               {{"inbox", in.id}, {"report", r.id}, {"revision", rev->Name()}}));
    return "revision " + rev->Name();
  }
  const Code code = rev.status().code();
  if (code == Code::kUnavailable || code == Code::kInternal || code == Code::kAborted) {
    return rev.status();
  }
  return "not taken as a revision: " + rev.status().message();
}

Status MailGateway::HandOverPatch(const InboxMail& in, const mail::DecodedMail& m, const Report& r,
                                  const Principal& sender, const Proof& proof,
                                  const std::string& normalized) {
  Result<patch::MailInfo> info = patch::ParseMail(normalized);
  VIGIL_RETURN_IF_ERROR(info.status());
  // A mail without a Message-ID gets one from its inbox id, so that the revision it joins
  // records it and a retry finds it there.
  std::string message_id = m.message_id;
  std::string text = normalized;
  if (message_id.empty()) {
    message_id = in.id + kSyntheticIdSuffix;
    text = "Message-ID: <" + message_id + ">\n" + text;
  }
  Result<std::string> outcome = SubmitIfComplete(in, m, r, sender, *info, text, message_id);
  VIGIL_RETURN_IF_ERROR(outcome.status());

  Result<std::vector<patch::PatchIdEntry>> ids =
      patch::ComputePatchIds(info->patch, patch::PatchIdMode::kStable);
  VIGIL_RETURN_IF_ERROR(ids.status());
  MailPatch p;
  p.report_id = r.id;
  p.inbox_id = in.id;
  p.message_id = message_id;
  p.subject = CutUtf8(info->subject, 1000);
  p.author = CutUtf8(info->author + " <" + info->email + ">", 600);
  p.sender = sender.email;
  p.version = info->series.version;
  p.index = info->series.index;
  p.total = info->series.total;
  p.patch_id = ids->empty() ? "" : ids->front().patch_id;
  p.received_at = in.received_at;
  const std::string body =
      CutUtf8("[PATCH v" + std::to_string(p.version) + " " + std::to_string(p.index) + "/" +
                  std::to_string(p.total) + "] " + p.subject + "\nAuthor: " + p.author +
                  "\nPatch-Id: " + p.patch_id + "\nSeries: " + *outcome + "\n\n" + info->message +
                  // mailinfo's patch starts at the "---" line when the mail has one.
                  (info->patch.starts_with("---") ? "" : "---\n") + info->patch,
              kMaxMessageBytes - 64);
  auto mark = Processed(in, m, "patch", r.id);
  json::object payload{{"message_id", p.message_id}, {"patch_id", p.patch_id},
                       {"version", p.version},       {"index", p.index},
                       {"total", p.total},           {"subject", p.subject},
                       {"series", *outcome},         {"proof", proof.how}};
  Result<ThreadMessage> posted =
      reports_.PostMessage(sender, r.id, mail::CleanText(body), [&](WriteBatch& b) {
        mark(b);
        b.mail.patches.push_back(p);
        b.events.push_back(
            {r.id, clock_.Now(), sender.AuditName(), "patch.mailed", json::serialize(payload)});
      });
  if (posted.status().code() == Code::kConflict) {
    return MarkOnly(in, "rejected: " + posted.status().message());
  }
  return posted.status();
}

Status MailGateway::Bounce(const InboxMail& in, const mail::DecodedMail& m,
                           const std::optional<mail::SecurityRecipient>& addressed) {
  // Only a report sent back to the bounce address of one of our messages counts, and only for
  // the recipient that address was made for: anyone can write a delivery-status report.
  if (!addressed || addressed->outbox_id <= 0 || addressed->tag.empty()) {
    return MarkOnly(in, "bounce: not to a bounce address of ours; ignored");
  }
  if (!tags_.ok()) return Status::Unavailable("mail tags: " + tags_.status().message());
  const std::string& report_id = addressed->report_id;
  std::string failed;
  for (const std::string& f : m.dsn_failed) {
    if (MailTags::Matches(addressed->tag, tags_->BounceTag(report_id, addressed->outbox_id, f))) {
      failed = LowerAscii(f);
      break;
    }
  }
  if (failed.empty()) {
    return MarkOnly(in, "bounce: the failed recipient is not the one message " +
                            std::to_string(addressed->outbox_id) + " went to; ignored");
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    Result<Report> r = store_.GetReport(report_id);
    if (!r.ok()) {
      if (r.status().code() == Code::kNotFound) return MarkOnly(in, "bounce: no report");
      return r.status();
    }
    Report after = *r;
    bool marked = false;
    for (Participant& p : after.participants) {
      if (!p.email.empty() && LowerAscii(p.email) == failed && !p.bouncing &&
          r->FindParticipant(p.email)) {
        p.bouncing = true;
        marked = true;
      }
    }
    if (!marked) return MarkOnly(in, "bounce: no participant");
    WriteBatch b;
    b.report = after;
    b.expected_version = r->version;
    b.events.push_back({report_id, clock_.Now(), "mail", "participant.bouncing",
                        json::serialize(json::object{{"emails", json::array{json::value(failed)}},
                                                     {"outbox_id", addressed->outbox_id}})});
    Processed(in, m, "bounce", report_id)(b);
    Result<WriteResult> w = store_.Write(std::move(b));
    if (w.status().code() != Code::kAborted) return w.status();
  }
  return Status::Unavailable("too much contention on " + report_id);
}

Status MailGateway::ProcessStored(const std::string& id) {
  Result<std::vector<InboxMail>> pending = store_.PendingInbox(1000);
  VIGIL_RETURN_IF_ERROR(pending.status());
  for (const InboxMail& in : *pending) {
    if (in.id == id) return Process(in);
  }
  return Status::Ok();
}

Result<int> MailGateway::ProcessPending(int limit) {
  int done = 0;
  while (done < limit) {
    Result<std::vector<InboxMail>> batch = store_.PendingInbox(std::min(64, limit - done));
    VIGIL_RETURN_IF_ERROR(batch.status());
    if (batch->empty()) break;
    for (const InboxMail& in : *batch) {
      Status s = Process(in);
      if (s.code() == Code::kUnavailable) return s;  // storage trouble: try again later
      if (!s.ok() && s.code() != Code::kConflict) {
        // A message that cannot be processed is kept (raw, as received) and set aside, so it
        // does not block the ones behind it.
        spdlog::warn("{}",
                     LogLine("mail: not processed", {{"inbox", in.id}, {"error", s.message()}}));
        VIGIL_RETURN_IF_ERROR(MarkOnly(in, "failed: " + s.message()));
      }
      ++done;
    }
  }
  return done;
}

void MailGateway::StartProcessor() {
  processor_ = std::thread([this] { ProcessorLoop(); });
}

void MailGateway::StopProcessor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (processor_.joinable()) processor_.join();
}

void MailGateway::ProcessorLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || pending_; });
      if (stopping_) return;
      pending_ = false;
    }
    Result<int> n = ProcessPending(1 << 20);
    if (!n.ok())
      spdlog::warn("{}", LogLine("mail: processing paused", {{"error", n.status().message()}}));
  }
}

}  // namespace vigil
