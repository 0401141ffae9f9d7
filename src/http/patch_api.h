// The patch routes of the JSON API: upload a series to a report, list its revisions with their
// applicability matrix and approvals, re-check after branches move, approve a revision.
#pragma once

#include "http/router.h"

namespace vigil {

class PatchService;

/// Registers the patch routes on ROUTER. SERVICE must outlive the router.
///   GET  /api/v1/reports/{id}/patches                        (read)
///   POST /api/v1/reports/{id}/patches?branch=B&series=N      (submit patches; body: the mbox,
///        a single mail or a plain diff as text/plain, application/mbox, message/rfc822,
///        text/x-patch or text/x-diff)
///   POST /api/v1/reports/{id}/patches/recheck                (submit patches)
///   POST /api/v1/reports/{id}/patches/{revision}/approve     (approve patches; staff)
void AddPatchRoutes(Router& router, PatchService& service);

}  // namespace vigil
