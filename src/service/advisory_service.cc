#include "service/advisory_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "advisory/cvss.h"
#include "advisory/cvss3.h"
#include "advisory/cvss4.h"
#include "core/level_policy.h"
#include "core/text.h"
#include "patch/git_process.h"

namespace vigil {
namespace {

namespace json = boost::json;
constexpr int kMaxAttempts = 8;

bool IsValidUtf8Line(const std::string& s, bool single_line) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t' && (single_line || (c != '\n' && c != '\r'))) || c == 0x7f) {
      return false;
    }
  }
  return true;
}

Status CheckField(const char* what, const std::string& value, size_t max, bool single_line) {
  if (value.size() > max) {
    return Status::TooLarge(std::string("advisory ") + what + " is longer than " +
                            std::to_string(max) + " bytes");
  }
  if (!IsValidUtf8Line(value, single_line)) {
    return Status::Invalid(std::string("advisory ") + what + " must be text without control " +
                           "characters" + (single_line ? " or line breaks" : ""));
  }
  return Status::Ok();
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsCveId(std::string_view s) {
  return s.size() >= 13 && s.starts_with("CVE-") && IsDigits(s.substr(4, 4)) && s[8] == '-' &&
         IsDigits(s.substr(9)) && s.size() <= 24;
}

bool IsGhsaId(std::string_view s) {
  if (s.size() != 19 || !s.starts_with("GHSA-")) return false;
  for (size_t i = 5; i < s.size(); ++i) {
    const char c = s[i];
    const bool dash = i == 9 || i == 14;
    if (dash ? c != '-' : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// "1.2.3" from "v1.2.3"; empty when TAG is not a dotted numeric version.
std::string TagVersion(std::string_view tag) {
  if (tag.starts_with("v")) tag.remove_prefix(1);
  if (tag.empty()) return "";
  size_t parts = 0;
  size_t start = 0;
  while (start <= tag.size()) {
    const size_t dot = std::min(tag.find('.', start), tag.size());
    if (!IsDigits(tag.substr(start, dot - start))) return "";
    ++parts;
    start = dot + 1;
    if (dot == tag.size()) break;
  }
  return parts >= 2 ? std::string(tag) : "";
}

std::vector<long> VersionKey(const std::string& v) {
  std::vector<long> key;
  size_t start = 0;
  while (start <= v.size()) {
    const size_t dot = std::min(v.find('.', start), v.size());
    key.push_back(std::stol(v.substr(start, std::min<size_t>(dot - start, 9))));
    start = dot + 1;
    if (dot == v.size()) break;
  }
  return key;
}

}  // namespace

Result<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "md") return ExportFormat::kMarkdown;
  if (name == "osv") return ExportFormat::kOsv;
  if (name == "cve") return ExportFormat::kCve;
  if (name == "csaf") return ExportFormat::kCsaf;
  return Status::Invalid("unknown format \"" + std::string(name.substr(0, 32)) +
                         "\": use md, osv, cve or csaf");
}

const char* ExportSuffix(ExportFormat format) {
  switch (format) {
    case ExportFormat::kMarkdown:
      return ".md";
    case ExportFormat::kOsv:
      return ".osv.json";
    case ExportFormat::kCve:
      return ".cve.json";
    case ExportFormat::kCsaf:
      return ".csaf.json";
  }
  return ".md";
}

boost::json::object AdvisoryDraftJson(const std::string& id, const AdvisoryDraft& draft) {
  boost::json::object o = DraftToJsonObject(draft);
  o["report"] = id;
  boost::json::array scores;
  for (const std::string& v : draft.cvss_vectors) {
    Result<std::string> s = DescribeScores(v);
    scores.push_back({{"vector", v}, {"scores", s.ok() ? *s : s.status().message()}});
  }
  o["scores"] = std::move(scores);
  return o;
}

Result<std::string> DescribeScores(const std::string& vector) {
  auto rated = [](double score) {
    return advisory::FormatScore(score) + " (" +
           std::string(advisory::SeverityName(advisory::SeverityForScore(score))) + ")";
  };
  if (vector.starts_with("CVSS:3.")) {
    Result<advisory::Cvss3Vector> v = advisory::Cvss3Vector::Parse(vector);
    if (!v.ok()) return v.status();
    const advisory::Cvss3Scores s = v->Scores();
    return "base " + rated(s.base) + ", temporal " + rated(s.temporal) + ", environmental " +
           rated(s.environmental);
  }
  if (vector.starts_with("CVSS:4.")) {
    Result<advisory::Cvss4Vector> v = advisory::Cvss4Vector::Parse(vector);
    if (!v.ok()) return v.status();
    return std::string(v->Nomenclature()) + " " + rated(v->Score());
  }
  return Status::Invalid("unsupported CVSS vector \"" + vector.substr(0, 40) + "\"");
}

AdvisoryService::AdvisoryService(Store& store, const Clock& clock, const Config& config,
                                 ApprovedRevisionSource& approved)
    : store_(store), clock_(clock), config_(config), approved_(approved) {}

advisory::Publisher AdvisoryService::Publisher() const {
  advisory::Publisher p;
  p.name = config_.publisher_name;
  p.namespace_url = config_.publisher_namespace;
  p.contact = config_.publisher_contact;
  p.cve_org_id = config_.cna_org_id;
  p.cve_short_name = config_.cna_short_name;
  return p;
}

Result<AdvisoryDraft> AdvisoryService::DraftFor(const Report& report) {
  Result<std::optional<AdvisoryDraftRow>> row = store_.FindAdvisoryDraft(report.id);
  if (!row.ok()) return row.status();
  AdvisoryDraft d;
  if (row->has_value()) {
    Result<AdvisoryDraft> parsed = DraftFromJson((*row)->document);
    if (!parsed.ok()) return parsed.status();
    d = std::move(parsed).value();
  } else {
    d.title = report.fields.subject;
    d.summary = report.fields.subject;
  }
  auto has = [&](const std::string& email, const std::string& name, advisory::CreditType type) {
    return std::any_of(d.credits.begin(), d.credits.end(), [&](const DraftCredit& c) {
      return c.type == type &&
             (email.empty() ? c.email.empty() && c.name == name : c.email == email);
    });
  };
  for (const Participant& p : report.participants) {
    if (p.role != Role::kReporter || has(p.email, p.name, advisory::CreditType::kReporter)) {
      continue;
    }
    DraftCredit c;
    c.email = p.email;
    c.name = p.name;
    c.type = advisory::CreditType::kReporter;
    c.source = "reporter";
    // A reporter who gave neither address nor name can only be credited anonymously.
    if (p.email.empty() && p.name.empty()) c.consent = CreditConsent::kAnonymous;
    d.credits.push_back(std::move(c));
  }
  // The reporter's own choice, made when reporting (named or anonymous), is their consent as
  // long as nobody recorded another answer.
  Result<std::optional<ReporterPrefs>> prefs = store_.GetReporterPrefs(report.id);
  if (!prefs.ok()) return prefs.status();
  if (prefs->has_value()) {
    for (DraftCredit& c : d.credits) {
      if (c.source != "reporter" || c.consent != CreditConsent::kPending) continue;
      if ((*prefs)->anonymous) {
        c.consent = CreditConsent::kAnonymous;
      } else if (!(*prefs)->credit_name.empty()) {
        c.consent = CreditConsent::kNamed;
        c.name = (*prefs)->credit_name;
      }
    }
  }
  if (report.level >= kMinLevel && report.level <= kMaxLevel) {
    for (const std::string& branch :
         RequiredBranches(report.level, config_.master_branch, config_.supported_branches)) {
      Result<std::optional<ApprovedRevision>> rev = approved_.ForBranch(report.id, branch);
      if (!rev.ok()) return rev.status();
      if (!rev->has_value()) continue;
      for (const ApprovedPatch& patch : (*rev)->patches) {
        const std::string email = LowerAscii(patch.author_email);
        if (has(email, patch.author_name, advisory::CreditType::kRemediationDeveloper)) continue;
        d.credits.push_back(PatchAuthorCredit(patch.author_name, email));
      }
    }
  }
  return d;
}

Result<AdvisoryDraft> AdvisoryService::Draft(const std::string& id) {
  Result<Report> report = store_.GetReport(id);
  if (!report.ok()) return report.status();
  return DraftFor(*report);
}

Result<AdvisoryDraft> AdvisoryService::Change(const Principal& actor, const std::string& id,
                                              const std::string& kind, const DraftMutation& mutate,
                                              const BatchExtra& extra) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<Report> report = store_.GetReport(id);
    if (!report.ok()) return report.status();
    Result<AdvisoryDraft> draft = DraftFor(*report);
    if (!draft.ok()) return draft.status();
    AdvisoryDraft d = std::move(draft).value();
    VIGIL_RETURN_IF_ERROR(mutate(*report, d));
    const Instant now = clock_.Now();
    WriteBatch b;
    b.report = *report;
    b.expected_version = report->version;
    b.disclosure.advisory = AdvisoryDraftRow{id, DraftToJson(d), now};
    b.events.push_back({id, now, actor.AuditName(), kind, DraftToJson(d)});
    if (extra) VIGIL_RETURN_IF_ERROR(extra(*report, d, b));
    Result<WriteResult> w = store_.Write(std::move(b));
    if (w.ok()) return d;
    if (w.status().code() != Code::kAborted) return w.status();
  }
  return Status::Unavailable("too much contention on " + id + "; try again");
}

