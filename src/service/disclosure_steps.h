// The parts of a disclosure run shared by disclosure_service.cc, which checks the preconditions
// and runs the steps, and disclosure_steps.cc, which builds each step. Private to the
// disclosure service: nothing outside src/service/disclosure_*.cc includes it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "service/disclosure_service.h"

namespace vigil {

/// One step of a disclosure: recorded as an intent before RUN, as done after it.
struct DisclosureService::Step {
  std::string name;
  std::string description;
  std::function<Result<std::string>()> run;  // returns the detail to record
  bool records_itself = false;               // the effect writes its own "done" atomically
};

/// What one run of Disclose knows and its steps share: read once before the first step; DONE
/// and INTENTS grow as the steps run.
struct DisclosureService::Run {
  Principal actor;
  std::string id;
  Report report;  // as read when the run started
  DisclosurePlanRow plan;
  AdvisoryDraft draft;                      // as read when the run started
  std::vector<ApprovedRevision> revisions;  // one per required branch
  std::map<std::string, std::string> done;  // step -> detail
  std::map<std::string, Instant> intents;   // step -> when its intent was recorded
  bool without_advisory = false;            // the coordinator's --without-advisory
};

namespace disclosure {

inline constexpr int kMaxAttempts = 8;

/// The first 12 characters of a commit or patch id.
inline std::string Short(const std::string& id) { return id.substr(0, 12); }

/// The hidden marker in an issue or pull request body that finds it again after a crash.
inline std::string Marker(const std::string& id) { return "<!-- vigil:" + id + " -->"; }

/// A mail about report ID to TO, its subject prefixed with "[ID] ".
inline OutboxMail Mail(const std::string& id, const std::string& to, const std::string& kind,
                       const std::string& subject, const std::string& body, Instant now) {
  OutboxMail m;
  m.report_id = id;
  m.recipient = to;
  m.kind = kind;
  m.subject = "[" + id + "] " + subject;
  m.body = body;
  m.created_at = now;
  return m;
}

}  // namespace disclosure
}  // namespace vigil
