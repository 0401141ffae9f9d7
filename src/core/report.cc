#include "core/report.h"

#include <algorithm>

namespace vigil {

const char* StateName(State s) {
  switch (s) {
    case State::kReceived:
      return "received";
    case State::kTriage:
      return "triage";
    case State::kConfirmed:
      return "confirmed";
    case State::kFixing:
      return "fixing";
    case State::kApproved:
      return "approved";
    case State::kScheduled:
      return "scheduled";
    case State::kDisclosed:
      return "disclosed";
    case State::kRejected:
      return "rejected";
    case State::kDuplicate:
      return "duplicate";
    case State::kPublic:
      return "public";
    case State::kWithdrawn:
      return "withdrawn";
  }
  return "received";
}

std::optional<State> ParseState(std::string_view name) {
  for (State s : kAllStates) {
    if (name == StateName(s)) return s;
  }
  return std::nullopt;
}

bool IsTerminal(State s) {
  return s == State::kDisclosed || s == State::kRejected || s == State::kDuplicate ||
         s == State::kPublic || s == State::kWithdrawn;
}

bool AcceptsMessages(State s) {
  return s != State::kWithdrawn && s != State::kDuplicate && s != State::kRejected;
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kReporter:
      return "reporter";
    case Role::kCoordinator:
      return "coordinator";
    case Role::kMaintainer:
      return "maintainer";
    case Role::kCollaborator:
      return "collaborator";
    case Role::kObserver:
      return "observer";
  }
  return "observer";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kReporter, Role::kCoordinator, Role::kMaintainer, Role::kCollaborator,
                 Role::kObserver}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

const char* EmbargoStateName(EmbargoState s) {
  switch (s) {
    case EmbargoState::kActive:
      return "active";
    case EmbargoState::kLifted:
      return "lifted";
    case EmbargoState::kBroken:
      return "broken";
  }
  return "active";
}

std::optional<EmbargoState> ParseEmbargoState(std::string_view name) {
  for (EmbargoState s : {EmbargoState::kActive, EmbargoState::kLifted, EmbargoState::kBroken}) {
    if (name == EmbargoStateName(s)) return s;
  }
  return std::nullopt;
}

const Participant* Report::FindParticipant(std::string_view email) const {
  const std::string key = LowerAscii(email);
  for (const Participant& p : participants) {
    if (p.email == key) return &p;
  }
  return nullptr;
}

bool IsPlausibleEmail(std::string_view email) {
  if (email.empty() || email.size() > 254) return false;
  const size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view domain = email.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.')
    return false;
  return std::none_of(email.begin(), email.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' ||
           c == ';' || c == '"' || c == '(' || c == ')' || c == '\\';
  });
}

bool UnderEmbargo(const Report& report) {
  return report.embargo.state == EmbargoState::kActive && !IsTerminal(report.state);
}

}  // namespace vigil
