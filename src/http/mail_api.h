// Admin routes of the mail gateway: the outbound queue (with its dead letters, and each mail in
// full) and participants' OpenPGP keys.
#pragma once

#include "config/config.h"
#include "http/router.h"

namespace vigil {

class MailAdminService;

/// Registers /api/v1/mail/outbox, …/outbox/{n} (one mail in full) and …/outbox/{n}/retry
/// (admins), /api/v1/reports/{id}/mail/{n} (a report's mail in full: those who may triage it)
/// and /api/v1/reports/{id}/keys (staff). MAIL and CONFIG must outlive the router.
void AddMailRoutes(Router& router, MailAdminService& mail, const Config& config);

}  // namespace vigil
