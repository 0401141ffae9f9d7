// The JSON exports of an advisory: OSV, CVE JSON 5 and CSAF 2.0.
#include <boost/json.hpp>
#include <string>

#include "advisory/advisory.h"
#include "advisory/advisory_internal.h"
#include "advisory/cvss.h"

namespace vigil::advisory {

using namespace internal;

Result<std::string> ToOsvJson(const Advisory& a) {
  VIGIL_RETURN_IF_ERROR(Validate(a));
  const ParsedCvss cvss = ParseVectors(a);
  json::object osv;
  osv["schema_version"] = "1.6.0";
  osv["id"] = OsvId(a);
  std::vector<std::string> aliases = a.aliases;
  if (osv["id"].as_string() != a.id) {
    std::erase(aliases, std::string(osv["id"].as_string()));
    aliases.insert(aliases.begin(), a.id);
  }
  osv["modified"] = FormatUtc(a.modified);
  osv["published"] = FormatUtc(a.published);
  if (!aliases.empty()) {
    json::array alias_array;
    for (const std::string& alias : aliases) alias_array.push_back(json::string(alias));
    osv["aliases"] = std::move(alias_array);
  }
  // OSV's summary is the one-line headline; the summary paragraph opens the details.
  osv["summary"] = a.title;
  osv["details"] = a.details.empty() ? a.summary : a.summary + "\n\n" + a.details;
  json::array severity;
  if (cvss.v3)
    severity.push_back(json::object{{"type", "CVSS_V3"}, {"score", cvss.v3->ToString()}});
  if (cvss.v4)
    severity.push_back(json::object{{"type", "CVSS_V4"}, {"score", cvss.v4->ToString()}});
  if (!severity.empty()) osv["severity"] = std::move(severity);

  json::array affected;
  for (const AffectedPackage& p : a.affected) {
    json::object entry;
    entry["package"] = {{"ecosystem", p.ecosystem}, {"name", p.name}};
    json::array events;
    for (const VersionRange& r : p.ranges) {
      events.push_back(json::object{{"introduced", r.introduced}});
      if (!r.fixed.empty()) events.push_back(json::object{{"fixed", r.fixed}});
    }
    json::array ranges;
    ranges.push_back(
        json::object{{"type", p.scheme == VersionScheme::kSemver ? "SEMVER" : "ECOSYSTEM"},
                     {"events", std::move(events)}});
    if (!p.fixed_commits.empty()) {
      json::array git_events;
      git_events.push_back(json::object{{"introduced", "0"}});
      for (const std::string& commit : p.fixed_commits)
        git_events.push_back(json::object{{"fixed", commit}});
      ranges.push_back(
          json::object{{"type", "GIT"}, {"repo", p.repo_url}, {"events", std::move(git_events)}});
    }
    entry["ranges"] = std::move(ranges);
    affected.push_back(std::move(entry));
  }
  osv["affected"] = std::move(affected);

  if (!a.references.empty()) {
    json::array references;
    for (const Reference& r : a.references) {
      references.push_back(json::object{{"type", ReferenceTypeName(r.type)}, {"url", r.url}});
    }
    osv["references"] = std::move(references);
  }
  if (!a.credits.empty()) {
    json::array credits;
    for (const Credit& c : a.credits) {
      json::object credit;
      credit["name"] = CreditName(c);
      if (!c.anonymous && !c.contacts.empty()) {
        json::array contacts;
        for (const std::string& contact : c.contacts) contacts.push_back(json::string(contact));
        credit["contact"] = std::move(contacts);
      }
      std::string type(CreditTypeName(c.type));
      for (char& ch : type) {
        ch = ch == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      credit["type"] = type;
      credits.push_back(std::move(credit));
    }
    osv["credits"] = std::move(credits);
  }
  if (!a.weaknesses.empty()) {
    json::array cwe_ids;
    for (const Weakness& w : a.weaknesses) cwe_ids.push_back(json::string(w.id));
    osv["database_specific"] = {{"cwe_ids", std::move(cwe_ids)}};
  }
  return Pretty(osv);
}

namespace {

// The CVE record's cveMetadata.
json::object CveMetadata(const Advisory& a, const Publisher& publisher, const std::string& cve_id) {
  json::object metadata;
  metadata["cveId"] = cve_id;
  metadata["assignerOrgId"] = publisher.cve_org_id;
  if (!publisher.cve_short_name.empty()) metadata["assignerShortName"] = publisher.cve_short_name;
  metadata["state"] = "PUBLISHED";
  metadata["datePublished"] = FormatUtc(a.published);
  metadata["dateUpdated"] = FormatUtc(a.modified);
  return metadata;
}

// The CNA container's descriptions: summary and details, the details also as Markdown.
json::array CveDescriptions(const Advisory& a) {
  json::object description;
  description["lang"] = "en";
  description["value"] = TruncateUtf8(
      a.details.empty() ? a.summary : a.summary + "\n\n" + a.details, kMaxDescriptionLength);
  if (!a.details.empty()) {
    description["supportingMedia"] = {
        {{"type", "text/markdown"}, {"base64", false}, {"value", a.details}}};
  }
  return {std::move(description)};
}

// The CNA container's affected products, one per package, its ranges as versions.
json::array CveAffected(const Advisory& a, const Publisher& publisher) {
  json::array affected;
  for (const AffectedPackage& p : a.affected) {
    json::object product;
    product["vendor"] = publisher.name.empty() ? "n/a" : publisher.name;
    product["product"] = ProductName(p);
    product["packageName"] = p.name;
    if (!p.repo_url.empty()) product["repo"] = p.repo_url;
    json::array versions;
    for (const VersionRange& r : p.ranges) {
      json::object version;
      version["version"] = r.introduced;
      version["status"] = "affected";
      version["versionType"] = p.scheme == VersionScheme::kSemver ? "semver" : "custom";
      version["lessThan"] = r.fixed.empty() ? "*" : r.fixed;
      versions.push_back(std::move(version));
    }
    product["versions"] = std::move(versions);
    product["defaultStatus"] = "unaffected";
    affected.push_back(std::move(product));
  }
  return affected;
}

// The CNA container's problemTypes: one CWE each.
json::array CveProblemTypes(const Advisory& a) {
  json::array problem_types;
  for (const Weakness& w : a.weaknesses) {
    json::object entry = {
        {"lang", "en"}, {"cweId", w.id}, {"description", w.id + ": " + w.name}, {"type", "CWE"}};
    problem_types.push_back(json::object{{"descriptions", {std::move(entry)}}});
  }
  return problem_types;
}

// The CNA container's metrics: CVSS v4.0 first, then v3.x.
json::array CveMetrics(const ParsedCvss& cvss) {
  json::array metrics;
  auto metric = [](std::string_view key, json::object score) {
    json::object entry;
    entry["format"] = "CVSS";
    entry["scenarios"] = {{{"lang", "en"}, {"value", "GENERAL"}}};
    entry[key] = std::move(score);
    return entry;
  };
  if (cvss.v4) metrics.push_back(metric("cvssV4_0", Cvss4Json(*cvss.v4)));
  if (cvss.v3) {
    metrics.push_back(metric(cvss.v3->version() == Cvss3Version::k30 ? "cvssV3_0" : "cvssV3_1",
                             Cvss3Json(*cvss.v3)));
  }
  return metrics;
}

// The CVE reference tag of a reference type; empty when CVE has none for it.
std::string_view CveReferenceTag(ReferenceType type) {
  switch (type) {
    case ReferenceType::kAdvisory:
      return "vendor-advisory";
    case ReferenceType::kFix:
      return "patch";
    case ReferenceType::kReport:
      return "issue-tracking";
    case ReferenceType::kEvidence:
      return "exploit";
    case ReferenceType::kPackage:
      return "product";
    default:
      return {};
  }
}

// The CNA container's references. CVE requires at least one: without any, the first affected
// package's repository stands for the fix commits.
json::array CveReferences(const Advisory& a) {
  json::array references;
  for (const Reference& r : a.references) {
    json::object reference;
    reference["url"] = r.url;
    const std::string_view tag = CveReferenceTag(r.type);
    if (!tag.empty()) reference["tags"] = json::array{tag};
    references.push_back(std::move(reference));
  }
  for (const AffectedPackage& p : a.affected) {
    if (references.empty() && !p.repo_url.empty())
      references.push_back(json::object{{"url", p.repo_url}});
  }
  return references;
}

}  // namespace

Result<std::string> ToCveJson(const Advisory& a, const Publisher& publisher) {
  VIGIL_RETURN_IF_ERROR(Validate(a));
  const std::string cve_id = CveId(a);
  if (cve_id.empty()) return Status::Invalid("advisory " + a.id + " has no CVE id");
  if (!IsUuid(publisher.cve_org_id)) {
    return Status::Invalid("publisher CVE org id is not a UUID: " + Quoted(publisher.cve_org_id));
  }
  const ParsedCvss cvss = ParseVectors(a);

  json::object cna;
  json::object provider;
  provider["orgId"] = publisher.cve_org_id;
  if (!publisher.cve_short_name.empty()) provider["shortName"] = publisher.cve_short_name;
  provider["dateUpdated"] = FormatUtc(a.modified);
  cna["providerMetadata"] = std::move(provider);
  cna["datePublic"] = FormatUtc(a.published);
  cna["title"] = a.title;
  cna["descriptions"] = CveDescriptions(a);
  cna["affected"] = CveAffected(a, publisher);
  if (!a.weaknesses.empty()) cna["problemTypes"] = CveProblemTypes(a);
  json::array metrics = CveMetrics(cvss);
  if (!metrics.empty()) cna["metrics"] = std::move(metrics);
  json::array references = CveReferences(a);
  if (references.empty()) return Status::Invalid("a CVE record needs at least one reference");
  cna["references"] = std::move(references);
  if (!a.credits.empty()) {
    json::array credits;
    for (const Credit& c : a.credits) {
      credits.push_back(
          {{"lang", "en"}, {"value", CreditName(c)}, {"type", CreditTypeName(c.type)}});
    }
    cna["credits"] = std::move(credits);
  }

  json::object record;
  record["dataType"] = "CVE_RECORD";
  record["dataVersion"] = "5.1";
  record["cveMetadata"] = CveMetadata(a, publisher, cve_id);
  record["containers"] = {{"cna", std::move(cna)}};
  return Pretty(record);
}

namespace {

// The CSAF product tree and the product ids the vulnerability refers to.
struct CsafProducts {
  json::object tree;
  json::array known_affected, fixed;
  json::array remediations;  // one vendor_fix per fixed range
};

// Product tree: vendor / product name / one version range per affected range and one version
// per fixed version. Product ids are numbered in that order.
CsafProducts CsafProductTree(const Advisory& a, const Publisher& publisher) {
  CsafProducts out;
  int next_id = 1;
  auto new_id = [&next_id] {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "CSAFPID-%04d", next_id++);
    return std::string(buffer);
  };
  json::array product_branches;
  for (const AffectedPackage& p : a.affected) {
    const std::string product = ProductName(p);
    json::array version_branches;
    for (const VersionRange& r : p.ranges) {
      const std::string affected_id = new_id();
      const std::string range = VersRange(p, r);
      version_branches.push_back(
          {{"category", "product_version_range"},
           {"name", range},
           {"product", {{"name", product + " " + HumanRange(r)}, {"product_id", affected_id}}}});
      out.known_affected.push_back(json::string(affected_id));
      if (r.fixed.empty()) continue;
      const std::string fixed_id = new_id();
      version_branches.push_back(
          {{"category", "product_version"},
           {"name", r.fixed},
           {"product", {{"name", product + " " + r.fixed}, {"product_id", fixed_id}}}});
      out.fixed.push_back(json::string(fixed_id));
      json::object remediation;
      remediation["category"] = "vendor_fix";
      remediation["details"] = "Upgrade " + product + " to version " + r.fixed + " or later.";
      remediation["product_ids"] = json::array{json::string(affected_id)};
      if (!p.repo_url.empty() && !p.fixed_commits.empty()) {
        std::string url = p.repo_url;
        if (url.starts_with("https://github.com/") || url.starts_with("https://gitlab.com/")) {
          url += "/commit/" + p.fixed_commits.front();
        }
        remediation["url"] = url;
      }
      out.remediations.push_back(std::move(remediation));
    }
    product_branches.push_back(json::object{{"category", "product_name"},
                                            {"name", product},
                                            {"branches", std::move(version_branches)}});
  }
  out.tree["branches"] = {{{"category", "vendor"},
                           {"name", publisher.name},
                           {"branches", std::move(product_branches)}}};
  return out;
}

// The CSAF document's tracking: one final, initial release.
json::object CsafTracking(const Advisory& a) {
  json::object tracking;
  tracking["id"] = a.id;
  tracking["status"] = "final";
  tracking["version"] = "1";
  tracking["initial_release_date"] = FormatUtc(a.published);
  tracking["current_release_date"] = FormatUtc(a.modified);
  tracking["revision_history"] = {
      {{"date", FormatUtc(a.published)}, {"number", "1"}, {"summary", "Initial public release."}}};
  tracking["generator"] = {{"engine", {{"name", "Vigil"}}}};
  if (!a.aliases.empty()) {
    json::array aliases;
    for (const std::string& alias : a.aliases) aliases.push_back(json::string(alias));
    tracking["aliases"] = std::move(aliases);
  }
  return tracking;
}

// The CSAF document's notes: summary, details, and the CVSS v4.0 vector CSAF 2.0 cannot score.
json::array CsafNotes(const Advisory& a, const ParsedCvss& cvss) {
  json::array notes;
  notes.push_back(json::object{{"category", "summary"}, {"title", "Summary"}, {"text", a.summary}});
  if (!a.details.empty()) {
    notes.push_back(
        json::object{{"category", "details"}, {"title", "Details"}, {"text", a.details}});
  }
  if (cvss.v4) {
    // CSAF 2.0 has no place for a CVSS v4.0 score; keep it readable for humans.
    notes.push_back(
        {{"category", "other"},
         {"title", "CVSS v4.0"},
         {"text", cvss.v4->ToString() + " (score " + FormatScore(cvss.v4->Score()) + ", " +
                      std::string(SeverityName(SeverityForScore(cvss.v4->Score()))) + ")"}});
  }
  return notes;
}

// The CSAF document: metadata, publisher, tracking, notes, references, acknowledgments.
json::object CsafDocument(const Advisory& a, const Publisher& publisher, const ParsedCvss& cvss) {
  json::object document;
  document["category"] = "csaf_security_advisory";
  document["csaf_version"] = "2.0";
  document["lang"] = "en";
  document["title"] = a.title;
  json::object pub;
  pub["category"] = "vendor";
  pub["name"] = publisher.name;
  pub["namespace"] = publisher.namespace_url;
  if (!publisher.contact.empty()) pub["contact_details"] = publisher.contact;
  document["publisher"] = std::move(pub);
  document["tracking"] = CsafTracking(a);
  document["notes"] = CsafNotes(a, cvss);
  if (!a.references.empty()) {
    json::array references;
    for (const Reference& r : a.references) {
      references.push_back(
          json::object{{"category", "external"},
                       {"summary", std::string(ReferenceTypeName(r.type)) + " reference"},
                       {"url", r.url}});
    }
    document["references"] = std::move(references);
  }
  if (!a.credits.empty()) {
    json::array acknowledgments;
    for (const Credit& c : a.credits) {
      acknowledgments.push_back(
          {{"names", {json::string(CreditName(c))}}, {"summary", CreditTypeName(c.type)}});
    }
    document["acknowledgments"] = std::move(acknowledgments);
  }
  if (cvss.v3) {
    document["aggregate_severity"] = {
        {"text", SeverityName(SeverityForScore(cvss.v3->Scores().base))}};
  }
  return document;
}

// The one CSAF vulnerability: ids, CWE, notes, product status, remediations, scores.
json::object CsafVulnerability(const Advisory& a, const ParsedCvss& cvss, CsafProducts& products) {
  json::object vulnerability;
  const std::string cve_id = CveId(a);
  if (!cve_id.empty()) vulnerability["cve"] = cve_id;
  json::array ids;
  for (const std::string& id : [&] {
         std::vector<std::string> all = {a.id};
         all.insert(all.end(), a.aliases.begin(), a.aliases.end());
         return all;
       }()) {
    if (id == cve_id) continue;
    const std::string system = id.starts_with("GHSA-") ? "GitHub Security Advisory" : "Vigil";
    ids.push_back(json::object{{"system_name", system}, {"text", id}});
  }
  if (!ids.empty()) vulnerability["ids"] = std::move(ids);
  if (!a.weaknesses.empty()) {
    // CSAF 2.0 carries a single CWE per vulnerability: the first one.
    vulnerability["cwe"] = {{"id", a.weaknesses.front().id}, {"name", a.weaknesses.front().name}};
  }
  vulnerability["title"] = a.title;
  vulnerability["notes"] = {{{"category", "description"}, {"text", a.summary}}};
  json::object status;
  status["known_affected"] = products.known_affected;
  if (!products.fixed.empty()) status["fixed"] = products.fixed;
  vulnerability["product_status"] = std::move(status);
  if (!products.remediations.empty()) {
    vulnerability["remediations"] = std::move(products.remediations);
  }
  if (cvss.v3) {
    vulnerability["scores"] = {
        {{"cvss_v3", Cvss3Json(*cvss.v3)}, {"products", products.known_affected}}};
  }
  return vulnerability;
}

}  // namespace

Result<std::string> ToCsafJson(const Advisory& a, const Publisher& publisher) {
  VIGIL_RETURN_IF_ERROR(Validate(a));
  if (publisher.name.empty()) return Status::Invalid("publisher name is required");
  if (!IsHttpUrl(publisher.namespace_url)) {
    return Status::Invalid("publisher namespace is not an http(s) URL: " +
                           Quoted(publisher.namespace_url));
  }
  const ParsedCvss cvss = ParseVectors(a);
  CsafProducts products = CsafProductTree(a, publisher);
  json::object csaf;
  csaf["document"] = CsafDocument(a, publisher, cvss);
  csaf["product_tree"] = std::move(products.tree);
  csaf["vulnerabilities"] = json::array{CsafVulnerability(a, cvss, products)};
  return Pretty(csaf);
}

}  // namespace vigil::advisory
