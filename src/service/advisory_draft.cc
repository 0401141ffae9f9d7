#include "service/advisory_draft.h"

#include <boost/json.hpp>

#include "core/text.h"

namespace vigil {

namespace json = boost::json;

const char* ConsentName(CreditConsent c) {
  switch (c) {
    case CreditConsent::kPending:
      return "pending";
    case CreditConsent::kNamed:
      return "named";
    case CreditConsent::kAnonymous:
      return "anonymous";
    case CreditConsent::kDeclined:
      return "declined";
  }
  return "pending";
}

std::optional<CreditConsent> ParseConsent(std::string_view name) {
  for (CreditConsent c : {CreditConsent::kPending, CreditConsent::kNamed, CreditConsent::kAnonymous,
                          CreditConsent::kDeclined}) {
    if (name == ConsentName(c)) return c;
  }
  return std::nullopt;
}

DraftCredit PatchAuthorCredit(const std::string& name, const std::string& email) {
  DraftCredit c;
  c.email = LowerAscii(email);
  c.name = name;
  c.type = advisory::CreditType::kRemediationDeveloper;
  c.source = "patch-author";
  return c;
}

json::object DraftToJsonObject(const AdvisoryDraft& d) {
  json::array ranges, weaknesses, vectors, refs, credits, commits;
  for (const auto& r : d.ranges)
    ranges.push_back({{"introduced", r.introduced}, {"fixed", r.fixed}});
  for (const auto& w : d.weaknesses) weaknesses.push_back({{"id", w.id}, {"name", w.name}});
  for (const auto& v : d.cvss_vectors) vectors.push_back(json::value(v));
  for (const auto& r : d.references) {
    refs.push_back({{"type", advisory::ReferenceTypeName(r.type)}, {"url", r.url}});
  }
  for (const auto& c : d.credits) {
    credits.push_back({{"email", c.email},
                       {"name", c.name},
                       {"type", advisory::CreditTypeName(c.type)},
                       {"consent", ConsentName(c.consent)},
                       {"source", c.source},
                       {"asked", c.asked_at ? FormatUtc(c.asked_at) : ""}});
  }
  for (const auto& c : d.fixed_commits) commits.push_back(json::value(c));
  return {{"title", d.title},
          {"summary", d.summary},
          {"title_written", d.title_written},
          {"summary_written", d.summary_written},
          {"details", d.details},
          {"ranges", std::move(ranges)},
          {"weaknesses", std::move(weaknesses)},
          {"cvss", std::move(vectors)},
          {"references", std::move(refs)},
          {"credits", std::move(credits)},
          {"cve_id", d.cve_id},
          {"ghsa_id", d.ghsa_id},
          {"fixed_commits", std::move(commits)},
          {"published", d.published ? FormatUtc(d.published) : ""},
          {"public_title", d.public_title},
          {"public_text", d.public_text},
          {"redacted", d.redacted}};
}

std::string DraftToJson(const AdvisoryDraft& d) { return json::serialize(DraftToJsonObject(d)); }

Result<AdvisoryDraft> DraftFromJson(std::string_view text) {
  std::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::Internal("advisory draft is corrupt: not a JSON object");
  try {
    const json::object& o = v.as_object();
    auto str = [&](const json::object& obj, const char* key) {
      return std::string(obj.at(key).as_string());
    };
    AdvisoryDraft d;
    d.title = str(o, "title");
    d.summary = str(o, "summary");
    // Drafts stored before these were kept: a summary of its own is what a person wrote.
    const bool older = !d.summary.empty() && d.summary != d.title;
    auto flag = [&](const char* key) {
      const json::value* given = o.if_contains(key);
      return given && given->is_bool() ? given->as_bool() : older;
    };
    d.title_written = flag("title_written");
    d.summary_written = flag("summary_written");
    d.details = str(o, "details");
    for (const auto& r : o.at("ranges").as_array()) {
      d.ranges.push_back({str(r.as_object(), "introduced"), str(r.as_object(), "fixed")});
    }
    for (const auto& w : o.at("weaknesses").as_array()) {
      d.weaknesses.push_back({str(w.as_object(), "id"), str(w.as_object(), "name")});
    }
    for (const auto& x : o.at("cvss").as_array()) d.cvss_vectors.emplace_back(x.as_string());
    for (const auto& r : o.at("references").as_array()) {
      Result<advisory::ReferenceType> t = advisory::ParseReferenceType(str(r.as_object(), "type"));
      if (!t.ok()) return Status::Internal("advisory draft is corrupt: " + t.status().message());
      d.references.push_back({*t, str(r.as_object(), "url")});
    }
    for (const auto& c : o.at("credits").as_array()) {
      const json::object& co = c.as_object();
      DraftCredit dc;
      dc.email = str(co, "email");
      dc.name = str(co, "name");
      Result<advisory::CreditType> t = advisory::ParseCreditType(str(co, "type"));
      std::optional<CreditConsent> consent = ParseConsent(str(co, "consent"));
      if (!t.ok() || !consent) return Status::Internal("advisory draft is corrupt: credit");
      dc.type = *t;
      dc.consent = *consent;
      dc.source = str(co, "source");
      // Drafts stored before credit requests were mailed have no "asked".
      if (const json::value* asked = co.if_contains("asked");
          asked && asked->is_string() && !asked->as_string().empty()) {
        Result<Instant> at = ParseUtc(std::string(asked->as_string()));
        if (!at.ok()) return Status::Internal("advisory draft is corrupt: credit asked");
        dc.asked_at = *at;
      }
      d.credits.push_back(std::move(dc));
    }
    d.cve_id = str(o, "cve_id");
    d.ghsa_id = str(o, "ghsa_id");
    for (const auto& x : o.at("fixed_commits").as_array())
      d.fixed_commits.emplace_back(x.as_string());
    const std::string published = str(o, "published");
    if (!published.empty()) {
      Result<Instant> t = ParseUtc(published);
      if (!t.ok()) return Status::Internal("advisory draft is corrupt: published");
      d.published = *t;
    }
    d.public_title = str(o, "public_title");
    d.public_text = str(o, "public_text");
    d.redacted = o.at("redacted").as_bool();
    return d;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("advisory draft is corrupt: ") + e.what());
  }
}

}  // namespace vigil
