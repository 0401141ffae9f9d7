// The API of the disclose module under /api/v1/reports/{id}: the advisory draft and its exports,
// the disclosure plan and the on-duty confirmation, and the public route's redaction.
#pragma once

#include "http/router.h"

namespace vigil {

class AdvisoryService;
class DisclosureService;

/// Registers the routes on ROUTER; every one has an Action: staff edit (kTriage), participants
/// read (kRead) and give their own credit consent (kPost). The services must outlive the router.
void AddAdvisoryRoutes(Router& router, AdvisoryService& advisories, DisclosureService& disclosure);

}  // namespace vigil
