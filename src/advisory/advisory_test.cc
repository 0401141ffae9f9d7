#include "advisory/advisory.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vigil::advisory {
namespace {

const std::filesystem::path kTestdata = VIGIL_TESTDATA_DIR;

// Validates a JSON file against one of the schemas of testdata/schemas, offline: the CSAF
// schema's references to FIRST's CVSS schemas resolve to the local copies through a
// `referencing` registry that has no retrieval function. Prints the number of errors and the
// most relevant one (jsonschema's best_match, which looks inside oneOf/anyOf); exits 1 when the
// document is invalid.
// The project's schema validator (tests/validate_schema.py), run by Debian's own python3 with its
// python3-jsonschema, as scripts/install-deps.sh installs them.
const std::string kValidator = std::string(VIGIL_SOURCE_DIR) + "/tests/validate_schema.py";

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "vigil-advisory-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs the validator on DOCUMENT written to a temp file; returns its exit status and output.
struct Validation {
  int exit_code = -1;
  std::string output;
};
Validation ValidateJson(const std::string& kind, const std::string& document) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / (kind + ".json");
  std::ofstream(file) << document;
  const std::filesystem::path output = dir.path() / "output.txt";
  const std::string command = "/usr/bin/python3 '" + kValidator + "' '" +
                              (kTestdata / "schemas").string() + "' " + kind + " '" +
                              file.string() + "' > '" + output.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  Validation result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(output);
  result.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return result;
}

Instant At(const char* text) { return *ParseUtc(text); }

Publisher Antrea() {
  Publisher p;
  p.name = "Antrea";
  p.namespace_url = "https://antrea.io";
  p.contact = "cncf-antrea-security@lists.cncf.io";
  p.cve_org_id = "a0819718-46f1-4df5-94e2-005712e83aaa";
  p.cve_short_name = "GitHub_M";
  return p;
}

// Modelled on GO-2026-4461 / GHSA-86x4-wp9f-wrr9: two release lines fixed, CVSS 3.1 and 4.0.
Advisory IntegerOverflowAdvisory() {
  Advisory a;
  a.id = "GHSA-86x4-wp9f-wrr9";
  a.aliases = {"CVE-2026-25804", "SEC-2026-0007"};
  a.title = "Invalid enforcement order for network policy rules caused by integer overflow";
  a.summary =
      "The priority of Antrea-native policy rules can overflow, so that a lower-priority rule is "
      "enforced before a higher-priority one.";
  a.details =
      "### Impact\n\n"
      "When a Tier has more than 65,535 rules, the computed OpenFlow priority wraps around "
      "(`uint16` overflow) and *deny* rules may be evaluated after *allow* rules.\n\n"
      "### Patches\n\nFixed in v2.3.2 and v2.4.3.\n\n"
      "### Workarounds\n\nKeep fewer than 65,535 rules per Tier.\n\n"
      "```go\npriority := uint16(base + offset) // <-- wraps\n```\n";
  a.published = At("2026-02-10T15:00:00Z");
  a.modified = At("2026-02-12T09:30:00Z");
  AffectedPackage p;
  p.ecosystem = "Go";
  p.name = "antrea.io/antrea";
  p.product = "Antrea";
  p.repo_url = "https://github.com/antrea-io/antrea";
  p.ranges = {{"0", "2.3.2"}, {"2.4.0", "2.4.3"}};
  p.fixed_commits = {"86c4b6010f3be536866f339b632621c23d7186fa"};
  a.affected = {p};
  a.weaknesses = {{"CWE-190", "Integer Overflow or Wraparound"}};
  a.cvss_vectors = {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N",
                    "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N"};
  a.references = {
      {ReferenceType::kAdvisory,
       "https://github.com/antrea-io/antrea/security/advisories/GHSA-86x4-wp9f-wrr9"},
      {ReferenceType::kAdvisory, "https://nvd.nist.gov/vuln/detail/CVE-2026-25804"},
      {ReferenceType::kFix,
       "https://github.com/antrea-io/antrea/commit/86c4b6010f3be536866f339b632621c23d7186fa"},
      {ReferenceType::kWeb, "https://github.com/antrea-io/antrea/pull/7496"},
  };
  a.credits = {
      {"Jane Doe", {"mailto:jane@example.org"}, CreditType::kFinder, false},
      {"", {}, CreditType::kReporter, true},
      {"Antonin Bas", {"https://github.com/antoninbas"}, CreditType::kRemediationDeveloper, false},
      {"Quan Tian", {}, CreditType::kRemediationReviewer, false},
  };
  return a;
}

