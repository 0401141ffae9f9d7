#include "service/patch_json.h"

#include <boost/json.hpp>

#include "core/time.h"
#include "service/patch_approvals.h"

namespace vigil {

namespace json = boost::json;

json::array RevisionsJson(const std::vector<PatchRevision>& revisions, int needed) {
  json::array out;
  for (const PatchRevision& r : revisions) {
    bool latest = true;
    for (const PatchRevision& o : revisions) {
      if (o.series == r.series && o.version > r.version) latest = false;
    }
    const ApprovalCount count = CountApprovals(revisions, r, needed);
    json::array approved_by;
    for (const std::string& a : count.approvers) approved_by.emplace_back(a);
    json::array patches, trailers, matrix, approvals;
    for (const StoredPatch& p : r.patches) {
      patches.push_back(json::object{
          {"position", p.position},
          {"author", {{"name", p.author_name}, {"email", p.author_email}, {"date", p.author_date}}},
          {"subject", p.subject},
          {"message", p.message},
          {"patch_id", p.patch_id}});
    }
    for (const StoredTrailer& t : r.trailers) {
      trailers.push_back(json::object{
          {"patch", t.position}, {"name", t.name}, {"person", t.person_name}, {"email", t.email}});
    }
    for (const StoredApplicability& a : r.applicability) {
      std::error_code ec;
      json::value result = json::parse(a.result, ec);
      matrix.push_back(json::object{{"branch", a.branch},
                                    {"commit", a.commit},
                                    {"applies", a.applies},
                                    {"patches", ec ? json::value(a.result) : result},
                                    {"checked_at", FormatUtc(a.checked_at)}});
    }
    for (const StoredApproval& a : r.approvals) {
      json::object o{{"approver", a.approver},
                     {"created_at", FormatUtc(a.created_at)},
                     {"valid", a.voided_at == 0}};
      if (a.voided_at) {
        o["voided_at"] = FormatUtc(a.voided_at);
        o["voided_reason"] = a.voided_reason;
      }
      approvals.push_back(std::move(o));
    }
    out.push_back(json::object{{"revision", r.Name()},
                               {"series", r.series},
                               {"version", r.version},
                               {"target_branch", r.target_branch},
                               {"submitter", r.submitter},
                               {"change_id", r.change_id},
                               {"created_at", FormatUtc(r.created_at)},
                               {"latest", latest},
                               {"approved", count.approved()},
                               {"approvals_needed", count.needed},
                               {"approved_by", std::move(approved_by)},
                               {"approval_status", count.Describe()},
                               {"patches", std::move(patches)},
                               {"trailers", std::move(trailers)},
                               {"applicability", std::move(matrix)},
                               {"approvals", std::move(approvals)}});
  }
  return out;
}

}  // namespace vigil
