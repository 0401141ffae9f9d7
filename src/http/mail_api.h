// Admin routes of the mail gateway: the outbound queue (with its dead letters) and participants'
// OpenPGP keys.
#pragma once

#include "http/router.h"

namespace vigil {

class MailAdminService;

/// Registers /api/v1/mail/outbox (admins), /api/v1/mail/outbox/{n}/retry (admins) and
/// /api/v1/reports/{id}/keys (staff). MAIL must outlive the router.
void AddMailRoutes(Router& router, MailAdminService& mail);

}  // namespace vigil