// Modelled on GO-2026-5579 / GHSA-qcmw-8mm4-4p28: several ranges, one still unfixed, a v3.0
// vector with temporal and environmental metrics, two fix commits.
Advisory MissingEncryptionAdvisory() {
  Advisory a;
  a.id = "CVE-2026-34992";
  a.aliases = {"GHSA-qcmw-8mm4-4p28"};
  a.title = "Missing encryption of sensitive data with WireGuard traffic encryption";
  a.summary = "Some inter-Node traffic is sent in clear text although WireGuard encryption is on.";
  a.details = "Traffic from hostNetwork Pods is not routed through the WireGuard tunnel.";
  a.published = At("2026-03-03T15:30:00Z");
  a.modified = a.published;
  AffectedPackage p;
  p.ecosystem = "Go";
  p.name = "antrea.io/antrea";
  p.repo_url = "https://github.com/antrea-io/antrea";
  p.ranges = {{"0", "1.11.0"}, {"2.5.0", ""}};
  p.fixed_commits = {"738bad662b20a5d358d19466936176ef580a9b07",
                     "1111111111111111111111111111111111111111"};
  a.affected = {p};
  a.weaknesses = {{"CWE-311", "Missing Encryption of Sensitive Data"},
                  {"CWE-319", "Cleartext Transmission of Sensitive Information"}};
  a.cvss_vectors = {"CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N/E:P/RL:O/RC:C/CR:H/MAV:A"};
  a.references = {
      {ReferenceType::kAdvisory,
       "https://github.com/antrea-io/antrea/security/advisories/GHSA-qcmw-8mm4-4p28"},
      {ReferenceType::kWeb, "https://github.com/antrea-io/antrea/pull/7757"},
      {ReferenceType::kReport, "https://github.com/antrea-io/antrea/issues/7759"},
  };
  a.credits = {{"ACME Red Team", {}, CreditType::kFinder, false},
               {"Scan-o-matic", {}, CreditType::kTool, false},
               {"Wenying Dong", {}, CreditType::kCoordinator, false}};
  return a;
}

