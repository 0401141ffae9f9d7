// AdvisoryService on a SQLite store in a temp folder, a fake clock and a fixed source of approved
// revisions: the draft proposed from a report, partial edits, the refusals of each edit with their
// exact messages, credits and consent, external ids, the four export formats, and what never
// leaves an embargoed report through an advisory (the report's own text, credit emails, credits
// without consent).
#include "service/advisory_service.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <memory>

#include "service/report_service.h"
#include "store/sqlite_store.h"
#include "support/git_sandbox.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

namespace json = boost::json;

using testing::kT0;

constexpr char kSecretSteps[] = "SECRET-STEPS: send 70000 bytes to port 9";
constexpr char kCvss31[] = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

// Approved revisions set by the test, per branch.
class FixedRevisions final : public ApprovedRevisionSource {
 public:
  Result<std::optional<ApprovedRevision>> ForBranch(const std::string&,
                                                    const std::string& branch) override {
    auto it = by_branch.find(branch);
    if (it == by_branch.end()) return std::optional<ApprovedRevision>();
    return std::optional<ApprovedRevision>(it->second);
  }
  std::map<std::string, ApprovedRevision> by_branch;
};

ApprovedRevision RevisionBy(const std::string& branch, const std::string& name,
                            const std::string& email) {
  ApprovedRevision rev;
  rev.branch = branch;
  rev.label = "s1v1";
  ApprovedPatch p;
  p.subject = "Fix the parser";
  p.author_name = name;
  p.author_email = email;
  rev.patches.push_back(p);
  return rev;
}

class AdvisoryServiceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    config_.project_name = "Widget";
    config_.supported_branches = {"release-1.0"};
    config_.publisher_name = "Acme Widgets";
    config_.publisher_namespace = "https://acme.example";
    config_.cna_org_id = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6";
    config_.cna_short_name = "acme";
    config_.package_name = "acme.example/widget";
    config_.repository_url = "https://github.com/acme/widget";
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    advisories_ = std::make_unique<AdvisoryService>(*store_, clock_, config_, revisions_);
    ASSERT_TRUE(
        reports_->AddAccount(local_, "alice@example.org", "", AccountRole::kMaintainer, "").ok());
    SubmitRequest req;
    req.fields.subject = "Heap overflow in parse_header";
    req.fields.steps = kSecretSteps;
    req.reporter_email = "rita@example.org";
    req.reporter_name = "Rita R";
    Result<Submitted> s = reports_->Submit(Principal{}, req);
    ASSERT_TRUE(s.ok()) << s.status().message();
    id_ = s->id;
    ASSERT_TRUE(reports_->Assign(local_, id_, "alice@example.org").ok());
    ASSERT_TRUE(reports_->Confirm(local_, id_).ok());
    ASSERT_TRUE(reports_->Classify(local_, id_, 1).ok());  // master and release-1.0
    rita_ = {Principal::Kind::kCapability, "rita@example.org", AccountRole::kMember, id_};
  }
  void TearDown() override {
    advisories_.reset();
    CloseServices();
  }

  std::string LastEventKind() { return store_->Events(id_)->back().kind; }
  /// The message of a refused edit, checking that nothing was stored.
  std::string Refusal(const AdvisoryEdit& edit) {
    const size_t events = store_->Events(id_)->size();
    Result<AdvisoryDraft> d = advisories_->Edit(local_, id_, edit);
    EXPECT_FALSE(d.ok());
    EXPECT_EQ(store_->Events(id_)->size(), events);
    return d.status().message();
  }
  /// A draft with every field the exports carry, and the reporter credited by name.
  void CompleteDraft() {
    AdvisoryEdit e;
    e.title = "Heap overflow in parse_header";
    e.summary = "A long header overflows a buffer.";
    e.details = "Headers longer than `max` were copied whole.";
    e.ranges = std::vector<advisory::VersionRange>{{"1.0.0", "1.0.3"}};
    e.weaknesses = std::vector<advisory::Weakness>{{"CWE-787", "Out-of-bounds Write"}};
    e.cvss_vectors = std::vector<std::string>{kCvss31};
    e.references = std::vector<advisory::Reference>{
        {advisory::ReferenceType::kWeb, "https://acme.example/security"}};
    ASSERT_TRUE(advisories_->Edit(local_, id_, e).ok());
    ASSERT_TRUE(advisories_->SetOwnConsent(rita_, id_, CreditConsent::kNamed).ok());
  }
  json::value ExportJson(ExportFormat f) {
    Result<std::string> text = advisories_->Export(id_, f);
    EXPECT_TRUE(text.ok()) << text.status().message();
    return text.ok() ? json::parse(*text) : json::value();
  }

  FixedRevisions revisions_;
  std::unique_ptr<AdvisoryService> advisories_;
  Principal rita_;
  std::string id_;
};