Result<AdvisoryDraft> AdvisoryService::Edit(const Principal& actor, const std::string& id,
                                            const AdvisoryEdit& e) {
  if (e.title) VIGIL_RETURN_IF_ERROR(CheckField("title", *e.title, kMaxAdvisoryTitleBytes, true));
  if (e.summary) {
    VIGIL_RETURN_IF_ERROR(CheckField("summary", *e.summary, kMaxAdvisorySummaryBytes, false));
  }
  if (e.details) {
    VIGIL_RETURN_IF_ERROR(CheckField("details", *e.details, kMaxAdvisoryDetailsBytes, false));
  }
  const size_t counts[] = {e.ranges ? e.ranges->size() : 0, e.weaknesses ? e.weaknesses->size() : 0,
                           e.cvss_vectors ? e.cvss_vectors->size() : 0,
                           e.references ? e.references->size() : 0};
  for (size_t n : counts) {
    if (n > kMaxAdvisoryListItems) {
      return Status::TooLarge("more than " + std::to_string(kMaxAdvisoryListItems) +
                              " entries in one advisory list");
    }
  }
  return Change(actor, id, "advisory.edited", [&](const Report& r, AdvisoryDraft& d) -> Status {
    if (e.title) d.title = *e.title;
    if (e.summary) d.summary = *e.summary;
    if (e.title) d.title_written = true;
    if (e.summary) d.summary_written = true;
    if (e.details) d.details = *e.details;
    if (e.ranges) d.ranges = *e.ranges;
    if (e.weaknesses) d.weaknesses = *e.weaknesses;
    if (e.cvss_vectors) d.cvss_vectors = *e.cvss_vectors;
    if (e.references) d.references = *e.references;
    // The exports' own validation decides what a publishable draft is.
    Result<advisory::Advisory> composed = ComposeFrom(r, d, /*use_tags=*/false);
    return composed.status();
  });
}

