#include "service/report_json.h"

#include <boost/json.hpp>

#include "core/level_policy.h"

namespace vigil {

namespace json = boost::json;

json::object FieldsJson(const TemplateFields& f) {
  return {{"subject", f.subject},
          {"steps", f.steps},
          {"effects_cluster", f.effects_cluster},
          {"effects_applications", f.effects_applications},
          {"effects_infrastructure", f.effects_infrastructure},
          {"workflows", f.workflows},
          {"attack_vectors", f.attack_vectors},
          {"other_software", f.other_software}};
}

json::object ReportJson(const Report& r) {
  json::array participants;
  for (const Participant& p : r.participants) {
    participants.push_back({{"email", p.email},
                            {"name", p.name},
                            {"role", RoleName(p.role)},
                            {"added_at", FormatUtc(p.added_at)},
                            {"added_by", p.added_by}});
  }
  const TemplateFields& f = r.fields;
  json::object o{
      {"id", r.id},
      {"title", f.subject},
      {"state", StateName(r.state)},
      {"level", r.level == 0 ? json::value(nullptr) : json::value(r.level)},
      {"route",
       r.level == 0 ? json::value(nullptr) : json::value(RouteName(PolicyForLevel(r.level).route))},
      {"coordinator", r.coordinator},
      {"fields", FieldsJson(f)},
      {"embargo",
       {{"state", EmbargoStateName(r.embargo.state)},
        {"start", FormatUtc(r.embargo.start)},
        {"end", FormatUtc(r.embargo.end)},
        {"cap_days", r.embargo.cap_days},
        {"reason", r.embargo.reason}}},
      {"duplicate_of", r.duplicate_of},
      {"reason", r.reason},
      {"created_at", FormatUtc(r.created_at)},
      {"updated_at", FormatUtc(r.updated_at)},
      {"participants", std::move(participants)},
  };
  return o;
}

json::object SummaryJson(const ReportSummary& s) {
  return {{"id", s.id},
          {"title", s.title},
          {"state", StateName(s.state)},
          {"level", s.level == 0 ? json::value(nullptr) : json::value(s.level)},
          {"coordinator", s.coordinator},
          {"created_at", FormatUtc(s.created_at)},
          {"updated_at", FormatUtc(s.updated_at)},
          {"embargo_end", FormatUtc(s.embargo_end)}};
}

json::object MessageJson(const ThreadMessage& m) {
  return {
      {"seq", m.seq},          {"author", m.author_email}, {"author_name", m.author_name},
      {"role", m.author_role}, {"body", m.body},           {"created_at", FormatUtc(m.created_at)},
      {"held", IsHeld(m)}};
}

json::object OutboxJson(const OutboxEntry& e) {
  return {{"id", e.mail.id},
          {"report_id", e.mail.report_id},
          {"recipient", e.mail.recipient},
          {"kind", e.mail.kind},
          {"subject", e.mail.subject},
          {"state", OutboxStateName(e.mail.state)},
          {"attempts", e.mail.attempts},
          {"next_attempt_at", FormatUtc(e.next_attempt_at)},
          {"last_error", e.last_error}};
}

json::object ShownMailJson(const ShownMail& m) {
  json::object o = OutboxJson(m.entry);
  o["envelope_from"] = m.envelope_from;
  o["encrypted"] = m.encrypted;
  o["text"] = m.text;
  return o;
}

json::object EventJson(const StoredEvent& e) {
  std::error_code ec;
  json::value payload = json::parse(e.payload, ec);
  return {{"seq", e.seq},
          {"time", FormatUtcMicros(e.time)},
          {"actor", e.actor},
          {"kind", e.kind},
          {"payload", ec ? json::value(e.payload) : payload},
          {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

json::object ApiTokenJson(const ApiTokenInfo& t) {
  auto time = [](Instant at) -> json::value {
    if (at == 0) return nullptr;
    return json::value(FormatUtc(at));
  };
  return json::object{{"id", t.id},
                      {"account", t.account},
                      {"label", t.label},
                      {"created_at", FormatUtc(t.created_at)},
                      {"expires_at", time(t.expires_at)},
                      {"revoked_at", time(t.revoked_at)},
                      {"state", t.state}};
}

}  // namespace vigil
