#include "http/patch_api.h"

#include <boost/json.hpp>

#include "http/json_body.h"
#include "service/patch_approvals.h"
#include "service/patch_json.h"
#include "service/patch_service.h"

namespace vigil {
namespace {

namespace json = boost::json;

std::string Param(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

bool IsPatchContentType(std::string_view ct) {
  if (ct.empty()) return true;
  for (std::string_view ok :
       {"text/plain", "application/mbox", "message/rfc822", "text/x-patch", "text/x-diff"}) {
    if (ct.starts_with(ok)) return true;
  }
  return false;
}

}  // namespace

void AddPatchRoutes(Router& router, PatchService& service) {
  PatchService* s = &service;
  const std::string base = "/api/v1/reports/{id}/patches";
  router.Add({"GET", base, Action::kRead, [s](const HttpRequest&, const RequestContext& ctx) {
                Result<std::vector<PatchRevision>> r = s->Revisions(ctx.params.at("id"));
                if (!r.ok()) return ErrorResponse(r.status());
                Result<int> needed = s->ApprovalsNeeded(ctx.params.at("id"));
                if (!needed.ok()) return ErrorResponse(needed.status());
                return JsonResponse(200, json::object{{"revisions", RevisionsJson(*r, *needed)}});
              }});
  router.Add(
      {"POST", base, Action::kSubmitPatch,
       [s](const HttpRequest& req, const RequestContext& ctx) {
         if (!IsPatchContentType(req.content_type)) {
           return ErrorResponse(
               Status::Invalid("Content-Type must be text/plain, application/mbox, message/rfc822, "
                               "text/x-patch or text/x-diff"));
         }
         PatchSubmitOptions options;
         options.target_branch = Param(ctx.query, "branch");
         const std::string series = Param(ctx.query, "series");
         if (!series.empty()) {
           if (series.size() > 6 || series.find_first_not_of("0123456789") != std::string::npos ||
               std::stoi(series) < 1) {
             return ErrorResponse(Status::Invalid("series must be a positive number"));
           }
           options.series = std::stoi(series);
         }
         Result<PatchRevision> r =
             s->SubmitSeries(ctx.principal, ctx.params.at("id"), req.body, options);
         if (!r.ok()) return ErrorResponse(r.status());
         Result<int> needed = s->ApprovalsNeeded(ctx.params.at("id"));
         if (!needed.ok()) return ErrorResponse(needed.status());
         return JsonResponse(201, json::object{{"revision", RevisionsJson({*r}, *needed).at(0)}});
       },
       /*rate_limited=*/false, CredentialSource::kBearer,
       // An upload may be as large as [patch] max_bytes, whatever server.max_body_bytes says.
       /*max_body_bytes=*/s->MaxUploadBytes()});
  router.Add({"POST", base + "/recheck", Action::kSubmitPatch,
              [s](const HttpRequest&, const RequestContext& ctx) {
                Result<std::vector<PatchRevision>> r =
                    s->Recheck(ctx.principal, ctx.params.at("id"));
                if (!r.ok()) return ErrorResponse(r.status());
                Result<int> needed = s->ApprovalsNeeded(ctx.params.at("id"));
                if (!needed.ok()) return ErrorResponse(needed.status());
                return JsonResponse(200, json::object{{"revisions", RevisionsJson(*r, *needed)}});
              }});
  router.Add({"POST", base + "/{revision}/approve", Action::kApprovePatch,
              [s](const HttpRequest&, const RequestContext& ctx) {
                const std::string& id = ctx.params.at("id");
                Result<PatchRevision> r =
                    s->Approve(ctx.principal, id, Param(ctx.params, "revision"), "");
                if (!r.ok()) return ErrorResponse(r.status());
                // Whether the revision now counts as approved ([patch] approvals_required).
                Result<std::vector<PatchRevision>> all = s->Revisions(id);
                if (!all.ok()) return ErrorResponse(all.status());
                Result<int> needed = s->ApprovalsNeeded(id);
                if (!needed.ok()) return ErrorResponse(needed.status());
                ApprovalCount count = CountApprovals(*all, *r, *needed);
                for (const PatchRevision& rev : *all) {
                  if (rev.Name() == r->Name()) count = CountApprovals(*all, rev, *needed);
                }
                json::array approved_by;
                for (const std::string& a : count.approvers) approved_by.emplace_back(a);
                return JsonResponse(200, json::object{{"revision", r->Name()},
                                                      {"patch_ids", r->patch_ids},
                                                      {"approved", count.approved()},
                                                      {"approvals_needed", count.needed},
                                                      {"approved_by", std::move(approved_by)},
                                                      {"approval_status", count.Describe()}});
              }});
}

}  // namespace vigil