Result<AdvisoryDraft> AdvisoryService::SetCredit(const Principal& actor, const std::string& id,
                                                 DraftCredit credit) {
  credit.email = LowerAscii(credit.email);
  if (!credit.email.empty() && !IsPlausibleEmail(credit.email)) {
    return Status::Invalid("credit email \"" + credit.email.substr(0, 254) +
                           "\" is not an email address");
  }
  VIGIL_RETURN_IF_ERROR(CheckField("credit name", credit.name, 256, true));
  if (credit.name.empty() && credit.consent != CreditConsent::kAnonymous) {
    return Status::Invalid("a credit needs a name unless it is anonymous");
  }
  if (credit.email.empty() && credit.name.empty()) {
    return Status::Invalid("a credit needs an email or a name");
  }
  return Change(actor, id, "advisory.credit", [&](const Report&, AdvisoryDraft& d) -> Status {
    for (DraftCredit& c : d.credits) {
      const bool same =
          c.type == credit.type && (credit.email.empty() ? c.email.empty() && c.name == credit.name
                                                         : c.email == credit.email);
      if (same) {
        credit.source = c.source;
        c = credit;
        return Status::Ok();
      }
    }
    if (d.credits.size() >= kMaxAdvisoryListItems) return Status::TooLarge("too many credits");
    d.credits.push_back(credit);
    return Status::Ok();
  });
}

