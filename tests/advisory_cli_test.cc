// `vigil advisory`: drafts proposed from reports, edited from the command line, and exported;
// every JSON export of several realistic advisories is validated against the official schemas
// with python3-jsonschema.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace vigil::testing {
namespace {

const std::string kSchemas = std::string(VIGIL_TESTDATA_DIR) + "/schemas";
const std::string kValidator = std::string(VIGIL_SOURCE_DIR) + "/tests/validate_schema.py";

class AdvisoryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitProject(dir_.path(),
                "supported_branches = [\"release-1.0\"]\n"
                "cna_org_id = \"b3476cb9-2e3d-41a6-98d0-0f47421a65b6\"\n"
                "cna_short_name = \"acme\"\n"
                "publisher_name = \"Acme Widgets\"\n"
                "publisher_namespace = \"https://acme.example\"\n"
                "package_name = \"acme.example/widget\"\n"
                "product_name = \"Widget\"\n"
                "repository_url = \"https://github.com/acme/widget\"\n");
    config_ = dir_.path() + "/vigil.toml";
  }
  CommandResult Vigil(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"-c", config_});
    return RunVigil(args, in);
  }
  std::string Submit(const std::string& subject, const std::string& email,
                     const std::string& name) {
    std::vector<std::string> args = {"report", "submit",  "--subject",
                                     subject,  "--steps", "private reproduction steps"};
    if (!email.empty()) args.insert(args.end(), {"--reporter-email", email});
    if (!name.empty()) args.insert(args.end(), {"--reporter-name", name});
    CommandResult r = Vigil(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  void Ok(const std::vector<std::string>& args, const std::string& in = "") {
    CommandResult r = Vigil(args, in);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  // Exports ID in every format to files and validates the JSON ones; returns the file stem.
  std::string ExportAndValidate(const std::string& id, bool with_cve) {
    const std::string stem = dir_.path() + "/" + id;
    std::vector<std::string> validate = {"/usr/bin/python3", kValidator, kSchemas};
    for (const std::string format : {"md", "osv", "csaf", "cve"}) {
      if (format == "cve" && !with_cve) continue;
      const std::string file = stem + "." + format;
      CommandResult r = Vigil({"advisory", "export", id, "--format", format, "-o", file});
      EXPECT_EQ(r.exit_code, 0) << format << ": " << r.err;
      if (format != "md") validate.insert(validate.end(), {format, file});
    }
    CommandResult v = vigil::testing::Run(validate);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    return stem;
  }
  static std::string Read(const std::string& path) {
    std::ifstream f(path);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  TempDir dir_;
  std::string config_;
};

TEST_F(AdvisoryCliTest, RealisticAdvisoriesExportAndValidateAgainstTheSchemas) {
  // 1. A critical heap overflow: CVSS 3.1 and 4.0, a CVE id, fix reference, named credits.
  const std::string a = Submit("Heap overflow in the header parser", "rita@example.org", "Rita R");
  Ok({"advisory",
      "edit",
      a,
      "--title",
      "Heap overflow in the HTTP header parser",
      "--summary",
      "A long header overflows a heap buffer and lets a remote client run code.",
      "--details",
      "-",
      "--cvss",
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
      "--cvss",
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
      "--cwe",
      "CWE-122:Heap-based Buffer Overflow",
      "--range",
      "0:1.4.2",
      "--range",
      "1.5.0:1.5.1",
      "--reference",
      "FIX:https://github.com/acme/widget/commit/" + std::string(40, 'a'),
      "--reference",
      "WEB:https://acme.example/security"},
     "## Impact\n\nA client sending a header longer than 64 KiB overflows `buf`.\n\n"
     "## Workarounds\n\nLimit header sizes in the proxy.\n");
  Ok({"advisory", "credit", a, "--email", "rita@example.org", "--name", "Rita R", "--type",
      "reporter", "--consent", "named"});
  Ok({"advisory", "credit", a, "--name", "Fuzz Lab", "--type", "tool", "--consent", "named"});
  Ok({"advisory", "set-id", a, "CVE-2026-31337"});
  const std::string stem_a = ExportAndValidate(a, true);
  const std::string osv = Read(stem_a + ".osv");
  EXPECT_NE(osv.find("\"id\": \"CVE-2026-31337\""), std::string::npos) << osv;
  EXPECT_NE(osv.find("\"name\": \"Rita R\""), std::string::npos);
  EXPECT_EQ(osv.find("rita@example.org"), std::string::npos);  // addresses are never published
  EXPECT_EQ(osv.find("private reproduction steps"), std::string::npos);
  const std::string md = Read(stem_a + ".md");
  EXPECT_NE(md.find("# Heap overflow in the HTTP header parser"), std::string::npos) << md;
  EXPECT_NE(md.find("## Workarounds"), std::string::npos);
  EXPECT_NE(md.find("9.8"), std::string::npos);

  // 2. A medium issue under a GHSA id, an anonymous reporter, v4.0 only, no fix yet.
  const std::string b = Submit("Token leaks in debug log", "", "");
  Ok({"advisory", "edit", b, "--summary", "Debug logging writes bearer tokens.", "--cvss",
      "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", "--cwe",
      "CWE-532:Insertion of Sensitive Information into Log File", "--range", "1.2.0:"});
  Ok({"advisory", "set-id", b, "GHSA-86x4-wp9f-wrr9"});
  CommandResult show = Vigil({"advisory", "show", b});
  EXPECT_NE(show.out.find("reporter  (no name)  consent anonymous  (reporter)"), std::string::npos)
      << show.out;
  ExportAndValidate(b, false);
  // A CVE record needs a CVE id.
  CommandResult no_cve = Vigil({"advisory", "export", b, "--format", "cve"});
  EXPECT_EQ(no_cve.exit_code, 2);
  EXPECT_EQ(no_cve.err, "vigil: advisory GHSA-86x4-wp9f-wrr9 has no CVE id\n");

  // 3. A report-id advisory with a declined and a pending credit (neither published).
  const std::string c = Submit("Path traversal in the archive extractor", "pat@example.org", "Pat");
  Ok({"advisory", "edit", c, "--cvss", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:H/A:N", "--cwe",
      "CWE-22:Improper Limitation of a Pathname to a Restricted Directory", "--range", "0:2.0.0",
      "--reference", "ADVISORY:https://acme.example/advisories/3"});
  Ok({"advisory", "credit", c, "--email", "pat@example.org", "--name", "Pat", "--type", "reporter",
      "--consent", "declined"});
  Ok({"advisory", "credit", c, "--email", "quinn@example.org", "--name", "Quinn", "--type",
      "analyst"});
  const std::string stem_c = ExportAndValidate(c, false);
  EXPECT_EQ(Read(stem_c + ".osv").find("\"credits\""), std::string::npos);
  EXPECT_NE(Read(stem_c + ".osv").find("\"id\": \"x_" + c + "\""), std::string::npos);
}

TEST_F(AdvisoryCliTest, BadEditsGetExactErrors) {
  const std::string id = Submit("Crash", "rita@example.org", "");
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"edit", id, "--cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y"},
       2,
       "CVSS vector 1: unknown CVSS v3 metric \"XX\""},
      {{"edit", id, "--cwe", "CWE-0190:Overflow"},
       2,
       "weakness \"CWE-0190\" is not of the form CWE-<number>"},
      {{"edit", id, "--reference", "FIX:ftp://example.org"},
       2,
       "reference 1 is not an http(s) URL: \"ftp://example.org\""},
      {{"edit", id, "--reference", "NOPE:https://example.org"},
       2,
       "reference \"NOPE:https://example.org\" is not TYPE:URL"},
      {{"edit", id, "--title", "two\nlines"},
       2,
       "advisory title must be text without control characters or line breaks"},
      {{"edit", id, "--summary", ""}, 2, "advisory summary is required"},
      {{"set-id", id, "CVE-26-1"},
       2,
       "\"CVE-26-1\" is neither a CVE id (CVE-2026-12345) nor a GHSA id (GHSA-xxxx-xxxx-xxxx)"},
      {{"credit", id, "--type", "hero", "--name", "X"}, 2, "unknown credit type \"hero\""},
      {{"credit", id, "--email", "x@example.org", "--type", "finder"},
       2,
       "a credit needs a name unless it is anonymous"},
      {{"export", id, "--format", "pdf"}, 2, "unknown format \"pdf\": use md, osv, cve or csaf"},
      {{"show", "SEC-2026-9999"}, 3, "report SEC-2026-9999 not found"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.insert(args.begin(), "advisory");
    CommandResult r = Vigil(args);
    SCOPED_TRACE(args[1] + " " + args.back());
    EXPECT_EQ(r.exit_code, c.exit_code);
    EXPECT_EQ(r.err, "vigil: " + c.err + "\n");
  }
  // Nothing of the refused edits was kept.
  CommandResult show = Vigil({"advisory", "show", id, "--json"});
  EXPECT_NE(show.out.find("\"cvss\":[]"), std::string::npos) << show.out;
}

}  // namespace
}  // namespace vigil::testing
