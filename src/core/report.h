// The report and the people on it: plain domain types, no behaviour beyond names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.h"
#include "core/time.h"

namespace vigil {

enum class State {
  kReceived,
  kTriage,
  kConfirmed,
  kFixing,
  kApproved,
  kScheduled,
  kDisclosed,
  kRejected,
  kDuplicate,
  kPublic,
  kWithdrawn,
};
inline constexpr State kAllStates[] = {
    State::kReceived,  State::kTriage,    State::kConfirmed, State::kFixing,
    State::kApproved,  State::kScheduled, State::kDisclosed, State::kRejected,
    State::kDuplicate, State::kPublic,    State::kWithdrawn,
};

const char* StateName(State s);
std::optional<State> ParseState(std::string_view name);
/// Disclosed, rejected, duplicate, public and withdrawn reports accept no further transition.
bool IsTerminal(State s);
/// The report's thread takes new messages: it was not withdrawn, rejected or marked a duplicate.
bool AcceptsMessages(State s);

/// A person's role on one report.
enum class Role { kReporter, kCoordinator, kMaintainer, kCollaborator, kObserver };
const char* RoleName(Role r);
std::optional<Role> ParseRole(std::string_view name);

struct Participant {
  std::string email;  // lower-cased; empty for a reporter who gave no address
  std::string name;
  Role role = Role::kObserver;
  Instant added_at = 0;
  std::string added_by;
  /// SHA-256 (hex) of the participant's capability token; empty when none was issued.
  std::string token_hash;
  bool bouncing = false;
  /// Set when the participant was removed (RemoveParticipant); 0 while on the report.
  Instant removed_at = 0;
  std::string removed_by;
};

/// The report template of the security policy. Subject and steps are required.
struct TemplateFields {
  std::string subject;
  std::string steps;
  std::string effects_cluster;
  std::string effects_applications;
  std::string effects_infrastructure;
  std::string workflows;
  std::string attack_vectors;
  std::string other_software;
};

enum class EmbargoState { kActive, kLifted, kBroken };
const char* EmbargoStateName(EmbargoState s);
std::optional<EmbargoState> ParseEmbargoState(std::string_view name);

struct Embargo {
  Instant start = 0;  // receipt of the report
  Instant end = 0;    // planned end (UTC); never later than start + cap_days
  int cap_days = 90;
  EmbargoState state = EmbargoState::kActive;
  std::string reason;  // reason of the last extension or of the break
};

struct Report {
  std::string id;       // SEC-2026-0042
  int64_t version = 0;  // number of events in the report's chain
  State state = State::kReceived;
  int level = 0;  // 0 = unset, else 1..7
  TemplateFields fields;
  std::string coordinator;  // email of the coordinating maintainer, empty when unassigned
  Embargo embargo;
  std::string duplicate_of;
  std::string reason;  // why rejected / withdrawn
  Instant created_at = 0;
  Instant updated_at = 0;
  /// When the report reached a terminal state (IsTerminal); 0 while open. Capability links
  /// expire a configured time after it.
  Instant closed_at = 0;
  /// The people on the report: they read it, are mailed about it and hold its capabilities.
  std::vector<Participant> participants;
  /// People removed from the report, kept for its history: no access, no mail, no capability.
  std::vector<Participant> removed_participants;

  /// The participant with EMAIL (case-insensitive), or nullptr.
  const Participant* FindParticipant(std::string_view email) const;
};

/// The report's details are still secret: its embargo is active and it is not closed. Everything
/// that decides whether an embargoed detail may leave (mail, pages, search, advisories) asks this.
bool UnderEmbargo(const Report& report);

/// A pragmatic address check: one '@', non-empty local part and a dotted domain, no spaces or
/// control characters, at most 254 bytes.
bool IsPlausibleEmail(std::string_view email);

}  // namespace vigil
