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

HttpResponse Refused(const Status& st, int retry_after_seconds) {
  HttpResponse r = ErrorResponse(st);
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

// Runs JOB for report ID under WORK's limits: RESPOND gets JOB's response once it ran on the
// queue (or at once, without a queue), or the refusal.
void RunPatchWork(const PatchWork& work, const HttpRequest& req, const RequestContext& ctx,
                  const std::string& id, Respond respond, std::function<HttpResponse()> job) {
  if (work.limiter) {
    int retry = 0;
    if (!work.limiter->Allow("patch-token:" + ctx.principal.AuditName(), &retry) ||
        !work.limiter->Allow("patch-address:" + req.client_address, &retry)) {
      return respond(Refused(Status::RateLimited("too many patch uploads and rechecks; retry in " +
                                                 std::to_string(retry) + " seconds"),
                             retry));
    }
  }
  if (!work.queue) return respond(job());
  // The answer goes out once the report's key is free: its receiver may upload again at once.
  auto run = [respond, job = std::move(job)]() -> std::function<void()> {
    return [respond, answer = job()]() mutable { respond(std::move(answer)); };
  };
  switch (work.queue->Post(id, std::move(run))) {
    case WorkQueue::Posted::kQueued:
      return;
    case WorkQueue::Posted::kKeyBusy:
      return respond(Refused(Status::RateLimited("a patch upload or recheck of " + id +
                                                 " is being checked; retry when it is done"),
                             2));
    case WorkQueue::Posted::kFull:
      return respond(Refused(
          Status::Unavailable("patch checks are busy (" + std::to_string(work.queue->capacity()) +
                              " queued or running); retry shortly"),
          5));
  }
}

}  // namespace

void AddPatchRoutes(Router& router, PatchService& service, PatchWork work) {
  PatchService* s = &service;
  const std::string base = "/api/v1/reports/{id}/patches";
  router.Add({"GET", base, Action::kRead, [s](const HttpRequest&, const RequestContext& ctx) {
                Result<std::vector<PatchRevision>> r = s->Revisions(ctx.params.at("id"));
                if (!r.ok()) return ErrorResponse(r.status());
                Result<int> needed = s->ApprovalsNeeded(ctx.params.at("id"));
                if (!needed.ok()) return ErrorResponse(needed.status());
                return JsonResponse(200, json::object{{"revisions", RevisionsJson(*r, *needed)}});
              }});
  // Uploads and rechecks run git for every branch: they go to the work queue, and the HTTP
  // thread goes back to serving others at once (see PatchWork).
  Endpoint upload{"POST", base, Action::kSubmitPatch, nullptr,
                  /*rate_limited=*/false, CredentialSource::kBearer,
                  // An upload may be as large as [patch] max_bytes, whatever max_body_bytes says.
                  /*max_body_bytes=*/s->MaxUploadBytes()};
  upload.async_handler = [s, work](const HttpRequest& req, const RequestContext& ctx,
                                   Respond respond) {
    if (!IsPatchContentType(req.content_type)) {
      return respond(ErrorResponse(
          Status::Invalid("Content-Type must be text/plain, application/mbox, message/rfc822, "
                          "text/x-patch or text/x-diff")));
    }
    PatchSubmitOptions options;
    options.target_branch = Param(ctx.query, "branch");
    const std::string series = Param(ctx.query, "series");
    if (!series.empty()) {
      if (series.size() > 6 || series.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(series) < 1) {
        return respond(ErrorResponse(Status::Invalid("series must be a positive number")));
      }
      options.series = std::stoi(series);
    }
    const std::string id = ctx.params.at("id");
    RunPatchWork(
        work, req, ctx, id, std::move(respond),
        [s, principal = ctx.principal, id, body = req.body, options]() {
          Result<PatchRevision> r = s->SubmitSeries(principal, id, body, options);
          if (!r.ok()) return ErrorResponse(r.status());
          Result<int> needed = s->ApprovalsNeeded(id);
          if (!needed.ok()) return ErrorResponse(needed.status());
          return JsonResponse(201, json::object{{"revision", RevisionsJson({*r}, *needed).at(0)}});
        });
  };
  router.Add(std::move(upload));
  Endpoint recheck{"POST", base + "/recheck", Action::kSubmitPatch, nullptr};
  recheck.async_handler = [s, work](const HttpRequest& req, const RequestContext& ctx,
                                    Respond respond) {
    const std::string id = ctx.params.at("id");
    RunPatchWork(work, req, ctx, id, std::move(respond), [s, principal = ctx.principal, id]() {
      Result<std::vector<PatchRevision>> r = s->Recheck(principal, id);
      if (!r.ok()) return ErrorResponse(r.status());
      Result<int> needed = s->ApprovalsNeeded(id);
      if (!needed.ok()) return ErrorResponse(needed.status());
      return JsonResponse(200, json::object{{"revisions", RevisionsJson(*r, *needed)}});
    });
  };
  router.Add(std::move(recheck));
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