TEST_F(AdvisoryServiceTest, TheDraftIsProposedFromTheReportWithoutStoringIt) {
  Result<AdvisoryDraft> d = advisories_->Draft(id_);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->title, "Heap overflow in parse_header");
  EXPECT_EQ(d->summary, "Heap overflow in parse_header");
  EXPECT_EQ(d->details, "");
  EXPECT_TRUE(d->ranges.empty());
  EXPECT_EQ(d->published, 0);
  ASSERT_EQ(d->credits.size(), 1u);
  EXPECT_EQ(d->credits[0].email, "rita@example.org");
  EXPECT_EQ(d->credits[0].name, "Rita R");
  EXPECT_EQ(d->credits[0].type, advisory::CreditType::kReporter);
  EXPECT_EQ(d->credits[0].consent, CreditConsent::kPending);
  EXPECT_EQ(d->credits[0].source, "reporter");
  EXPECT_FALSE(store_->FindAdvisoryDraft(id_)->has_value());
  EXPECT_EQ(advisories_->Draft("SEC-2026-0999").status().code(), Code::kNotFound);
}

TEST_F(AdvisoryServiceTest, ApprovedPatchAuthorsAreProposedOnceAsRemediationDevelopers) {
  revisions_.by_branch["master"] = RevisionBy("master", "Fiona Fixer", "Fiona@Example.org");
  revisions_.by_branch["release-1.0"] =
      RevisionBy("release-1.0", "Fiona Fixer", "fiona@example.org");
  Result<AdvisoryDraft> d = advisories_->Draft(id_);
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->credits.size(), 2u);
  EXPECT_EQ(d->credits[1].email, "fiona@example.org");
  EXPECT_EQ(d->credits[1].name, "Fiona Fixer");
  EXPECT_EQ(d->credits[1].type, advisory::CreditType::kRemediationDeveloper);
  EXPECT_EQ(d->credits[1].consent, CreditConsent::kPending);
  EXPECT_EQ(d->credits[1].source, "patch-author");

  // Once stored, the proposal is not added a second time.
  ASSERT_TRUE(advisories_->SetOwnConsent(rita_, id_, CreditConsent::kAnonymous).ok());
  d = advisories_->Draft(id_);
  ASSERT_EQ(d->credits.size(), 2u);
  EXPECT_EQ(d->credits[0].consent, CreditConsent::kAnonymous);
}

TEST_F(AdvisoryServiceTest, TheReportersChoiceWhenReportingIsTheirConsent) {
  WriteBatch b;
  ReporterPrefs prefs;
  prefs.report_id = id_;
  prefs.anonymous = false;
  prefs.credit_name = "R. Reporter";
  prefs.updated_at = kT0;
  b.web.reporter_prefs = prefs;
  ASSERT_TRUE(store_->Write(std::move(b)).ok());
  Result<AdvisoryDraft> d = advisories_->Draft(id_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->credits[0].consent, CreditConsent::kNamed);
  EXPECT_EQ(d->credits[0].name, "R. Reporter");

  // An answer recorded since wins over the choice made when reporting.
  ASSERT_TRUE(advisories_->SetOwnConsent(rita_, id_, CreditConsent::kDeclined).ok());
  EXPECT_EQ(advisories_->Draft(id_)->credits[0].consent, CreditConsent::kDeclined);
}

