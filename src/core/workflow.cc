#include "core/workflow.h"

#include <algorithm>

#include "core/level_policy.h"

namespace vigil {
namespace {

std::string JoinStates(const std::vector<State>& states) {
  std::string out;
  for (size_t i = 0; i < states.size(); ++i) {
    if (i > 0) out += (i + 1 == states.size()) ? " or " : ", ";
    out += StateName(states[i]);
  }
  return out;
}

Status Refuse(const Report& r, Command c, const std::string& why) {
  return Status::Conflict(std::string("cannot ") + CommandName(c) + " " + r.id + ": " + why);
}

bool Contains(const std::vector<State>& v, State s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

constexpr int kMaxReasonBytes = 4096;

// Each command family changes R, a copy of REPORT (which the refusals name); the state is
// already checked against the command's source states.

Status ApplyAssign(const Report& report, const CommandArgs& args, Instant now, Report& r) {
  const Command c = Command::kAssign;
  const std::string email = LowerAscii(args.coordinator);
  if (!IsPlausibleEmail(email)) {
    return Status::Invalid("coordinator \"" + args.coordinator.substr(0, 254) +
                           "\" is not an email address");
  }
  if (email == r.coordinator) {
    return Refuse(report, c, email + " is already its coordinator");
  }
  for (Participant& p : r.participants) {
    if (p.role == Role::kCoordinator) p.role = Role::kMaintainer;
  }
  auto it = std::find_if(r.participants.begin(), r.participants.end(),
                         [&](const Participant& p) { return p.email == email; });
  if (it != r.participants.end()) {
    if (it->role == Role::kReporter) {
      return Refuse(report, c, email + " is its reporter and cannot coordinate it");
    }
    it->role = Role::kCoordinator;
  } else {
    Participant p;
    p.email = email;
    p.role = Role::kCoordinator;
    p.added_at = now;
    p.added_by = "assign";
    r.participants.push_back(std::move(p));
  }
  r.coordinator = email;
  if (r.state == State::kReceived) r.state = State::kTriage;
  return Status::Ok();
}

// The outcomes of triage: confirm, reject, duplicate, withdraw.
Status ApplyTriageOutcome(const Report& report, Command c, const CommandArgs& args, Report& r) {
  switch (c) {
    case Command::kConfirm:
      r.state = State::kConfirmed;
      break;
    case Command::kReject:
      if (args.reason.empty()) return Refuse(report, c, "a reason is required");
      r.reason = args.reason;
      r.state = State::kRejected;
      break;
    case Command::kDuplicate:
      if (args.duplicate_of.empty()) {
        return Refuse(report, c, "the original report is required");
      }
      if (args.duplicate_of == report.id) {
        return Refuse(report, c, "a report cannot duplicate itself");
      }
      r.duplicate_of = args.duplicate_of;
      r.state = State::kDuplicate;
      break;
    case Command::kWithdraw:
      r.reason = args.reason;
      r.state = State::kWithdrawn;
      break;
    default:
      break;
  }
  return Status::Ok();
}

// Classify: the level decides the route.
Status ApplyClassify(const CommandArgs& args, Report& r) {
  if (args.level < kMinLevel || args.level > kMaxLevel) {
    return Status::Invalid("level must be 1 to 7, got " + std::to_string(args.level));
  }
  const LevelPolicy& p = PolicyForLevel(args.level);
  r.level = args.level;
  switch (p.route) {
    case Route::kEmbargoed:
      r.state = State::kFixing;
      break;
    case Route::kPublic:
      r.state = State::kConfirmed;
      break;
    case Route::kClosed:
      r.state = State::kRejected;
      r.reason = std::string("level 6: ") + p.meaning;
      break;
  }
  return Status::Ok();
}

// Approve and unapprove: whether every required branch has an approved revision.
Status ApplyApproval(const Report& report, Command c, const CommandArgs& args, Report& r) {
  if (c == Command::kApprove) {
    if (!args.branches_missing_approval.empty()) {
      std::string list;
      for (const std::string& b : args.branches_missing_approval) {
        list += (list.empty() ? "" : ", ") + b;
      }
      return Refuse(report, c, "no approved revision that applies for " + list);
    }
    r.state = State::kApproved;
    return Status::Ok();
  }
  if (args.branches_missing_approval.empty()) {
    return Refuse(report, c, "every required branch still has an approved revision");
  }
  r.state = State::kFixing;
  return Status::Ok();
}

// The end of the embargo: schedule, disclose, and publish (the public route).
Status ApplyDisclosure(const Report& report, Command c, const CommandArgs& args, Instant now,
                       Report& r) {
  switch (c) {
    case Command::kSchedule:
      if (args.slot <= now) {
        return Refuse(report, c, "the slot " + FormatUtc(args.slot) + " is not in the future");
      }
      if (args.slot > r.embargo.start + r.embargo.cap_days * kMicrosPerDay) {
        return Refuse(report, c,
                      "the slot " + FormatUtc(args.slot) + " is past the embargo cap of " +
                          std::to_string(r.embargo.cap_days) + " days (" +
                          FormatUtc(r.embargo.start + r.embargo.cap_days * kMicrosPerDay) + ")");
      }
      r.embargo.end = args.slot;
      r.state = State::kScheduled;
      break;
    case Command::kUnschedule:
      // The slot was the embargo's end; withdrawn, the embargo runs to its cap again.
      r.state = State::kApproved;
      r.embargo.end = r.embargo.start + r.embargo.cap_days * kMicrosPerDay;
      break;
    case Command::kDisclose:
      if (now < r.embargo.end) {
        return Refuse(report, c, "the slot " + FormatUtc(r.embargo.end) + " is not reached");
      }
      r.state = State::kDisclosed;
      if (r.embargo.state == EmbargoState::kActive) r.embargo.state = EmbargoState::kLifted;
      break;
    case Command::kPublish:
      if (r.level == 0 || PolicyForLevel(r.level).route != Route::kPublic) {
        return Refuse(report, c,
                      r.level == 0
                          ? std::string("it has no level; classify it first")
                          : "level " + std::to_string(r.level) + " is not on the public route");
      }
      r.state = State::kPublic;
      if (r.embargo.state == EmbargoState::kActive) r.embargo.state = EmbargoState::kLifted;
      break;
    default:
      break;
  }
  return Status::Ok();
}

// The command family of C, applied to R.
Status ApplyFamily(const Report& report, Command c, const CommandArgs& args, Instant now,
                   Report& r) {
  switch (c) {
    case Command::kAssign:
      return ApplyAssign(report, args, now, r);
    case Command::kConfirm:
    case Command::kReject:
    case Command::kDuplicate:
    case Command::kWithdraw:
      return ApplyTriageOutcome(report, c, args, r);
    case Command::kClassify:
      return ApplyClassify(args, r);
    case Command::kApprove:
    case Command::kUnapprove:
      return ApplyApproval(report, c, args, r);
    case Command::kSchedule:
    case Command::kUnschedule:
    case Command::kDisclose:
    case Command::kPublish:
      return ApplyDisclosure(report, c, args, now, r);
  }
  return Status::Ok();
}

}  // namespace

const char* CommandName(Command c) {
  switch (c) {
    case Command::kAssign:
      return "assign";
    case Command::kConfirm:
      return "confirm";
    case Command::kReject:
      return "reject";
    case Command::kDuplicate:
      return "duplicate";
    case Command::kClassify:
      return "classify";
    case Command::kApprove:
      return "approve";
    case Command::kUnapprove:
      return "unapprove";
    case Command::kSchedule:
      return "schedule";
    case Command::kUnschedule:
      return "unschedule";
    case Command::kDisclose:
      return "disclose";
    case Command::kPublish:
      return "publish";
    case Command::kWithdraw:
      return "withdraw";
  }
  return "assign";
}

std::vector<State> SourceStates(Command c) {
  switch (c) {
    case Command::kAssign:
      return {State::kReceived, State::kTriage,   State::kConfirmed,
              State::kFixing,   State::kApproved, State::kScheduled};
    case Command::kConfirm:
      return {State::kTriage};
    case Command::kReject:
    case Command::kDuplicate:
      return {State::kReceived, State::kTriage, State::kConfirmed};
    case Command::kClassify:
      return {State::kConfirmed, State::kFixing};
    case Command::kApprove:
      return {State::kFixing};
    case Command::kUnapprove:
      return {State::kApproved};
    case Command::kSchedule:
      return {State::kApproved, State::kScheduled};
    case Command::kUnschedule:
      return {State::kScheduled};
    case Command::kDisclose:
      return {State::kScheduled};
    case Command::kPublish:
      return {State::kConfirmed};
    case Command::kWithdraw:
      return {State::kReceived, State::kTriage, State::kConfirmed, State::kFixing};
  }
  return {};
}

Result<Report> ApplyCommand(const Report& report, Command c, const CommandArgs& args, Instant now) {
  const std::vector<State> sources = SourceStates(c);
  if (!Contains(sources, report.state)) {
    return Refuse(report, c,
                  std::string("it is ") + StateName(report.state) + "; " + CommandName(c) +
                      " needs " + JoinStates(sources));
  }
  if (args.reason.size() > kMaxReasonBytes) {
    return Status::Invalid("reason is longer than 4096 bytes");
  }
  Report r = report;
  r.updated_at = now;
  VIGIL_RETURN_IF_ERROR(ApplyFamily(report, c, args, now, r));
  if (IsTerminal(r.state) && !IsTerminal(report.state)) r.closed_at = now;
  return r;
}

Result<Report> SetEmbargoEnd(const Report& report, Instant end, const std::string& reason,
                             Instant now) {
  const std::string who = "cannot set the embargo of " + report.id + ": ";
  if (IsTerminal(report.state)) {
    return Status::Conflict(who + "it is " + StateName(report.state));
  }
  if (report.embargo.state != EmbargoState::kActive) {
    return Status::Conflict(who + "the embargo is " + EmbargoStateName(report.embargo.state));
  }
  if (report.state == State::kScheduled) {
    return Status::Conflict(who + "it is scheduled; the slot is the embargo end");
  }
  if (end <= now) {
    return Status::Invalid(who + "the end " + FormatUtc(end) + " is not in the future");
  }
  const Instant cap = report.embargo.start + report.embargo.cap_days * kMicrosPerDay;
  if (end > cap) {
    return Status::Invalid(who + "the end " + FormatUtc(end) + " is past the cap of " +
                           std::to_string(report.embargo.cap_days) + " days (" + FormatUtc(cap) +
                           ")");
  }
  if (end > report.embargo.end && reason.empty()) {
    return Status::Invalid(who + "an extension needs a reason");
  }
  if (reason.size() > kMaxReasonBytes) return Status::Invalid("reason is longer than 4096 bytes");
  Report r = report;
  r.embargo.end = end;
  r.embargo.reason = reason;
  r.updated_at = now;
  return r;
}

Result<Report> BreakEmbargo(const Report& report, const std::string& reason, Instant now) {
  if (report.embargo.state != EmbargoState::kActive) {
    return Status::Conflict("cannot break the embargo of " + report.id + ": it is " +
                            EmbargoStateName(report.embargo.state));
  }
  if (reason.empty()) {
    return Status::Invalid("cannot break the embargo of " + report.id + ": a reason is required");
  }
  Report r = report;
  r.embargo.state = EmbargoState::kBroken;
  r.embargo.reason = reason;
  r.updated_at = now;
  return r;
}

Result<Report> AddParticipant(const Report& report, Participant p) {
  p.email = LowerAscii(p.email);
  if (p.role == Role::kCoordinator) {
    return Status::Invalid("a coordinator is set with assign, not invited");
  }
  if (!(p.email.empty() && p.role == Role::kReporter) && !IsPlausibleEmail(p.email)) {
    return Status::Invalid("\"" + p.email.substr(0, 254) + "\" is not an email address");
  }
  if (p.name.size() > 256) return Status::Invalid("name is longer than 256 bytes");
  if (IsTerminal(report.state)) {
    return Status::Conflict("cannot invite to " + report.id + ": it is " + StateName(report.state));
  }
  if (const Participant* existing = report.FindParticipant(p.email);
      existing != nullptr && !p.email.empty()) {
    return Status::Conflict(p.email + " is already the " + RoleName(existing->role) + " of " +
                            report.id);
  }
  Report r = report;
  r.participants.push_back(std::move(p));
  return r;
}

Result<Report> RemoveParticipant(const Report& report, std::string_view email,
                                 const std::string& by, Instant now) {
  const std::string key = LowerAscii(email);
  const std::string who = "cannot remove " + key.substr(0, 254) + " from " + report.id + ": ";
  auto it = std::find_if(report.participants.begin(), report.participants.end(),
                         [&](const Participant& p) { return !key.empty() && p.email == key; });
  if (it == report.participants.end()) {
    return Status::Invalid(who + "they are not a participant");
  }
  if (it->role == Role::kReporter) return Status::Conflict(who + "the reporter cannot be removed");
  if (it->role == Role::kCoordinator) {
    return Status::Conflict(who + "the coordinator cannot be removed; assign another first");
  }
  Report r = report;
  auto gone = r.participants.begin() + (it - report.participants.begin());
  Participant removed = *gone;
  removed.token_hash.clear();
  removed.removed_at = now;
  removed.removed_by = by;
  r.participants.erase(gone);
  r.removed_participants.push_back(std::move(removed));
  r.updated_at = now;
  return r;
}

Result<Report> ReplaceCapability(const Report& report, std::string_view email,
                                 const std::string& token_hash, Instant now) {
  const std::string key = LowerAscii(email);
  const std::string who =
      "cannot replace the link of " + key.substr(0, 254) + " on " + report.id + ": ";
  if (key.empty()) return Status::Invalid(who + "an email address is required");
  Report r = report;
  auto it = std::find_if(r.participants.begin(), r.participants.end(),
                         [&](const Participant& p) { return p.email == key; });
  if (it == r.participants.end()) return Status::Invalid(who + "they are not a participant");
  if (it->token_hash.empty()) return Status::Conflict(who + "they have no link");
  it->token_hash = token_hash;
  r.updated_at = now;
  return r;
}

Result<Report> ClearBouncing(const Report& report, std::string_view email, Instant now) {
  const std::string key = LowerAscii(email);
  const std::string who =
      "cannot clear the bounce mark of " + key.substr(0, 254) + " on " + report.id + ": ";
  Report r = report;
  auto it = std::find_if(r.participants.begin(), r.participants.end(),
                         [&](const Participant& p) { return !key.empty() && p.email == key; });
  if (it == r.participants.end()) return Status::Invalid(who + "they are not a participant");
  if (!it->bouncing) return Status::Conflict(who + "they are not marked bouncing");
  it->bouncing = false;
  r.updated_at = now;
  return r;
}

std::string EmbargoReminder(const Report& report) {
  return "EMBARGO REMINDER: " + report.id +
         " is a private vulnerability report under embargo until " + FormatUtc(report.embargo.end) +
         " (UTC). Do not share any detail of it, in public or with anyone who is not on the "
         "report's participant list, and do not push fixes to any public branch, fork or pull "
         "request until the embargo is lifted by the coordinator.";
}

}  // namespace vigil
