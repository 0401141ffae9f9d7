// The patches panel of the report page (web/templates/panel_patches.mustache): every series
// with its revisions, their patches, the applicability matrix and the approvals, and an approve
// button for staff on the latest revision of each series.
#pragma once

#include "http/web.h"

namespace vigil {

class PatchService;

/// A panel filler reading through PATCHES (which must outlive it). Shown to everyone who may read
/// the report once it has a revision; can_approve only for staff.
ReportPanelFiller PatchPanel(PatchService& patches);

/// The approve action behind the panel's button (PatchService::Approve as the viewer).
std::function<Result<std::string>(const Principal&, const std::string& id,
                                  const std::string& revision)>
PatchApproveAction(PatchService& patches);

}  // namespace vigil