TEST_F(AdvisoryServiceTest, AnEditReplacesOnlyTheFieldsItHoldsAndIsAudited) {
  AdvisoryEdit e;
  e.details = "Details in *Markdown*.";
  Result<AdvisoryDraft> d = advisories_->Edit(local_, id_, e);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->title, "Heap overflow in parse_header");
  EXPECT_EQ(d->details, "Details in *Markdown*.");
  EXPECT_EQ(LastEventKind(), "advisory.edited");
  EXPECT_EQ(store_->Events(id_)->back().actor, "cli:root");

  AdvisoryEdit title;
  title.title = "Overflow in the header parser";
  d = advisories_->Edit(local_, id_, title);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->details, "Details in *Markdown*.");
  Result<std::optional<AdvisoryDraftRow>> row = store_->FindAdvisoryDraft(id_);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->updated_at, kT0);
  Result<AdvisoryDraft> stored = DraftFromJson((*row)->document);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->title, "Overflow in the header parser");
  EXPECT_EQ(stored->details, "Details in *Markdown*.");
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(AdvisoryServiceTest, FieldLimitsAreRefusedBeforeAnythingIsStored) {
  AdvisoryEdit e;
  e.title = std::string(257, 't');
  EXPECT_EQ(Refusal(e), "advisory title is longer than 256 bytes");
  EXPECT_EQ(advisories_->Edit(local_, id_, e).status().code(), Code::kTooLarge);
  e = {};
  e.title = "two\nlines";
  EXPECT_EQ(Refusal(e), "advisory title must be text without control characters or line breaks");
  e = {};
  e.summary = "bell \x07";
  EXPECT_EQ(Refusal(e), "advisory summary must be text without control characters");
  e = {};
  e.summary = std::string(4097, 's');
  EXPECT_EQ(Refusal(e), "advisory summary is longer than 4096 bytes");
  e = {};
  e.details = std::string(16385, 'd');
  EXPECT_EQ(Refusal(e), "advisory details is longer than 16384 bytes");
  e = {};
  e.references = std::vector<advisory::Reference>(
      65, {advisory::ReferenceType::kWeb, "https://acme.example/"});
  EXPECT_EQ(Refusal(e), "more than 64 entries in one advisory list");
  // Line breaks are allowed in the summary and details.
  e = {};
  e.summary = "one\ntwo";
  e.details = "a\r\nb\tc";
  EXPECT_TRUE(advisories_->Edit(local_, id_, e).ok());
}

