// The disclosure panel of the report page (web/templates/panel_disclosure.mustache): the plan, its
// on-duty confirmation, the targets and the advisory draft with computed scores.
#pragma once

#include "http/web.h"

namespace vigil {

class AdvisoryService;
class DisclosureService;

/// A panel filler reading through ADVISORIES and DISCLOSURE (which must outlive it). The panel is
/// shown to everyone who may read the report; can_edit is set for staff.
ReportPanelFiller DisclosurePanel(AdvisoryService& advisories, DisclosureService& disclosure,
                                  const Config& config);

}  // namespace vigil
