#include "advisory/advisory.h"

#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>
#include <utility>

#include "advisory/advisory_internal.h"
#include "advisory/cvss.h"
#include "advisory/cvss3.h"
#include "advisory/cvss4.h"

namespace vigil::advisory {

using namespace internal;

std::string_view CreditTypeName(CreditType type) {
  return kCreditTypeNames[static_cast<std::size_t>(type)];
}

Result<CreditType> ParseCreditType(std::string_view name) {
  for (std::size_t i = 0; i < kCreditTypeNames.size(); ++i) {
    if (kCreditTypeNames[i] == name) return static_cast<CreditType>(i);
  }
  return Status::Invalid("unknown credit type " + Quoted(name));
}

std::string_view ReferenceTypeName(ReferenceType type) {
  return kReferenceTypeNames[static_cast<std::size_t>(type)];
}

Result<ReferenceType> ParseReferenceType(std::string_view name) {
  for (std::size_t i = 0; i < kReferenceTypeNames.size(); ++i) {
    if (kReferenceTypeNames[i] == name) return static_cast<ReferenceType>(i);
  }
  return Status::Invalid("unknown reference type " + Quoted(name));
}

std::string CveId(const Advisory& advisory) {
  if (IsCveId(advisory.id)) return advisory.id;
  for (const std::string& alias : advisory.aliases) {
    if (IsCveId(alias)) return alias;
  }
  return "";
}

Status Validate(const Advisory& a) {
  if (a.id.empty()) return Status::Invalid("advisory id is required");
  if (a.id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_") !=
      std::string::npos) {
    return Status::Invalid("advisory id " + Quoted(a.id) +
                           " may contain only letters, digits, \".\", \"-\" and \"_\"");
  }
  for (const std::string& alias : a.aliases) {
    if (alias.empty() || alias.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                                                 "vwxyz0123456789.-_") != std::string::npos) {
      return Status::Invalid("advisory alias " + Quoted(alias) +
                             " may contain only letters, digits, \".\", \"-\" and \"_\"");
    }
  }
  if (a.title.empty()) return Status::Invalid("advisory title is required");
  if (a.title.size() > kMaxTitleLength) {
    return Status::Invalid("advisory title is longer than 256 characters");
  }
  if (a.title.find_first_of("\r\n") != std::string::npos) {
    return Status::Invalid("advisory title must be one line");
  }
  if (a.summary.empty()) return Status::Invalid("advisory summary is required");
  if (a.details.size() > kMaxDetailsLength) {
    return Status::Invalid("advisory details are longer than 16384 bytes");
  }
  for (const auto& [field, text] :
       {std::pair<std::string_view, const std::string&>{"title", a.title},
        {"summary", a.summary},
        {"details", a.details}}) {
    if (!IsValidUtf8(text)) {
      return Status::Invalid("advisory " + std::string(field) + " is not valid UTF-8");
    }
  }
  if (a.published <= 0) return Status::Invalid("advisory published time is required");
  if (a.modified < a.published) {
    return Status::Invalid("advisory modified time is before its published time");
  }
  if (a.affected.empty()) return Status::Invalid("advisory has no affected package");
  for (std::size_t i = 0; i < a.affected.size(); ++i) {
    const AffectedPackage& p = a.affected[i];
    const std::string where = "affected package " + std::to_string(i + 1);
    if (p.name.empty()) return Status::Invalid(where + " has no name");
    if (p.ecosystem.empty()) return Status::Invalid(where + " has no ecosystem");
    if (!IsValidUtf8(p.name) || !IsValidUtf8(p.product) || !IsValidUtf8(p.ecosystem)) {
      return Status::Invalid(where + " is not valid UTF-8");
    }
    if (!p.repo_url.empty() && !IsHttpUrl(p.repo_url)) {
      return Status::Invalid(where + " repository is not an http(s) URL: " + Quoted(p.repo_url));
    }
    if (p.ranges.empty()) return Status::Invalid(where + " has no version range");
    for (std::size_t r = 0; r < p.ranges.size(); ++r) {
      if (p.ranges[r].introduced.empty()) {
        return Status::Invalid(where + ": range " + std::to_string(r + 1) +
                               " has no introduced version");
      }
      for (const std::string* version : {&p.ranges[r].introduced, &p.ranges[r].fixed}) {
        if (version->find_first_of(" \t\r\n`|") != std::string::npos || !IsValidUtf8(*version)) {
          return Status::Invalid(where + ": range " + std::to_string(r + 1) +
                                 " has an invalid version " + Quoted(*version));
        }
      }
    }
    for (const std::string& commit : p.fixed_commits) {
      if (!IsHex(commit) || (commit.size() != 40 && commit.size() != 64)) {
        return Status::Invalid(where + ": commit " + Quoted(commit) +
                               " is not a full hexadecimal commit id");
      }
    }
    if (!p.fixed_commits.empty() && p.repo_url.empty()) {
      return Status::Invalid(where + " has fix commits but no repository URL");
    }
  }
  for (const Weakness& w : a.weaknesses) {
    if (!w.id.starts_with("CWE-") || w.id.size() < 5 || w.id[4] == '0' ||
        w.id.find_first_not_of("0123456789", 4) != std::string::npos || w.id.size() > 9) {
      return Status::Invalid("weakness " + Quoted(w.id) + " is not of the form CWE-<number>");
    }
    if (w.name.empty()) return Status::Invalid("weakness " + w.id + " has no name");
    if (!IsValidUtf8(w.name)) return Status::Invalid("weakness " + w.id + " is not valid UTF-8");
  }
  bool has_v3 = false, has_v4 = false;
  for (std::size_t i = 0; i < a.cvss_vectors.size(); ++i) {
    const std::string& text = a.cvss_vectors[i];
    const std::string where = "CVSS vector " + std::to_string(i + 1) + ": ";
    if (text.starts_with("CVSS:4.")) {
      Result<Cvss4Vector> v4 = Cvss4Vector::Parse(text);
      if (!v4.ok()) return Status::Invalid(where + v4.status().message());
      if (has_v4) return Status::Invalid("more than one CVSS v4.0 vector");
      has_v4 = true;
    } else {
      Result<Cvss3Vector> v3 = Cvss3Vector::Parse(text);
      if (!v3.ok()) return Status::Invalid(where + v3.status().message());
      if (has_v3) return Status::Invalid("more than one CVSS v3 vector");
      has_v3 = true;
    }
  }
  for (std::size_t i = 0; i < a.references.size(); ++i) {
    if (!IsHttpUrl(a.references[i].url)) {
      return Status::Invalid("reference " + std::to_string(i + 1) +
                             " is not an http(s) URL: " + Quoted(a.references[i].url));
    }
  }
  for (std::size_t i = 0; i < a.credits.size(); ++i) {
    const Credit& c = a.credits[i];
    const std::string where = "credit " + std::to_string(i + 1);
    if (!c.anonymous && c.name.empty()) return Status::Invalid(where + " has no name");
    if (!IsValidUtf8(c.name)) return Status::Invalid(where + " is not valid UTF-8");
    for (const std::string& contact : c.contacts) {
      if (contact.empty() || !IsValidUtf8(contact) ||
          contact.find_first_of("\r\n") != std::string::npos) {
        return Status::Invalid(where + " has an invalid contact " + Quoted(contact));
      }
    }
  }
  return Status::Ok();
}