TEST_F(AdvisoryServiceTest, AnEditTheExportsWouldRefuseIsRefusedWithTheirMessage) {
  AdvisoryEdit e;
  e.summary = "";
  EXPECT_EQ(Refusal(e), "advisory summary is required");
  e = {};
  e.weaknesses = std::vector<advisory::Weakness>{{"CWE-0190", "Integer Overflow"}};
  EXPECT_EQ(Refusal(e), "weakness \"CWE-0190\" is not of the form CWE-<number>");
  e = {};
  e.weaknesses = std::vector<advisory::Weakness>{{"CWE-79", ""}};
  EXPECT_EQ(Refusal(e), "weakness CWE-79 has no name");
  e = {};
  e.references = std::vector<advisory::Reference>{{advisory::ReferenceType::kWeb, "ftp://x"}};
  EXPECT_EQ(Refusal(e), "reference 1 is not an http(s) URL: \"ftp://x\"");
  e = {};
  e.ranges = std::vector<advisory::VersionRange>{{"0", "1.0"}, {"", "2.0"}};
  EXPECT_EQ(Refusal(e), "affected package 1: range 2 has no introduced version");
  e = {};
  e.cvss_vectors = std::vector<std::string>{kCvss31, kCvss31};
  EXPECT_EQ(Refusal(e), "more than one CVSS v3 vector");
  e = {};
  e.cvss_vectors = std::vector<std::string>{"CVSS:3.1/AV:N"};
  EXPECT_TRUE(Refusal(e).starts_with("CVSS vector 1: ")) << Refusal(e);
  EXPECT_EQ(advisories_->Edit(local_, id_, e).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(store_->FindAdvisoryDraft(id_)->has_value());
}

TEST_F(AdvisoryServiceTest, CreditsAreAddedReplacedAndRefused) {
  DraftCredit c;
  c.email = "Tess@Example.org";
  c.name = "Tess Tester";
  c.type = advisory::CreditType::kRemediationReviewer;
  Result<AdvisoryDraft> d = advisories_->SetCredit(local_, id_, c);
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->credits.size(), 2u);
  EXPECT_EQ(d->credits[1].email, "tess@example.org");
  EXPECT_EQ(d->credits[1].source, "manual");
  EXPECT_EQ(LastEventKind(), "advisory.credit");
  // The same email and type: replaced, keeping where the credit came from.
  c.name = "Tess T.";
  c.consent = CreditConsent::kNamed;
  d = advisories_->SetCredit(local_, id_, c);
  ASSERT_EQ(d->credits.size(), 2u);
  EXPECT_EQ(d->credits[1].name, "Tess T.");
  EXPECT_EQ(d->credits[1].consent, CreditConsent::kNamed);
  // The reporter's proposed credit, edited by the coordinator, stays the reporter's.
  DraftCredit rita;
  rita.email = "rita@example.org";
  rita.name = "Rita Reporter";
  rita.type = advisory::CreditType::kReporter;
  d = advisories_->SetCredit(local_, id_, rita);
  ASSERT_EQ(d->credits.size(), 2u);
  EXPECT_EQ(d->credits[0].name, "Rita Reporter");
  EXPECT_EQ(d->credits[0].source, "reporter");
  // An anonymous credit needs neither name nor email... but one of them.
  DraftCredit anonymous;
  anonymous.consent = CreditConsent::kAnonymous;
  EXPECT_EQ(advisories_->SetCredit(local_, id_, anonymous).status().message(),
            "a credit needs an email or a name");

  DraftCredit bad;
  bad.email = "not-an-address";
  bad.name = "X";
  EXPECT_EQ(advisories_->SetCredit(local_, id_, bad).status().message(),
            "credit email \"not-an-address\" is not an email address");
  bad.email = "x@example.org";
  bad.name = "";
  EXPECT_EQ(advisories_->SetCredit(local_, id_, bad).status().message(),
            "a credit needs a name unless it is anonymous");
  bad.name = "X\nY";
  EXPECT_EQ(advisories_->SetCredit(local_, id_, bad).status().message(),
            "advisory credit name must be text without control characters or line breaks");
  EXPECT_EQ(advisories_->Draft(id_)->credits.size(), 2u);
}

TEST_F(AdvisoryServiceTest, OwnConsentNeedsACreditAndANameToBeNamed) {
  Principal stranger{Principal::Kind::kCapability, "Sam@Example.org", AccountRole::kMember, id_};
  Result<AdvisoryDraft> none = advisories_->SetOwnConsent(stranger, id_, CreditConsent::kNamed);
  EXPECT_EQ(none.status().code(), Code::kConflict);
  EXPECT_EQ(none.status().message(), "no credit for sam@example.org on " + id_);

  DraftCredit c;
  c.email = "nina@example.org";
  c.consent = CreditConsent::kAnonymous;
  ASSERT_TRUE(advisories_->SetCredit(local_, id_, c).ok());
  Principal nina{Principal::Kind::kCapability, "nina@example.org", AccountRole::kMember, id_};
  EXPECT_EQ(advisories_->SetOwnConsent(nina, id_, CreditConsent::kNamed).status().message(),
            "a named credit needs a name; ask the coordinator to add it");
  ASSERT_TRUE(advisories_->SetOwnConsent(rita_, id_, CreditConsent::kNamed).ok());
  EXPECT_EQ(LastEventKind(), "advisory.consent");
  EXPECT_EQ(store_->Events(id_)->back().actor, rita_.AuditName());
  EXPECT_EQ(advisories_->Draft(id_)->credits[0].consent, CreditConsent::kNamed);
}

