// The report state machine. Every transition is a named command with preconditions; an illegal
// one is a kConflict Status with an exact message, never a silent no-op.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/report.h"
#include "core/status.h"

namespace vigil {

enum class Command {
  kAssign,      // set the coordinator; received -> triage
  kConfirm,     // triage -> confirmed
  kReject,      // received|triage|confirmed -> rejected, with a reason
  kDuplicate,   // received|triage|confirmed -> duplicate of another report
  kClassify,    // confirmed|fixing -> fixing (levels 1-3), confirmed (4, 5, 7), rejected (6)
  kApprove,     // fixing -> approved, when every required branch has an approved revision
  kUnapprove,   // approved -> fixing, when a required branch lost its approved revision (a new
                // revision voided the approval)
  kSchedule,    // approved|scheduled -> scheduled, with a (new) slot inside the embargo cap
  kUnschedule,  // scheduled -> approved: the slot is withdrawn, the embargo ends at its cap
  kDisclose,    // scheduled -> disclosed, once the slot is reached
  kPublish,     // confirmed (levels 4, 5, 7) -> public
  kWithdraw,    // received|triage|confirmed|fixing -> withdrawn, by the reporter
};
inline constexpr Command kAllCommands[] = {
    Command::kAssign,     Command::kConfirm,  Command::kReject,    Command::kDuplicate,
    Command::kClassify,   Command::kApprove,  Command::kUnapprove, Command::kSchedule,
    Command::kUnschedule, Command::kDisclose, Command::kPublish,   Command::kWithdraw,
};
const char* CommandName(Command c);

/// The inputs a command needs. Facts that live outside the report (which branches still lack
/// an approved revision, whether the duplicate target exists) are established by the caller.
struct CommandArgs {
  std::string coordinator;   // kAssign: email of the coordinating maintainer
  std::string reason;        // kReject, kWithdraw
  std::string duplicate_of;  // kDuplicate
  int level = 0;             // kClassify
  std::vector<std::string> branches_missing_approval;  // kApprove, kUnapprove
  Instant slot = 0;                                    // kSchedule
};

/// The states from which COMMAND is legal.
std::vector<State> SourceStates(Command command);

/// Applies COMMAND to REPORT at NOW. On success returns the report after the command (state,
/// level, coordinator, reason, embargo state, updated_at); the caller records the event.
/// Errors: kConflict for an illegal state or an unmet precondition, kInvalidArgument for a
/// malformed argument. Messages name the report, the command and the reason, e.g.
/// "cannot confirm SEC-2026-0001: it is received; confirm needs triage".
Result<Report> ApplyCommand(const Report& report, Command command, const CommandArgs& args,
                            Instant now);

/// Sets the planned embargo end to END. Moving the end later is an extension and needs a
/// REASON; the end must be in the future and within cap_days of the embargo start; the report
/// must still be under an active embargo.
Result<Report> SetEmbargoEnd(const Report& report, Instant end, const std::string& reason,
                             Instant now);

/// Records that the embargo was broken (details leaked before disclosure). Needs a reason.
Result<Report> BreakEmbargo(const Report& report, const std::string& reason, Instant now);

/// Adds PARTICIPANT to REPORT. The email must be plausible (or empty for an anonymous
/// reporter), the person not already on the report, and the report not closed. Coordinators
/// are set by kAssign, not added here.
Result<Report> AddParticipant(const Report& report, Participant participant);

/// Removes the participant with EMAIL from REPORT at NOW on behalf of BY (an audit name): they
/// move to removed_participants with their capability cleared, keeping their history. Refusals:
/// kNotFound "cannot remove <email> from <ID>: they are not a participant", kConflict
/// "...: the reporter cannot be removed" and "...: the coordinator cannot be removed; assign
/// another first". Allowed in every state (revoking access is always possible).
Result<Report> RemoveParticipant(const Report& report, std::string_view email,
                                 const std::string& by, Instant now);

/// Gives the participant with EMAIL the capability whose hash is TOKEN_HASH in place of the
/// one they hold. Refusals: kInvalidArgument "cannot replace the link of <email> on <ID>: an email
/// address is required" (an anonymous reporter cannot be sent a new link) and "...: they are
/// not a participant", kConflict "...: they have no link".
Result<Report> ReplaceCapability(const Report& report, std::string_view email,
                                 const std::string& token_hash, Instant now);

/// Clears the bouncing mark of the participant with EMAIL (mail to them is sent again).
/// Refusals: kInvalidArgument "cannot clear the bounce mark of <email> on <ID>: they are not a
/// participant", kConflict "...: they are not marked bouncing".
Result<Report> ClearBouncing(const Report& report, std::string_view email, Instant now);

/// The embargo reminder every person receives when added to an embargoed report.
std::string EmbargoReminder(const Report& report);

}  // namespace vigil
