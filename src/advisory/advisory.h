// An advisory as Vigil publishes it at disclosure, and its exports: a Markdown post (GitHub
// security advisory or mailing list), OSV JSON, a CVE JSON 5 record and a CSAF 2.0 security
// advisory. Plain data: the service layer fills it from a report; nothing here does I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace vigil::advisory {

/// How a package numbers its versions: OSV range type SEMVER or ECOSYSTEM.
enum class VersionScheme { kSemver, kEcosystem };

/// One affected range: versions >= introduced and < fixed.
struct VersionRange {
  std::string introduced = "0";  // "0": every version before `fixed`
  std::string fixed;             // empty: no fixed version yet
};

/// A package the vulnerability affects.
struct AffectedPackage {
  std::string ecosystem;  // OSV ecosystem name: "Go", "PyPI", "npm", "crates.io", ...
  std::string name;       // "antrea.io/antrea"
  std::string product;    // display name, "Antrea"; the package name when empty
  std::string repo_url;   // "https://github.com/antrea-io/antrea"; empty when unknown
  VersionScheme scheme = VersionScheme::kSemver;
  std::vector<VersionRange> ranges;
  std::vector<std::string> fixed_commits;  // full commit ids of the fixes in repo_url
};

/// A CWE entry: "CWE-190", "Integer Overflow or Wraparound".
struct Weakness {
  std::string id;
  std::string name;
};

/// Reference kinds, as OSV names them.
enum class ReferenceType {
  kAdvisory,
  kArticle,
  kDetection,
  kDiscussion,
  kReport,
  kFix,
  kIntroduced,
  kPackage,
  kEvidence,
  kWeb,
};

struct Reference {
  ReferenceType type = ReferenceType::kWeb;
  std::string url;  // http or https
};

/// CVE JSON 5 credit types.
enum class CreditType {
  kFinder,
  kReporter,
  kAnalyst,
  kCoordinator,
  kRemediationDeveloper,
  kRemediationReviewer,
  kRemediationVerifier,
  kTool,
  kSponsor,
  kOther,
};

/// A person or organization credited, with their consent (the service layer asks for it).
struct Credit {
  std::string name;  // ignored when anonymous
  std::vector<std::string>
      contacts;  // "mailto:jane@example.org", "https://..."; not when anonymous
  CreditType type = CreditType::kFinder;
  bool anonymous = false;  // credited as "Anonymous", with no contact
};

struct Advisory {
  std::string id;                    // the report id until a CVE or GHSA id is recorded
  std::vector<std::string> aliases;  // "CVE-2026-25804", "GHSA-86x4-wp9f-wrr9"
  std::string title;                 // one line
  std::string summary;               // one line or a short paragraph, plain text
  std::string details;               // Markdown
  Instant published = 0;
  Instant modified = 0;
  std::vector<AffectedPackage> affected;
  std::vector<Weakness> weaknesses;
  std::vector<std::string> cvss_vectors;  // "CVSS:3.1/..." and/or "CVSS:4.0/..."
  std::vector<Reference> references;
  std::vector<Credit> credits;
};

/// Who publishes the advisory: CSAF's document publisher and the CVE record's CNA.
struct Publisher {
  std::string name;            // "Antrea"
  std::string namespace_url;   // "https://antrea.io" (CSAF publisher namespace)
  std::string contact;         // "security@antrea.io"; optional
  std::string cve_org_id;      // the CNA's UUID, required for CVE records
  std::string cve_short_name;  // the CNA's short name, optional
};

/// "finder", "reporter", ..., "remediation developer", ... "other" (CVE JSON 5 spelling).
std::string_view CreditTypeName(CreditType type);
/// The inverse of CreditTypeName. Error: `unknown credit type "x"`.
Result<CreditType> ParseCreditType(std::string_view name);
/// "ADVISORY", "ARTICLE", ..., "WEB" (OSV spelling).
std::string_view ReferenceTypeName(ReferenceType type);
/// The inverse of ReferenceTypeName. Error: `unknown reference type "x"`.
Result<ReferenceType> ParseReferenceType(std::string_view name);