TEST_F(AdvisoryServiceTest, ExternalIdsNameThePublishedAdvisory) {
  for (const char* bad : {"CVE-26-1234", "CVE-2026-123", "GHSA-86x4-wp9f-wrr",
                          "GHSA-86X4-wp9f-wrr9", "cve-2026-12345"}) {
    Result<AdvisoryDraft> d = advisories_->SetExternalId(local_, id_, bad);
    EXPECT_EQ(d.status().message(),
              "\"" + std::string(bad) +
                  "\" is neither a CVE id (CVE-2026-12345) nor a GHSA id (GHSA-xxxx-xxxx-xxxx)");
  }
  EXPECT_EQ(advisories_->Compose(id_)->id, id_);
  ASSERT_TRUE(advisories_->SetExternalId(local_, id_, "GHSA-86x4-wp9f-wrr9").ok());
  EXPECT_EQ(advisories_->Compose(id_)->id, "GHSA-86x4-wp9f-wrr9");
  ASSERT_TRUE(advisories_->SetExternalId(local_, id_, "CVE-2026-25804").ok());
  EXPECT_EQ(LastEventKind(), "advisory.id");
  Result<advisory::Advisory> a = advisories_->Compose(id_);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->id, "CVE-2026-25804");
  EXPECT_EQ(a->aliases, std::vector<std::string>{"GHSA-86x4-wp9f-wrr9"});
}

TEST_F(AdvisoryServiceTest, FormatsAndScoresByName) {
  EXPECT_EQ(*ParseExportFormat("md"), ExportFormat::kMarkdown);
  EXPECT_EQ(*ParseExportFormat("osv"), ExportFormat::kOsv);
  EXPECT_EQ(*ParseExportFormat("cve"), ExportFormat::kCve);
  EXPECT_EQ(*ParseExportFormat("csaf"), ExportFormat::kCsaf);
  EXPECT_EQ(ParseExportFormat("pdf").status().message(),
            "unknown format \"pdf\": use md, osv, cve or csaf");
  EXPECT_STREQ(ExportSuffix(ExportFormat::kMarkdown), ".md");
  EXPECT_STREQ(ExportSuffix(ExportFormat::kOsv), ".osv.json");
  EXPECT_STREQ(ExportSuffix(ExportFormat::kCve), ".cve.json");
  EXPECT_STREQ(ExportSuffix(ExportFormat::kCsaf), ".csaf.json");
  EXPECT_EQ(*DescribeScores(kCvss31),
            "base 9.8 (Critical), temporal 9.8 (Critical), environmental 9.8 (Critical)");
  EXPECT_EQ(DescribeScores("CVSS:2.0/AV:N").status().message(),
            "unsupported CVSS vector \"CVSS:2.0/AV:N\"");
}

TEST_F(AdvisoryServiceTest, MarkdownCarriesTheDraftAndTheConsentedCredits) {
  CompleteDraft();
  Result<std::string> md = advisories_->Export(id_, ExportFormat::kMarkdown);
  ASSERT_TRUE(md.ok()) << md.status().message();
  EXPECT_TRUE(md->starts_with("# Heap overflow in parse\\_header\n")) << *md;
  for (const char* part :
       {"## Summary\n\nA long header overflows a buffer.", "## Details", "## Affected versions",
        "## Severity", "9.8", "CWE-787", "https://acme.example/security", "## Credits", "Rita R"}) {
    EXPECT_NE(md->find(part), std::string::npos) << part << "\n" << *md;
  }
}

