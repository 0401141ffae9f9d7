// The JSON API under /api/v1, plus /healthz and /metrics. Handlers parse and validate JSON,
// call one ReportService use case, and render the result; they hold no business rules.
#pragma once

#include "http/metrics.h"
#include "http/router.h"

namespace vigil {

class ReportService;

/// Registers every API route on ROUTER. SERVICE and METRICS must outlive the router.
void AddApiRoutes(Router& router, ReportService& service, const Metrics& metrics);

}  // namespace vigil