Result<std::string> ToMarkdown(const Advisory& a) {
  VIGIL_RETURN_IF_ERROR(Validate(a));
  const ParsedCvss cvss = ParseVectors(a);
  std::string md = "# " + EscapeInline(a.title) + "\n\n";

  md += "- **ID:** " + EscapeInline(a.id) + "\n";
  if (!a.aliases.empty()) {
    std::string aliases;
    for (const std::string& alias : a.aliases) {
      aliases += (aliases.empty() ? "" : ", ") + EscapeInline(alias);
    }
    md += "- **Aliases:** " + aliases + "\n";
  }
  md += "- **Published:** " + FormatUtc(a.published) + "\n";
  if (a.modified != a.published) md += "- **Updated:** " + FormatUtc(a.modified) + "\n";
  if (cvss.v4) {
    md += "- **Severity:** " + std::string(SeverityName(SeverityForScore(cvss.v4->Score()))) +
          " (CVSS v4.0 " + FormatScore(cvss.v4->Score()) + ")\n";
  } else if (cvss.v3) {
    const double base = cvss.v3->Scores().base;
    md += "- **Severity:** " + std::string(SeverityName(SeverityForScore(base))) + " (CVSS v" +
          (cvss.v3->version() == Cvss3Version::k30 ? "3.0" : "3.1") + " " + FormatScore(base) +
          ")\n";
  }
  md += "\n## Summary\n\n" + EscapeParagraph(a.summary) + "\n";
  if (!a.details.empty()) {
    std::string details = SanitizeDetails(a.details);
    while (!details.empty() && details.back() == '\n') details.pop_back();
    md += "\n## Details\n\n" + details + "\n";
  }

  md += "\n## Affected versions\n\n";
  md += "| Package | Ecosystem | Affected versions | Fixed in |\n";
  md += "| --- | --- | --- | --- |\n";
  for (const AffectedPackage& p : a.affected) {
    for (const VersionRange& r : p.ranges) {
      // Versions hold no backtick, "|" or space (Validate), so a code span shows them as is.
      md += "| " + EscapeInline(p.name) + " | " + EscapeInline(p.ecosystem) + " | `" +
            HumanRange(r) + "` | " + (r.fixed.empty() ? "no fix yet" : "`" + r.fixed + "`") +
            " |\n";
    }
  }
  for (const AffectedPackage& p : a.affected) {
    if (p.fixed_commits.empty()) continue;
    md += "\nFixed by these commits in " + EscapeInline(p.repo_url) + ":\n\n";
    for (const std::string& commit : p.fixed_commits) md += "- `" + commit + "`\n";
  }

  if (cvss.v3 || cvss.v4) {
    md += "\n## Severity\n\n";
    if (cvss.v4) {
      const double score = cvss.v4->Score();
      md += "- CVSS v4.0 (" + std::string(cvss.v4->Nomenclature()) + "): **" + FormatScore(score) +
            " " + std::string(SeverityName(SeverityForScore(score))) + "** `" +
            cvss.v4->ToString() + "`\n";
    }
    if (cvss.v3) {
      const Cvss3Scores scores = cvss.v3->Scores();
      md += std::string("- CVSS v") + (cvss.v3->version() == Cvss3Version::k30 ? "3.0" : "3.1") +
            ": **" + FormatScore(scores.base) + " " +
            std::string(SeverityName(SeverityForScore(scores.base))) + "** `" +
            cvss.v3->ToString() + "`\n";
    }
  }
  if (!a.weaknesses.empty()) {
    md += "\n## Weaknesses\n\n";
    for (const Weakness& w : a.weaknesses) {
      md += "- " + w.id + ": " + EscapeInline(w.name) + "\n";
    }
  }
  if (!a.references.empty()) {
    md += "\n## References\n\n";
    for (const Reference& r : a.references) {
      md += "- <" + r.url + "> (" + std::string(ReferenceTypeName(r.type)) + ")\n";
    }
  }
  if (!a.credits.empty()) {
    md += "\n## Credits\n\n";
    for (const Credit& c : a.credits) {
      md += "- " + EscapeInline(CreditName(c)) + " (" + std::string(CreditTypeName(c.type)) + ")\n";
    }
  }
  return md;
}

}  // namespace vigil::advisory