TEST_F(AdvisoryServiceTest, OsvCarriesIdsRangesSeverityAndCredits) {
  CompleteDraft();
  json::value osv = ExportJson(ExportFormat::kOsv);
  EXPECT_EQ(osv.at("id").as_string(), "x_" + id_);  // no registered prefix: "x_"
  EXPECT_EQ(osv.at("summary").as_string(), "Heap overflow in parse_header");  // OSV: one line
  EXPECT_EQ(osv.at("details").as_string(),
            "A long header overflows a buffer.\n\nHeaders longer than `max` were copied whole.");
  EXPECT_EQ(osv.at("published").as_string(), "2026-09-21T14:13:20Z");
  const json::value& affected = osv.at("affected").at(0);
  EXPECT_EQ(affected.at("package").at("ecosystem").as_string(), "Go");
  EXPECT_EQ(affected.at("package").at("name").as_string(), "acme.example/widget");
  EXPECT_EQ(json::serialize(affected.at("ranges").at(0)),
            R"({"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.0.3"}]})");
  EXPECT_EQ(json::serialize(osv.at("severity")),
            std::string(R"([{"type":"CVSS_V3","score":")") + kCvss31 + R"("}])");
  EXPECT_EQ(json::serialize(osv.at("credits")), R"([{"name":"Rita R","type":"REPORTER"}])");
  EXPECT_EQ(json::serialize(osv.at("database_specific")), R"({"cwe_ids":["CWE-787"]})");

  // With a CVE id the record is named by it and the report id becomes an alias.
  ASSERT_TRUE(advisories_->SetExternalId(local_, id_, "CVE-2026-25804").ok());
  osv = ExportJson(ExportFormat::kOsv);
  EXPECT_EQ(osv.at("id").as_string(), "CVE-2026-25804");
}

TEST_F(AdvisoryServiceTest, CveRecordsNeedACveIdAndCarryTheCna) {
  CompleteDraft();
  Result<std::string> refused = advisories_->Export(id_, ExportFormat::kCve);
  EXPECT_EQ(refused.status().message(), "advisory " + id_ + " has no CVE id");
  ASSERT_TRUE(advisories_->SetExternalId(local_, id_, "CVE-2026-25804").ok());
  json::value cve = ExportJson(ExportFormat::kCve);
  EXPECT_EQ(cve.at("dataType").as_string(), "CVE_RECORD");
  EXPECT_EQ(cve.at("cveMetadata").at("cveId").as_string(), "CVE-2026-25804");
  EXPECT_EQ(cve.at("cveMetadata").at("state").as_string(), "PUBLISHED");
  EXPECT_EQ(cve.at("cveMetadata").at("assignerOrgId").as_string(), config_.cna_org_id);
  const json::value& cna = cve.at("containers").at("cna");
  EXPECT_EQ(cna.at("title").as_string(), "Heap overflow in parse_header");
  EXPECT_EQ(cna.at("problemTypes").at(0).at("descriptions").at(0).at("cweId").as_string(),
            "CWE-787");
  EXPECT_EQ(json::serialize(cna.at("credits")),
            R"([{"lang":"en","value":"Rita R","type":"reporter"}])");
}

TEST_F(AdvisoryServiceTest, CsafCarriesThePublisherTrackingAndTheVulnerability) {
  CompleteDraft();
  ASSERT_TRUE(advisories_->SetExternalId(local_, id_, "CVE-2026-25804").ok());
  json::value csaf = ExportJson(ExportFormat::kCsaf);
  const json::value& doc = csaf.at("document");
  EXPECT_EQ(doc.at("category").as_string(), "csaf_security_advisory");
  EXPECT_EQ(doc.at("title").as_string(), "Heap overflow in parse_header");
  EXPECT_EQ(doc.at("publisher").at("name").as_string(), "Acme Widgets");
  EXPECT_EQ(doc.at("publisher").at("namespace").as_string(), "https://acme.example");
  EXPECT_EQ(doc.at("tracking").at("status").as_string(), "final");
  EXPECT_EQ(doc.at("tracking").at("version").as_string(), "1");
  const json::value& vulnerability = csaf.at("vulnerabilities").at(0);
  EXPECT_EQ(vulnerability.at("cve").as_string(), "CVE-2026-25804");
  EXPECT_EQ(vulnerability.at("cwe").at("id").as_string(), "CWE-787");
  EXPECT_EQ(json::serialize(doc.at("acknowledgments")),
            R"([{"names":["Rita R"],"summary":"reporter"}])");
  config_.publisher_name = "";
  EXPECT_EQ(advisories_->Export(id_, ExportFormat::kCsaf).status().message(),
            "publisher name is required");
}

// The advisory is the one thing written about an embargoed report for the public: it holds only
// what the coordinator wrote into the draft and the credits people agreed to, never the report's
// own text or anyone's address.
TEST_F(AdvisoryServiceTest, NoEmbargoedDetailLeavesThroughAnExport) {
  DraftCredit pending;
  pending.email = "paula@example.org";
  pending.name = "Paula Pending";
  ASSERT_TRUE(advisories_->SetCredit(local_, id_, pending).ok());
  DraftCredit declined = pending;
  declined.email = "dan@example.org";
  declined.name = "Dan Declined";
  declined.consent = CreditConsent::kDeclined;
  ASSERT_TRUE(advisories_->SetCredit(local_, id_, declined).ok());
  DraftCredit anonymous;
  anonymous.email = "ann@example.org";
  anonymous.name = "Ann Secret";
  anonymous.consent = CreditConsent::kAnonymous;
  anonymous.type = advisory::CreditType::kAnalyst;
  ASSERT_TRUE(advisories_->SetCredit(local_, id_, anonymous).ok());
  ASSERT_TRUE(advisories_->SetExternalId(local_, id_, "CVE-2026-25804").ok());

  Result<advisory::Advisory> a = advisories_->Compose(id_);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->credits.size(), 1u);  // the reporter is pending too
  EXPECT_TRUE(a->credits[0].anonymous);
  EXPECT_EQ(a->credits[0].name, "");
  for (ExportFormat f :
       {ExportFormat::kMarkdown, ExportFormat::kOsv, ExportFormat::kCve, ExportFormat::kCsaf}) {
    Result<std::string> text = advisories_->Export(id_, f);
    ASSERT_TRUE(text.ok()) << ExportSuffix(f) << ": " << text.status().message();
    for (const char* secret :
         {"SECRET-STEPS", "@example.org", "Rita", "Paula", "Dan Declined", "Ann Secret"}) {
      EXPECT_EQ(text->find(secret), std::string::npos) << ExportSuffix(f) << ": " << secret;
    }
  }
}