/// The CVE id of the advisory (its id or its first alias of the form CVE-YYYY-NNNN+), or "".
std::string CveId(const Advisory& advisory);

/// Checks what every export relies on and returns the first problem (kInvalidArgument). Numbers
/// count from 1. The exact messages, in the order they are checked:
///   `advisory id is required`
///   `advisory id "x y" may contain only letters, digits, ".", "-" and "_"` (same for aliases:
///     `advisory alias "..." may contain ...`)
///   `advisory title is required`, `advisory title is longer than 256 characters`,
///   `advisory title must be one line`, `advisory summary is required`,
///   `advisory details are longer than 16384 bytes`,
///   `advisory title|summary|details is not valid UTF-8`
///   `advisory published time is required`, `advisory modified time is before its published time`
///   `advisory has no affected package`
///   `affected package 1 has no name`, `... has no ecosystem`, `... is not valid UTF-8`,
///   `affected package 1 repository is not an http(s) URL: "..."`,
///   `affected package 1 has no version range`,
///   `affected package 1: range 2 has no introduced version`,
///   `affected package 1: range 2 has an invalid version "..."` (space, backtick or "|"),
///   `affected package 1: commit "86c4b60" is not a full hexadecimal commit id` (40 or 64 hex),
///   `affected package 1 has fix commits but no repository URL`
///   `weakness "CWE-0190" is not of the form CWE-<number>`, `weakness CWE-79 has no name`,
///   `weakness CWE-79 is not valid UTF-8`
///   `CVSS vector 1: <the Cvss3Vector/Cvss4Vector parse error>`,
///   `more than one CVSS v3 vector`, `more than one CVSS v4.0 vector`
///   `reference 3 is not an http(s) URL: "..."`
///   `credit 2 has no name` (unless anonymous), `credit 2 is not valid UTF-8`,
///   `credit 2 has an invalid contact "..."`
Status Validate(const Advisory& advisory);

/// A Markdown advisory for a GitHub security advisory or a mailing-list post: title, identifiers,
/// summary, details, affected versions, severity (scores computed from the vectors), weaknesses,
/// references and credits. Every plain-text field is escaped so it cannot open Markdown or HTML
/// structure; details stay Markdown but raw HTML tags are escaped outside code, and links other
/// than http(s)/mailto/relative are defused. Errors: Validate's.
Result<std::string> ToMarkdown(const Advisory& advisory);

/// An OSV record (schema 1.6.0). Its id is the advisory id when that is a CVE or GHSA id, else
/// the GHSA alias, else the CVE alias, else "x_" + the advisory id (OSV ids need a registered
/// database prefix; "x_" marks an unregistered one); the advisory id then joins the aliases.
/// Carries aliases, published/modified, summary, details, affected
/// with a SEMVER or ECOSYSTEM range and a GIT range of the fix commits, severity, references,
/// credits, CWE ids in database_specific. Errors: Validate's.
Result<std::string> ToOsvJson(const Advisory& advisory);

/// A CVE JSON 5.1 record in state PUBLISHED with the CNA container of PUBLISHER: title,
/// description (plain text with the Markdown details as supporting media), affected versions,
/// problem types (CWE), CVSS metrics, references, credits. A range with no fix is written
/// `lessThan: "*"`. Errors: Validate's, `advisory SEC-2026-0001 has no CVE id`,
/// `publisher CVE org id is not a UUID: "..."` and `a CVE record needs at least one reference`
/// (when there are no references and no repository URL to fall back on).
Result<std::string> ToCveJson(const Advisory& advisory, const Publisher& publisher);

/// A CSAF 2.0 document of category csaf_security_advisory published by PUBLISHER: notes,
/// references, tracking (final, version 1), acknowledgments, a product tree of vendor /
/// product / version ranges and fixed versions, and one vulnerability with CVE, CWE, product
/// status, CVSS v3 scores and vendor_fix remediations. CSAF 2.0 has no CVSS v4.0 field: v4.0
/// vectors are given as a note only. Errors: Validate's, `publisher name is required` and
/// `publisher namespace is not an http(s) URL: "..."`.
Result<std::string> ToCsafJson(const Advisory& advisory, const Publisher& publisher);

}  // namespace vigil::advisory
