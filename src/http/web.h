// The HTML interface: reporter pages (no account, no JavaScript needed), the maintainers'
// workspace (cookie sessions), and the static files, registered on the Router like the API.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>

#include "config/config.h"
#include "core/access.h"
#include "core/report.h"
#include "http/page_renderer.h"
#include "http/router.h"
#include "service/advisory_service.h"
#include "service/report_service.h"
#include "service/session_service.h"
#include "service/workspace_service.h"

namespace vigil {

/// What a panel of the report page is given.
struct ReportPanelInput {
  const Report& report;
  const Principal& viewer;
  const std::string& csrf;  // for the panel's forms (field name "_csrf")
  bool staff;               // the viewer may triage
};

/// Fills the view-model of one report-page panel; returns false to leave the panel out. The
/// panel renders web/templates/panel_<name>.mustache with MODEL (see the comments in those files).
using ReportPanelFiller = std::function<bool(const ReportPanelInput&, boost::json::object* model)>;

/// Hooks for modules that add panels to the report page, and the actions behind their buttons.
struct ReportPanels {
  ReportPanelFiller patches;     // patch series, revisions, applicability matrix, approvals
  ReportPanelFiller disclosure;  // disclosure plan and advisory editor
  /// The public route's last step (DisclosureService::OpenPublicIssue): opens the redacted
  /// public issue and makes the report public; returns the URL. Unset: refused.
  std::function<Result<std::string>(const Principal&, const std::string& id)> publish;
  /// Approves a patch revision ("s1v2") as the viewer (PatchService::Approve); returns the
  /// notice. Unset: refused.
  std::function<Result<std::string>(const Principal&, const std::string& id,
                                    const std::string& revision)>
      approve;
};

struct WebContext {
  ReportService& reports;
  SessionService& sessions;
  WorkspaceService& workspace;
  const Config& config;
  const Clock& clock;
  const PageRenderer& renderer;
  ReportPanels panels;
};

/// Registers every page route and the page error renderer on ROUTER. WEB must outlive it.
void AddWebRoutes(Router& router, WebContext& web);

// The route groups AddWebRoutes registers (one file each).
void AddReporterPageRoutes(Router& router, WebContext& web);   // reporter_pages.cc
void AddSessionPageRoutes(Router& router, WebContext& web);    // session_pages.cc
void AddWorkspacePageRoutes(Router& router, WebContext& web);  // workspace_pages.cc
/// The fix author's credit page, /credit/<token> (credit_pages.cc). ADVISORIES must outlive it.
void AddCreditPageRoutes(Router& router, WebContext& web, AdvisoryService& advisories);

/// The Content-Security-Policy of HTML pages: only this origin's styles, scripts, images and
/// form targets; no inline script or style; no framing.
inline constexpr char kPageCsp[] =
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

}  // namespace vigil
