// Admin routes of the mail gateway: the outbound queue (with its dead letters) and participants'
// OpenPGP keys.
#pragma once

#include "http/router.h"

namespace vigil {

class ReportService;
class Clock;

/// Registers /api/v1/mail/outbox (admins), /api/v1/mail/outbox/{n}/retry (admins) and
/// /api/v1/reports/{id}/keys (staff). SERVICE and CLOCK must outlive the router.
void AddMailRoutes(Router& router, ReportService& service, const Clock& clock);

}  // namespace vigil