Result<AdvisoryDraft> AdvisoryService::SetOwnConsent(const Principal& actor, const std::string& id,
                                                     CreditConsent consent) {
  const std::string email = LowerAscii(actor.email);
  return Change(actor, id, "advisory.consent", [&](const Report&, AdvisoryDraft& d) -> Status {
    bool found = false;
    for (DraftCredit& c : d.credits) {
      if (!email.empty() && c.email == email) {
        if (consent == CreditConsent::kNamed && c.name.empty()) {
          return Status::Invalid("a named credit needs a name; ask the coordinator to add it");
        }
        c.consent = consent;
        found = true;
      }
    }
    if (!found) return Status::Conflict("no credit for " + email.substr(0, 254) + " on " + id);
    return Status::Ok();
  });
}

Result<AdvisoryDraft> AdvisoryService::AnswerCreditRequest(const Principal& actor,
                                                           CreditConsent consent,
                                                           std::string name) {
  if (consent == CreditConsent::kPending) {
    return Status::Invalid("choose how to be credited: named, anonymous or not at all");
  }
  name = std::string(Trim(name));
  if (consent == CreditConsent::kNamed) {
    VIGIL_RETURN_IF_ERROR(CheckField("credit name", name, 256, true));
    if (FirstInvalidUtf8(name) != std::string::npos) {
      return Status::Invalid("advisory credit name is not valid UTF-8");
    }
  }
  const std::string email = LowerAscii(actor.email);
  const std::string& id = actor.report_id;
  return Change(actor, id, "advisory.consent", [&](const Report&, AdvisoryDraft& d) -> Status {
    if (d.published != 0) {
      return Status::Conflict("the advisory of " + id + " was published on " +
                              FormatUtc(d.published) +
                              "; write to the security team to change its credits");
    }
    for (DraftCredit& c : d.credits) {
      if (email.empty() || c.email != email ||
          c.type != advisory::CreditType::kRemediationDeveloper) {
        continue;
      }
      if (consent == CreditConsent::kNamed) {
        if (!name.empty()) c.name = name;
        if (c.name.empty()) return Status::Invalid("a named credit needs a name");
      }
      c.consent = consent;
      return Status::Ok();
    }
    return Status::Conflict("there is no fix-author credit for " + email.substr(0, 254) + " on " +
                            id + " any more; write to the security team");
  });
}

Result<AdvisoryDraft> AdvisoryService::SetExternalId(const Principal& actor, const std::string& id,
                                                     const std::string& external) {
  const bool cve = IsCveId(external);
  if (!cve && !IsGhsaId(external)) {
    return Status::Invalid("\"" + external.substr(0, 40) +
                           "\" is neither a CVE id (CVE-2026-12345) nor a GHSA id "
                           "(GHSA-xxxx-xxxx-xxxx)");
  }
  return Change(actor, id, "advisory.id", [&](const Report&, AdvisoryDraft& d) -> Status {
    (cve ? d.cve_id : d.ghsa_id) = external;
    return Status::Ok();
  });
}

