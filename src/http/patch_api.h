// The patch routes of the JSON API: upload a series to a report, list its revisions with their
// applicability matrix and approvals, re-check after branches move, approve a revision.
#pragma once

#include "http/router.h"
#include "http/work_queue.h"
#include "service/rate_limiter.h"

namespace vigil {

class PatchService;

/// Where uploads and rechecks run. Both may be null (tests): no limit, and the work runs on
/// the HTTP thread.
struct PatchWork {
  /// Off the HTTP threads, bounded, one per report ([patch] check_workers, check_queue):
  /// refusals 503 "patch checks are busy (N queued or running); retry shortly" and 429 "a patch
  /// upload or recheck of ID is being checked; retry when it is done", with Retry-After.
  WorkQueue* queue = nullptr;
  /// Per token and per client address ([patch] work_per_minute): 429 "too many patch uploads
  /// and rechecks; retry in N seconds", with Retry-After.
  RateLimiter* limiter = nullptr;
};

/// Registers the patch routes on ROUTER. SERVICE must outlive the router.
///   GET  /api/v1/reports/{id}/patches                        (read)
///   POST /api/v1/reports/{id}/patches?branch=B&series=N      (submit patches; body: the mbox,
///        a single mail or a plain diff as text/plain, application/mbox, message/rfc822,
///        text/x-patch or text/x-diff)
///   POST /api/v1/reports/{id}/patches/recheck                (submit patches)
///   POST /api/v1/reports/{id}/patches/{revision}/approve     (approve patches; staff)
void AddPatchRoutes(Router& router, PatchService& service, PatchWork work = {});

}  // namespace vigil