// A report-id advisory without CVE id, a v4.0 vector only, a PyPI package with no fix yet and
// hostile text in every field that ends up in Markdown.
Advisory HostileTextAdvisory() {
  Advisory a;
  a.id = "SEC-2026-0042";
  a.title = "XSS in <script>alert(1)</script> *dashboard* | [click](javascript:alert(1))";
  a.summary = "# not a heading\n- not a list <img src=x onerror=alert(1)> & more";
  a.details =
      "Reproduce with <script>alert(\"x\")</script> in the name field.\n\n"
      "[harmless](https://example.org/ok) and [evil](javascript:alert(1)) and "
      "[Evil2]( JAVASCRIPT:alert(2)) and ![img](data:text/html;base64,AAAA)\n\n"
      "[ref]: javascript:alert(3)\n\n"
      "<div onclick=\"alert(4)\">raw html block</div>\n\n"
      "Inline code keeps `<b>tags</b>` as written.\n\n"
      "```html\n<script>payload()</script>\n```\n";
  a.published = At("2026-04-01T15:00:00Z");
  a.modified = At("2026-04-01T15:00:00Z");
  AffectedPackage p;
  p.ecosystem = "PyPI";
  p.name = "vigil-dashboard";
  p.scheme = VersionScheme::kEcosystem;
  p.ranges = {{"1.0", ""}};
  a.affected = {p};
  a.weaknesses = {{"CWE-79",
                   "Improper Neutralization of Input During Web Page Generation "
                   "('Cross-site Scripting')"}};
  a.cvss_vectors = {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N/E:P/U:Amber"};
  a.credits = {{"<b>Mallory</b> [x](javascript:y)", {}, CreditType::kFinder, false}};
  return a;
}

std::vector<std::pair<std::string, Advisory>> AllAdvisories() {
  return {{"integer-overflow", IntegerOverflowAdvisory()},
          {"missing-encryption", MissingEncryptionAdvisory()},
          {"hostile-text", HostileTextAdvisory()}};
}

TEST(AdvisorySchemaTest, ValidatorAcceptsTheRealOsvRecordsAndRejectsABrokenOne) {
  for (const char* name : {"GO-2026-4461.json", "GO-2026-5579.json"}) {
    std::ifstream in(kTestdata / "advisories" / name);
    const std::string record((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
    ASSERT_FALSE(record.empty()) << name;
    const Validation v = ValidateJson("osv", record);
    EXPECT_EQ(v.exit_code, 0) << name << "\n" << v.output;
  }
  const Validation broken = ValidateJson("osv", R"({"id": "X-1", "aliases": "CVE-1"})");
  EXPECT_EQ(broken.exit_code, 1) << broken.output;
  EXPECT_NE(broken.output.find("'modified' is a required property"), std::string::npos)
      << broken.output;
}

// The CVE and CSAF validations are not vacuous: a wrong CVSS object inside an otherwise valid
// document fails, which also shows the CSAF schema's CVSS references resolve offline.
TEST(AdvisorySchemaTest, ValidatorRejectsBrokenCveAndCsafDocuments) {
  for (const char* kind : {"cve", "csaf"}) {
    const std::string name = kind;
    Result<std::string> good = name == "cve" ? ToCveJson(IntegerOverflowAdvisory(), Antrea())
                                             : ToCsafJson(IntegerOverflowAdvisory(), Antrea());
    ASSERT_TRUE(good.ok());
    std::string broken = *good;
    const std::string from = R"("baseSeverity": "MEDIUM")";
    const std::size_t at = broken.find(from);
    ASSERT_NE(at, std::string::npos) << broken;
    broken.replace(at, from.size(), R"("baseSeverity": "SEVERE")");
    const Validation v = ValidateJson(kind, broken);
    EXPECT_EQ(v.exit_code, 1) << kind << "\n" << v.output;
    EXPECT_NE(v.output.find("SEVERE"), std::string::npos) << kind << "\n" << v.output;
  }
}

TEST(AdvisorySchemaTest, OsvExportsValidate) {
  for (const auto& [name, advisory] : AllAdvisories()) {
    Result<std::string> osv = ToOsvJson(advisory);
    ASSERT_TRUE(osv.ok()) << name << ": " << osv.status().message();
    const Validation v = ValidateJson("osv", *osv);
    EXPECT_EQ(v.exit_code, 0) << name << "\n" << v.output << "\n" << *osv;
  }
}

TEST(AdvisorySchemaTest, CveExportsValidate) {
  for (const auto& [name, advisory] : AllAdvisories()) {
    if (CveId(advisory).empty()) continue;
    Result<std::string> cve = ToCveJson(advisory, Antrea());
    ASSERT_TRUE(cve.ok()) << name << ": " << cve.status().message();
    const Validation v = ValidateJson("cve", *cve);
    EXPECT_EQ(v.exit_code, 0) << name << "\n" << v.output << "\n" << *cve;
  }
}

TEST(AdvisorySchemaTest, CsafExportsValidate) {
  for (const auto& [name, advisory] : AllAdvisories()) {
    Result<std::string> csaf = ToCsafJson(advisory, Antrea());
    ASSERT_TRUE(csaf.ok()) << name << ": " << csaf.status().message();
    const Validation v = ValidateJson("csaf", *csaf);
    EXPECT_EQ(v.exit_code, 0) << name << "\n" << v.output << "\n" << *csaf;
  }
}

TEST(AdvisoryExportTest, OsvCarriesRangesCommitsSeverityAndCredits) {
  Result<std::string> osv = ToOsvJson(IntegerOverflowAdvisory());
  ASSERT_TRUE(osv.ok());
  for (const char* expected : {
           R"("id": "GHSA-86x4-wp9f-wrr9")",
           R"("published": "2026-02-10T15:00:00Z")",
           R"("modified": "2026-02-12T09:30:00Z")",
           R"("type": "SEMVER")",
           R"("fixed": "2.3.2")",
           R"("introduced": "2.4.0")",
           R"("type": "GIT")",
           R"("fixed": "86c4b6010f3be536866f339b632621c23d7186fa")",
           R"("score": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N")",
           R"("type": "CVSS_V4")",
           R"("name": "Anonymous")",
           R"("type": "REMEDIATION_DEVELOPER")",
           R"("cwe_ids": [)",
       }) {
    EXPECT_NE(osv->find(expected), std::string::npos) << expected << "\n" << *osv;
  }
}

TEST(AdvisoryExportTest, CveRecordIsPublishedWithScoresAndCredits) {
  Result<std::string> cve = ToCveJson(IntegerOverflowAdvisory(), Antrea());
  ASSERT_TRUE(cve.ok());
  for (const char* expected : {
           R"("cveId": "CVE-2026-25804")",
           R"("state": "PUBLISHED")",
           R"("lessThan": "2.3.2")",
           R"("cweId": "CWE-190")",
           R"("baseScore": 6.5)",
           R"("baseSeverity": "MEDIUM")",
           R"("type": "remediation developer")",
           R"("tags": [)",
       }) {
    EXPECT_NE(cve->find(expected), std::string::npos) << expected << "\n" << *cve;
  }
  Result<std::string> unfixed = ToCveJson(MissingEncryptionAdvisory(), Antrea());
  ASSERT_TRUE(unfixed.ok());
  EXPECT_NE(unfixed->find(R"("lessThan": "*")"), std::string::npos) << *unfixed;
  EXPECT_NE(unfixed->find(R"("cvssV3_0")"), std::string::npos) << *unfixed;
  EXPECT_NE(unfixed->find(R"("environmentalScore")"), std::string::npos) << *unfixed;
}

TEST(AdvisoryExportTest, CsafHasProductTreeRemediationsAndScores) {
  Result<std::string> csaf = ToCsafJson(IntegerOverflowAdvisory(), Antrea());
  ASSERT_TRUE(csaf.ok());
  for (
      const char* expected : {
          R"("category": "csaf_security_advisory")",
          R"("name": "vers:semver/<2.3.2")",
          R"("name": "vers:semver/>=2.4.0|<2.4.3")",
          R"("category": "vendor_fix")",
          R"("url": "https://github.com/antrea-io/antrea/commit/86c4b6010f3be536866f339b632621c23d7186fa")",
          R"("cve": "CVE-2026-25804")",
          R"("id": "CWE-190")",
          R"("cvss_v3": {)",
          R"("known_affected": [)",
          R"("fixed": [)",
      }) {
    EXPECT_NE(csaf->find(expected), std::string::npos) << expected << "\n" << *csaf;
  }
}

// Renders MARKDOWN as GitHub would (tables, autolinks, strikethrough) but with raw HTML
// allowed, so that only our own escaping stands between the fields and the page.
std::string RenderUnsafe(const std::string& markdown) {
  cmark_gfm_core_extensions_ensure_registered();
  const int options = CMARK_OPT_UNSAFE;
  std::unique_ptr<cmark_parser, decltype(&cmark_parser_free)> parser(cmark_parser_new(options),
                                                                     &cmark_parser_free);
  for (const char* name : {"table", "autolink", "strikethrough"}) {
    cmark_parser_attach_syntax_extension(parser.get(), cmark_find_syntax_extension(name));
  }
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> document(
      cmark_parser_finish(parser.get()), &cmark_node_free);
  char* html =
      cmark_render_html(document.get(), options, cmark_parser_get_syntax_extensions(parser.get()));
  std::string out(html);
  free(html);
  return out;
}

TEST(AdvisoryMarkdownTest, HasTheKeySectionsAndRenders) {
  Result<std::string> md = ToMarkdown(IntegerOverflowAdvisory());
  ASSERT_TRUE(md.ok()) << md.status().message();
  for (const char* expected : {
           "# Invalid enforcement order for network policy rules caused by integer overflow\n",
           "- **ID:** GHSA-86x4-wp9f-wrr9\n",
           "- **Aliases:** CVE-2026-25804, SEC-2026-0007\n",
           "- **Published:** 2026-02-10T15:00:00Z\n",
           "\n## Summary\n",
           "\n## Details\n",
           "\n## Affected versions\n",
           "| antrea.io/antrea | Go | `>= 2.4.0, < 2.4.3` | `2.4.3` |\n",
           "| antrea.io/antrea | Go | `< 2.3.2` | `2.3.2` |\n",
           "\n## Severity\n",
           "CVSS v3.1: **6.5 Medium** `CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N`",
           "\n## Weaknesses\n\n- CWE-190: Integer Overflow or Wraparound\n",
           "\n## References\n",
           "- <https://github.com/antrea-io/antrea/pull/7496> (WEB)\n",
           "\n## Credits\n",
           "- Anonymous (reporter)\n",
           "- Antonin Bas (remediation developer)\n",
           "```go\npriority := uint16(base + offset) // <-- wraps\n```\n",
       }) {
    EXPECT_NE(md->find(expected), std::string::npos) << expected << "\n" << *md;
  }
  const std::string html = RenderUnsafe(*md);
  for (const char* expected :
       {"<h1>", "<h2>Summary</h2>", "<h2>Details</h2>", "<h3>Impact</h3>", "<table>",
        "<td>antrea.io/antrea</td>", "<code>uint16</code>",
        "<a href=\"https://github.com/antrea-io/antrea/pull/7496\">", "// &lt;-- wraps"}) {
    EXPECT_NE(html.find(expected), std::string::npos) << expected << "\n" << html;
  }
}

TEST(AdvisoryMarkdownTest, HostileTextCannotInjectHtmlOrScriptLinks) {
  Result<std::string> md = ToMarkdown(HostileTextAdvisory());
  ASSERT_TRUE(md.ok()) << md.status().message();
  const std::string html = RenderUnsafe(*md);
  for (const char* forbidden :
       {"<script", "<img", "<div", "<b>", "href=\"javascript", "href=\"JAVASCRIPT",
        "src=\"data:", "onerror=\"", "<h1>not a", "<li>not a list"}) {
    EXPECT_EQ(html.find(forbidden), std::string::npos) << forbidden << "\n" << *md << "\n" << html;
  }
  // What the author meant stays visible as text, and legitimate Markdown still works.
  for (const char* expected : {
           "XSS in &lt;script&gt;alert(1)&lt;/script&gt; *dashboard* | "
           "[click](javascript:alert(1))",
           "<a href=\"https://example.org/ok\">harmless</a>",
           "<code>&lt;b&gt;tags&lt;/b&gt;</code>",
           "&lt;script&gt;payload()&lt;/script&gt;",
           "<h2>Credits</h2>",
       }) {
    EXPECT_NE(html.find(expected), std::string::npos) << expected << "\n" << html;
  }
}

TEST(AdvisoryValidateTest, ExportsRefuseInvalidAdvisoriesWithExactMessages) {
  struct Case {
    std::function<void(Advisory&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](Advisory& a) { a.id.clear(); }, "advisory id is required"},
      {[](Advisory& a) { a.id = "SEC 1"; },
       "advisory id \"SEC 1\" may contain only letters, digits, \".\", \"-\" and \"_\""},
      {[](Advisory& a) { a.title.clear(); }, "advisory title is required"},
      {[](Advisory& a) { a.title = std::string(257, 'x'); },
       "advisory title is longer than 256 characters"},
      {[](Advisory& a) { a.title = "two\nlines"; }, "advisory title must be one line"},
      {[](Advisory& a) { a.details = std::string(16385, 'x'); },
       "advisory details are longer than 16384 bytes"},
      {[](Advisory& a) { a.summary = "bad \xC3\x28 byte"; }, "advisory summary is not valid UTF-8"},
      {[](Advisory& a) { a.modified = a.published - 1; },
       "advisory modified time is before its published time"},
      {[](Advisory& a) { a.affected[0].name.clear(); }, "affected package 1 has no name"},
      {[](Advisory& a) { a.affected[0].ecosystem.clear(); }, "affected package 1 has no ecosystem"},
      {[](Advisory& a) { a.affected[0].ranges.clear(); },
       "affected package 1 has no version range"},
      {[](Advisory& a) { a.affected[0].ranges[1].introduced.clear(); },
       "affected package 1: range 2 has no introduced version"},
      {[](Advisory& a) { a.affected[0].fixed_commits = {"86c4b60"}; },
       "affected package 1: commit \"86c4b60\" is not a full hexadecimal commit id"},
      {[](Advisory& a) { a.weaknesses[0].id = "CWE-0190"; },
       "weakness \"CWE-0190\" is not of the form CWE-<number>"},
      {[](Advisory& a) { a.weaknesses[0].name.clear(); }, "weakness CWE-190 has no name"},
      {[](Advisory& a) { a.cvss_vectors[0] = "CVSS:3.1/AV:N"; },
       "CVSS vector 1: missing CVSS v3 base metric \"AC\""},
      {[](Advisory& a) { a.cvss_vectors.push_back(a.cvss_vectors[1]); },
       "more than one CVSS v4.0 vector"},
      {[](Advisory& a) { a.references[2].url = "javascript:alert(1)"; },
       "reference 3 is not an http(s) URL: \"javascript:alert(1)\""},
      {[](Advisory& a) { a.credits[0].name.clear(); }, "credit 1 has no name"},
  };
  for (const Case& c : cases) {
    Advisory advisory = IntegerOverflowAdvisory();
    c.change(advisory);
    const Status status = Validate(advisory);
    EXPECT_EQ(status.message(), c.message);
    EXPECT_EQ(status.code(), Code::kInvalidArgument) << c.message;
    for (const Result<std::string>& out :
         {ToMarkdown(advisory), ToOsvJson(advisory), ToCveJson(advisory, Antrea()),
          ToCsafJson(advisory, Antrea())}) {
      ASSERT_FALSE(out.ok()) << c.message;
      EXPECT_EQ(out.status().message(), c.message);
    }
  }
}

TEST(AdvisoryValidateTest, CveAndCsafNeedTheirIdentifiers) {
  Result<std::string> cve = ToCveJson(HostileTextAdvisory(), Antrea());
  ASSERT_FALSE(cve.ok());
  EXPECT_EQ(cve.status().message(), "advisory SEC-2026-0042 has no CVE id");
  Publisher publisher = Antrea();
  publisher.cve_org_id = "not-a-uuid";
  cve = ToCveJson(IntegerOverflowAdvisory(), publisher);
  ASSERT_FALSE(cve.ok());
  EXPECT_EQ(cve.status().message(), "publisher CVE org id is not a UUID: \"not-a-uuid\"");
  publisher = Antrea();
  publisher.namespace_url = "antrea.io";
  Result<std::string> csaf = ToCsafJson(IntegerOverflowAdvisory(), publisher);
  ASSERT_FALSE(csaf.ok());
  EXPECT_EQ(csaf.status().message(), "publisher namespace is not an http(s) URL: \"antrea.io\"");
  publisher.name.clear();
  csaf = ToCsafJson(IntegerOverflowAdvisory(), publisher);
  ASSERT_FALSE(csaf.ok());
  EXPECT_EQ(csaf.status().message(), "publisher name is required");
}

TEST(AdvisoryNamesTest, CreditAndReferenceTypesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(CreditType::kOther); ++i) {
    const auto type = static_cast<CreditType>(i);
    Result<CreditType> parsed = ParseCreditType(CreditTypeName(type));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(CreditTypeName(CreditType::kRemediationVerifier), "remediation verifier");
  EXPECT_EQ(ParseCreditType("hacker").status().message(), "unknown credit type \"hacker\"");
  for (int i = 0; i <= static_cast<int>(ReferenceType::kWeb); ++i) {
    const auto type = static_cast<ReferenceType>(i);
    Result<ReferenceType> parsed = ParseReferenceType(ReferenceTypeName(type));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(ParseReferenceType("BLOG").status().message(), "unknown reference type \"BLOG\"");
}

}  // namespace
}  // namespace vigil::advisory