Result<advisory::Advisory> AdvisoryService::ComposeFrom(const Report& report,
                                                        const AdvisoryDraft& d, bool use_tags) {
  advisory::Advisory a;
  a.id = !d.cve_id.empty() ? d.cve_id : !d.ghsa_id.empty() ? d.ghsa_id : report.id;
  if (!d.cve_id.empty() && !d.ghsa_id.empty()) a.aliases.push_back(d.ghsa_id);
  a.title = d.title;
  a.summary = d.summary;
  a.details = d.details;
  a.published = d.published ? d.published : clock_.Now();
  a.modified = std::max(a.published, report.updated_at);
  advisory::AffectedPackage pkg;
  pkg.ecosystem = config_.package_ecosystem;
  pkg.name = config_.package_name;
  pkg.product = config_.product_name;
  pkg.repo_url = config_.repository_url;
  pkg.scheme = config_.version_scheme == "ecosystem" ? advisory::VersionScheme::kEcosystem
                                                     : advisory::VersionScheme::kSemver;
  pkg.ranges = d.ranges;
  if (!pkg.repo_url.empty()) pkg.fixed_commits = d.fixed_commits;
  if (use_tags && !config_.repository_path.empty() && !d.fixed_commits.empty()) {
    // The lowest release tag containing each disclosed commit is where that line is fixed.
    std::set<std::string> fixed;
    for (const std::string& commit : d.fixed_commits) {
      Result<patch::GitOutput> tags =
          patch::RunGit(config_.repository_path, {"tag", "--contains", commit});
      if (!tags.ok() || tags->exit_code != 0) continue;
      std::string best;
      size_t start = 0;
      while (start < tags->out.size()) {
        const size_t nl = std::min(tags->out.find('\n', start), tags->out.size());
        const std::string v = TagVersion(std::string_view(tags->out).substr(start, nl - start));
        if (!v.empty() && (best.empty() || VersionKey(v) < VersionKey(best))) best = v;
        start = nl + 1;
      }
      if (!best.empty()) fixed.insert(best);
    }
    if (!fixed.empty()) {
      std::vector<std::string> sorted(fixed.begin(), fixed.end());
      std::sort(sorted.begin(), sorted.end(), [](const std::string& x, const std::string& y) {
        return VersionKey(x) < VersionKey(y);
      });
      std::vector<advisory::VersionRange> ranges;
      for (const advisory::VersionRange& r : pkg.ranges) {
        if (!r.fixed.empty()) ranges.push_back(r);
      }
      std::string introduced = "0";
      for (const advisory::VersionRange& r : pkg.ranges) {
        if (r.fixed.empty()) introduced = r.introduced;
      }
      for (size_t i = 0; i < sorted.size(); ++i) {
        if (std::any_of(ranges.begin(), ranges.end(),
                        [&](const advisory::VersionRange& r) { return r.fixed == sorted[i]; })) {
          continue;
        }
        // Each release line after the first is affected from its .0 release.
        std::vector<long> key = VersionKey(sorted[i]);
        std::string line_start = std::to_string(key[0]) + "." + std::to_string(key[1]) + ".0";
        const bool first = i == 0;
        ranges.push_back({first || line_start == sorted[i] ? introduced : line_start, sorted[i]});
      }
      pkg.ranges = std::move(ranges);
    }
  }
  if (pkg.ranges.empty()) pkg.ranges.push_back({"0", ""});
  a.affected.push_back(std::move(pkg));
  a.weaknesses = d.weaknesses;
  a.cvss_vectors = d.cvss_vectors;
  a.references = d.references;
  for (const DraftCredit& c : d.credits) {
    // A fix author who has not answered is credited by the commit's name, public anyway; a
    // decline is honoured, and a reporter's credit stays theirs to give.
    const bool by_commit =
        c.consent == CreditConsent::kPending && c.source == "patch-author" && !c.name.empty();
    if (c.consent != CreditConsent::kNamed && c.consent != CreditConsent::kAnonymous &&
        !by_commit) {
      continue;
    }
    advisory::Credit credit;
    credit.type = c.type;
    credit.anonymous = c.consent == CreditConsent::kAnonymous;
    if (!credit.anonymous) credit.name = c.name;
    a.credits.push_back(std::move(credit));
  }
  VIGIL_RETURN_IF_ERROR(advisory::Validate(a));
  return a;
}

Result<advisory::Advisory> AdvisoryService::Compose(const std::string& id) {
  Result<Report> report = store_.GetReport(id);
  if (!report.ok()) return report.status();
  Result<AdvisoryDraft> d = DraftFor(*report);
  if (!d.ok()) return d.status();
  return ComposeFrom(*report, *d, /*use_tags=*/true);
}

Result<std::string> AdvisoryService::Export(const std::string& id, ExportFormat format) {
  Result<advisory::Advisory> a = Compose(id);
  if (!a.ok()) return a.status();
  switch (format) {
    case ExportFormat::kMarkdown:
      return advisory::ToMarkdown(*a);
    case ExportFormat::kOsv:
      return advisory::ToOsvJson(*a);
    case ExportFormat::kCve:
      return advisory::ToCveJson(*a, Publisher());
    case ExportFormat::kCsaf:
      return advisory::ToCsafJson(*a, Publisher());
  }
  return Status::Invalid("unknown format");
}

}  // namespace vigil
