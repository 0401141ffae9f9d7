// The services behind `vigil advisory`, `vigil plan`, `vigil disclose` and `vigil public`, built
// once per command from the CLI context.
#pragma once

#include <memory>

#include "cli/context.h"
#include "service/advisory_service.h"
#include "service/approved_revisions.h"
#include "service/disclosure_service.h"
#include "service/forge.h"

namespace vigil {

/// Test hook: $VIGIL_TEST_NOW (a UTC time) replaces the system clock of these commands, so that
/// tests can reach a disclosure slot without waiting. Never set it in production.
inline constexpr char kTestNowEnv[] = "VIGIL_TEST_NOW";

struct DiscloseServices {
  std::unique_ptr<Clock> clock;
  std::unique_ptr<PatchRevisionSource> approved;
  std::unique_ptr<Forge> forge;
  std::unique_ptr<AdvisoryService> advisories;
  std::unique_ptr<DisclosureService> disclosure;
};

/// Builds the services on CTX's store and configuration (once), or prints the error and
/// returns null.
DiscloseServices* DiscloseServicesFor(CliContext& ctx);

}  // namespace vigil
