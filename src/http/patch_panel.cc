#include "http/patch_panel.h"

#include <boost/json.hpp>
#include <map>

#include "core/time.h"
#include "service/patch_approvals.h"
#include "service/patch_service.h"

namespace vigil {
namespace {

namespace json = boost::json;

// "applies", "applies at an offset", "conflict in a.c", "already applied", "does not apply",
// from the per-patch results of one branch (patch/apply_check.h's JSON).
std::string Summary(const StoredApplicability& a) {
  std::error_code ec;
  json::value v = json::parse(a.result, ec);
  const json::array* patches = ec ? nullptr : v.if_array();
  for (size_t i = 0; patches && i < patches->size(); ++i) {
    const json::object* o = (*patches)[i].if_object();
    const json::value* r = o ? o->if_contains("result") : nullptr;
    if (!r || !r->is_string()) continue;
    const json::string& result = r->as_string();
    if (a.applies && result == "offset") return "applies at an offset";
    if (!a.applies && result == "already-applied") return "already applied";
    if (!a.applies && result == "conflict") {
      const json::value* file = o->if_contains("file");
      return file && file->is_string() ? "conflict in " + std::string(file->as_string())
                                       : std::string("conflict");
    }
  }
  return a.applies ? "applies" : "does not apply";
}

}  // namespace

ReportPanelFiller PatchPanel(PatchService& patches) {
  return [p = &patches](const ReportPanelInput& in, json::object* model) {
    Result<std::vector<PatchRevision>> revisions = p->Revisions(in.report.id);
    if (!revisions.ok() || revisions->empty()) return false;
    const int needed = ApprovalsRequired(p->config(), in.report.level);
    std::map<int, const PatchRevision*> latest;
    for (const PatchRevision& r : *revisions) {
      const PatchRevision*& l = latest[r.series];
      if (!l || r.version > l->version) l = &r;
    }
    std::map<int, json::array> by_series;
    for (const PatchRevision& r : *revisions) {
      const ApprovalCount count = CountApprovals(*revisions, r, needed);
      const bool approved = count.approved();
      json::array approvals;
      for (const PatchRevision& o : *revisions) {
        if (o.series != r.series) continue;
        for (const StoredApproval& a : o.approvals) {
          if (a.patch_ids != r.patch_ids) continue;
          approvals.push_back(json::object{
              {"who", a.approver},
              {"when", FormatUtc(a.created_at)},
              {"voided", a.voided_at != 0 ? "voided: " + a.voided_reason : std::string()}});
        }
      }
      json::array files, matrix;
      for (const StoredPatch& sp : r.patches) {
        files.push_back(json::object{{"subject", sp.subject},
                                     {"author", sp.author_name + " <" + sp.author_email + ">"},
                                     {"patch_id", sp.patch_id.substr(0, 12)}});
      }
      for (const StoredApplicability& a : r.applicability) {
        matrix.push_back(json::object{
            {"branch", a.branch}, {"result", Summary(a)}, {"class", a.applies ? "ok" : "danger"}});
      }
      const bool is_latest = latest[r.series] == &r;
      const bool has_matrix = !matrix.empty(), has_approvals = !approvals.empty();
      by_series[r.series].push_back(
          json::object{{"name", r.Name()},
                       {"submitter", r.submitter},
                       {"created", FormatUtc(r.created_at)},
                       {"latest", is_latest},
                       {"approved", approved},
                       {"approval_status", count.Describe()},
                       {"patches", std::move(files)},
                       {"matrix", std::move(matrix)},
                       {"approvals", std::move(approvals)},
                       {"has_matrix", has_matrix},
                       {"has_approvals", has_approvals},
                       {"can_approve", in.staff && is_latest && !approved}});
    }
    json::array series;
    for (auto& [n, revs] : by_series) {
      series.push_back(json::object{
          {"number", n}, {"branch", latest[n]->target_branch}, {"revisions", std::move(revs)}});
    }
    (*model)["series"] = std::move(series);
    return true;
  };
}

std::function<Result<std::string>(const Principal&, const std::string&, const std::string&)>
PatchApproveAction(PatchService& patches) {
  return [p = &patches](const Principal& viewer, const std::string& id,
                        const std::string& revision) -> Result<std::string> {
    Result<PatchRevision> r = p->Approve(viewer, id, revision, "");
    if (!r.ok()) return r.status();
    Result<std::vector<PatchRevision>> all = p->Revisions(id);
    Result<int> needed = p->ApprovalsNeeded(id);
    if (all.ok() && needed.ok()) {
      for (const PatchRevision& rev : *all) {
        const ApprovalCount count = CountApprovals(*all, rev, *needed);
        if (rev.Name() == revision && !count.approved()) {
          return "Your approval of " + revision + " is recorded: " + count.Describe() + ".";
        }
      }
    }
    return revision + " approved by " + viewer.email + ".";
  };
}

}  // namespace vigil
