// PatchRevisionSource: which revision disclosure takes for a branch, and that a stored diff
// edited after its approval shows up as a changed patch-id.
#include "service/patch_revision_source.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "patch/patch_id.h"
#include "service/report_service.h"
#include "store/sqlite_store.h"
#include "support/service_fixture.h"

namespace vigil {
namespace {

// A one-line change of a.c: "int a;" becomes "int a = VALUE;".
std::string Diff(const std::string& value) {
  return "diff --git a/a.c b/a.c\nindex 1111111..2222222 100644\n--- a/a.c\n+++ b/a.c\n"
         "@@ -1 +1 @@\n-int a;\n+int a = " +
         value + ";\n";
}

std::string PatchId(const std::string& diff) {
  return patch::ComputePatchIds(diff)->front().patch_id;
}

class PatchRevisionSourceTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenServices());
    SubmitRequest req;
    req.fields.subject = "Overflow";
    req.fields.steps = "steps";
    id_ = reports_->Submit(Principal{}, req)->id;
  }
  // Adds revision sSERIES vVERSION for TARGET with one patch DIFF, checked on APPLIES_ON, and
  // approved by alice when APPROVED.
  void Add(int series, int version, const std::string& target, const std::string& diff,
           const std::vector<std::string>& applies_on, bool approved) {
    PatchRevision r;
    r.report_id = id_;
    r.series = series;
    r.version = version;
    r.target_branch = target;
    r.submitter = "fiona@example.org";
    r.patch_ids = PatchId(diff);
    r.created_at = clock_.Now();
    StoredPatch p;
    p.author_name = "Fiona Fixer";
    p.author_email = "fiona@example.org";
    p.author_date = "Tue, 3 Mar 2026 10:00:00 +0000";
    p.subject = "Initialise a";
    p.message = "Initialise a\n";
    p.patch_id = r.patch_ids;
    p.diff = diff;
    r.patches.push_back(p);
    for (const std::string& b : applies_on) {
      r.applicability.push_back({b, "0123456789abcdef0123456789abcdef01234567", true, "[]", 1});
    }
    Result<Report> report = store_->GetReport(id_);
    ASSERT_TRUE(report.ok());
    WriteBatch b;
    b.report = *report;
    b.expected_version = report->version;
    b.patches.new_revisions.push_back(r);
    for (const StoredApplicability& a : r.applicability) {
      b.patches.applicability.emplace_back(r.Name(), a);
    }
    if (approved) {
      b.patches.approvals.emplace_back(
          r.Name(), StoredApproval{"alice@example.org", r.patch_ids, clock_.Now(), 0, ""});
    }
    b.events.push_back({id_, clock_.Now(), "test", "patch.submitted", "{}"});
    ASSERT_TRUE(store_->Write(std::move(b)).ok());
    clock_.Advance(kMicrosPerSecond);
  }

  std::optional<ApprovedRevision> For(const std::string& branch) {
    PatchRevisionSource source(*store_, config_);
    Result<std::optional<ApprovedRevision>> r = source.ForBranch(id_, branch);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : std::nullopt;
  }

  std::string id_;
};

TEST_F(PatchRevisionSourceTest, PrefersTheSeriesForTheBranchThenOneThatApplies) {
  EXPECT_FALSE(For("master").has_value());
  Add(1, 1, "master", Diff("0"), {"master", "release-1.1"}, true);
  Add(2, 1, "release-1.0", Diff("1"), {"release-1.0"}, true);
  std::optional<ApprovedRevision> master = For("master");
  ASSERT_TRUE(master.has_value());
  EXPECT_EQ(master->label, "s1v1");
  EXPECT_EQ(master->approved_by, "alice@example.org");
  EXPECT_EQ(master->approved_patch_ids, std::vector<std::string>{PatchId(Diff("0"))});
  ASSERT_EQ(master->patches.size(), 1u);
  EXPECT_EQ(master->patches[0].patch_id, PatchId(Diff("0")));
  EXPECT_EQ(master->patches[0].author_name, "Fiona Fixer");
  EXPECT_EQ(master->patches[0].author_date, "Tue, 3 Mar 2026 10:00:00 +0000");
  EXPECT_EQ(For("release-1.0")->label, "s2v1");  // its own series
  EXPECT_EQ(For("release-1.1")->label, "s1v1");  // master's series, which applies there
  EXPECT_FALSE(For("release-2.0").has_value());
}

TEST_F(PatchRevisionSourceTest, ANewerRevisionNeedsItsOwnApprovalUnlessItsPatchIdsAreTheSame) {
  Add(1, 1, "master", Diff("0"), {"master"}, true);
  Add(1, 2, "master", Diff("2"), {"master"}, false);  // different code: not approved
  EXPECT_FALSE(For("master").has_value());
  Add(1, 3, "master", Diff("0"), {"master"}, false);  // v1's code again: v1's approval holds
  std::optional<ApprovedRevision> r = For("master");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->label, "s1v3");
}

TEST_F(PatchRevisionSourceTest, ADiffEditedAfterApprovalHasAnotherPatchId) {
  // PostgreSQL's audit triggers refuse a write outside Vigil's writer session.
  if (OnPostgres()) GTEST_SKIP() << "edits the SQLite file behind Vigil's back";
  Add(1, 1, "master", Diff("0"), {"master"}, true);
  // What an edit of the database behind Vigil's back looks like to disclosure.
  {
    CloseServices();
    const std::string db = DatabasePath();
    ASSERT_EQ(std::system(
                  ("sqlite3 " + db + " \"UPDATE patches SET diff = replace(diff, '= 0;', '= 9;')\"")
                      .c_str()),
              0);
    ASSERT_NO_FATAL_FAILURE(OpenStore());
  }
  std::optional<ApprovedRevision> r = For("master");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->approved_patch_ids, std::vector<std::string>{PatchId(Diff("0"))});
  EXPECT_EQ(r->patches[0].patch_id, PatchId(Diff("9")));
}

}  // namespace
}  // namespace vigil