// Compose reads "fixed in" from the lowest release tag containing each disclosed commit.
TEST_F(AdvisoryServiceTest, FixedVersionsComeFromReleaseTagsOfTheDisclosedCommits) {
  patch::GitSandbox git;
  ASSERT_TRUE(git.ok());
  ASSERT_EQ(git.Git({"init", "-q", "-b", "master"}), "");
  git.Write("a.c", "one\n");
  git.Git({"add", "-A"});
  git.Git({"commit", "-q", "-m", "one"});
  const std::string fix = git.Git({"rev-parse", "HEAD"}).substr(0, 40);
  git.Git({"tag", "v1.2.4"});
  git.Git({"tag", "v1.10.0"});
  git.Git({"tag", "not-a-version"});
  config_.repository_path = git.dir();
  ASSERT_TRUE(advisories_
                  ->Change(local_, id_, "advisory.published",
                           [&](const Report&, AdvisoryDraft& d) {
                             d.fixed_commits = {fix};
                             d.published = kT0 - kMicrosPerDay;
                             return Status::Ok();
                           })
                  .ok());
  Result<advisory::Advisory> a = advisories_->Compose(id_);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->affected.size(), 1u);
  ASSERT_EQ(a->affected[0].ranges.size(), 1u);
  EXPECT_EQ(a->affected[0].ranges[0].introduced, "0");
  EXPECT_EQ(a->affected[0].ranges[0].fixed, "1.2.4");
  EXPECT_EQ(a->affected[0].fixed_commits, std::vector<std::string>{fix});
  EXPECT_EQ(a->published, kT0 - kMicrosPerDay);
  config_.repository_path.clear();
}

}  // namespace
}  // namespace vigil
