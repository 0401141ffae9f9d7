// The report and account JSON API: /api/v1/reports (submit, list, read, triage, withdraw),
// /api/v1/accounts and /api/v1/tokens, plus /healthz, /metrics and /api/v1/whoami. Handlers
// parse and validate JSON, call one ReportService use case, and render the result; they hold no
// business rules. (Patches, advisories and mail have their own *_api files.)
#pragma once

#include "http/metrics.h"
#include "http/router.h"

namespace vigil {

class ReportService;

/// Registers these routes on ROUTER. SERVICE and METRICS must outlive the router.
void AddReportApiRoutes(Router& router, ReportService& service, const Metrics& metrics);

}  // namespace vigil
