#include "core/workflow.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>

namespace vigil {
namespace {

constexpr Instant kNow = 1'790'000'000LL * kMicrosPerSecond;  // 2026-09-21T14:13:20Z

Report MakeReport(State s) {
  Report r;
  r.id = "SEC-2026-0001";
  r.state = s;
  r.level = 4;
  r.created_at = kNow - kMicrosPerDay;
  r.embargo.start = r.created_at;
  r.embargo.end = kNow;  // a scheduled report's slot is reached
  Participant reporter;
  reporter.email = "rita@example.org";
  reporter.role = Role::kReporter;
  r.participants.push_back(reporter);
  return r;
}

CommandArgs ValidArgs(Command c) {
  CommandArgs a;
  switch (c) {
    case Command::kAssign:
      a.coordinator = "Carol@Example.org";
      break;
    case Command::kReject:
      a.reason = "not reproducible";
      break;
    case Command::kDuplicate:
      a.duplicate_of = "SEC-2026-0002";
      break;
    case Command::kClassify:
      a.level = 2;
      break;
    case Command::kSchedule:
      a.slot = kNow + kMicrosPerDay;
      break;
    case Command::kUnapprove:
      a.branches_missing_approval = {"release-1.2"};
      break;
    default:
      break;
  }
  return a;
}

// The expected state machine, written out independently of the implementation: every legal
// (command, state) pair and the state it leads to. Every pair not listed must be refused.
const std::map<std::pair<Command, State>, State>& LegalTransitions() {
  static const auto* table = new std::map<std::pair<Command, State>, State>{
      {{Command::kAssign, State::kReceived}, State::kTriage},
      {{Command::kAssign, State::kTriage}, State::kTriage},
      {{Command::kAssign, State::kConfirmed}, State::kConfirmed},
      {{Command::kAssign, State::kFixing}, State::kFixing},
      {{Command::kAssign, State::kApproved}, State::kApproved},
      {{Command::kAssign, State::kScheduled}, State::kScheduled},
      {{Command::kConfirm, State::kTriage}, State::kConfirmed},
      {{Command::kReject, State::kReceived}, State::kRejected},
      {{Command::kReject, State::kTriage}, State::kRejected},
      {{Command::kReject, State::kConfirmed}, State::kRejected},
      {{Command::kDuplicate, State::kReceived}, State::kDuplicate},
      {{Command::kDuplicate, State::kTriage}, State::kDuplicate},
      {{Command::kDuplicate, State::kConfirmed}, State::kDuplicate},
      {{Command::kClassify, State::kConfirmed}, State::kFixing},
      {{Command::kClassify, State::kFixing}, State::kFixing},
      {{Command::kApprove, State::kFixing}, State::kApproved},
      {{Command::kUnapprove, State::kApproved}, State::kFixing},
      {{Command::kSchedule, State::kApproved}, State::kScheduled},
      {{Command::kSchedule, State::kScheduled}, State::kScheduled},
      {{Command::kUnschedule, State::kScheduled}, State::kApproved},
      {{Command::kDisclose, State::kScheduled}, State::kDisclosed},
      {{Command::kPublish, State::kConfirmed}, State::kPublic},
      {{Command::kWithdraw, State::kReceived}, State::kWithdrawn},
      {{Command::kWithdraw, State::kTriage}, State::kWithdrawn},
      {{Command::kWithdraw, State::kConfirmed}, State::kWithdrawn},
      {{Command::kWithdraw, State::kFixing}, State::kWithdrawn},
  };
  return *table;
}

std::string ExpectedNeeds(Command c) {
  std::vector<State> legal;
  for (State s : kAllStates) {
    if (LegalTransitions().count({c, s})) legal.push_back(s);
  }
  std::string out;
  for (size_t i = 0; i < legal.size(); ++i) {
    if (i > 0) out += (i + 1 == legal.size()) ? " or " : ", ";
    out += StateName(legal[i]);
  }
  return out;
}

TEST(WorkflowTest, EveryStateCommandPair) {
  int checked = 0;
  for (Command c : kAllCommands) {
    for (State s : kAllStates) {
      SCOPED_TRACE(std::string(CommandName(c)) + " in " + StateName(s));
      Result<Report> r = ApplyCommand(MakeReport(s), c, ValidArgs(c), kNow);
      auto it = LegalTransitions().find({c, s});
      if (it != LegalTransitions().end()) {
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ(StateName(r->state), std::string(StateName(it->second)));
        EXPECT_EQ(r->updated_at, kNow);
      } else {
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.status().code(), Code::kConflict);
        EXPECT_EQ(r.status().message(), std::string("cannot ") + CommandName(c) +
                                            " SEC-2026-0001: it is " + StateName(s) + "; " +
                                            CommandName(c) + " needs " + ExpectedNeeds(c));
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 12 * 11);
}

TEST(WorkflowTest, TerminalStatesAcceptNothing) {
  for (State s : kAllStates) {
    if (!IsTerminal(s)) continue;
    for (Command c : kAllCommands) {
      EXPECT_FALSE(ApplyCommand(MakeReport(s), c, ValidArgs(c), kNow).ok());
    }
  }
}

TEST(WorkflowTest, ClassifyRoutesEveryLevel) {
  const std::map<int, State> expected = {
      {1, State::kFixing},    {2, State::kFixing},   {3, State::kFixing},    {4, State::kConfirmed},
      {5, State::kConfirmed}, {6, State::kRejected}, {7, State::kConfirmed},
  };
  for (auto [level, state] : expected) {
    CommandArgs a;
    a.level = level;
    Result<Report> r = ApplyCommand(MakeReport(State::kConfirmed), Command::kClassify, a, kNow);
    ASSERT_TRUE(r.ok()) << level;
    EXPECT_EQ(r->state, state) << level;
    EXPECT_EQ(r->level, level);
  }
  Result<Report> six = [] {
    CommandArgs a;
    a.level = 6;
    return ApplyCommand(MakeReport(State::kConfirmed), Command::kClassify, a, kNow);
  }();
  EXPECT_EQ(six->reason, "level 6: neither a vulnerability nor a hardening opportunity");
  for (int bad : {0, 8, -1}) {
    CommandArgs a;
    a.level = bad;
    Result<Report> r = ApplyCommand(MakeReport(State::kConfirmed), Command::kClassify, a, kNow);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "level must be 1 to 7, got " + std::to_string(bad));
  }
}

TEST(WorkflowTest, PublishNeedsAPublicRouteLevel) {
  for (int level : {0, 1, 2, 3}) {
    Report base = MakeReport(State::kConfirmed);
    base.level = level;
    Result<Report> r = ApplyCommand(base, Command::kPublish, {}, kNow);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(),
              level == 0 ? "cannot publish SEC-2026-0001: it has no level; classify it first"
                         : "cannot publish SEC-2026-0001: level " + std::to_string(level) +
                               " is not on the public route");
  }
  for (int level : {4, 5, 7}) {
    Report base = MakeReport(State::kConfirmed);
    base.level = level;
    Result<Report> r = ApplyCommand(base, Command::kPublish, {}, kNow);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->embargo.state, EmbargoState::kLifted);
  }
}

TEST(WorkflowTest, Preconditions) {
  const Report triage = MakeReport(State::kTriage);
  EXPECT_EQ(ApplyCommand(triage, Command::kReject, {}, kNow).status().message(),
            "cannot reject SEC-2026-0001: a reason is required");
  CommandArgs self;
  self.duplicate_of = "SEC-2026-0001";
  EXPECT_EQ(ApplyCommand(triage, Command::kDuplicate, self, kNow).status().message(),
            "cannot duplicate SEC-2026-0001: a report cannot duplicate itself");
  EXPECT_EQ(ApplyCommand(triage, Command::kDuplicate, {}, kNow).status().message(),
            "cannot duplicate SEC-2026-0001: the original report is required");
  CommandArgs bad_coordinator;
  bad_coordinator.coordinator = "not an address";
  EXPECT_EQ(ApplyCommand(triage, Command::kAssign, bad_coordinator, kNow).status().message(),
            "coordinator \"not an address\" is not an email address");
  CommandArgs reporter;
  reporter.coordinator = "rita@example.org";
  EXPECT_EQ(ApplyCommand(triage, Command::kAssign, reporter, kNow).status().message(),
            "cannot assign SEC-2026-0001: rita@example.org is its reporter and cannot coordinate "
            "it");

  CommandArgs missing;
  missing.branches_missing_approval = {"master", "release-1.2"};
  EXPECT_EQ(
      ApplyCommand(MakeReport(State::kFixing), Command::kApprove, missing, kNow).status().message(),
      "cannot approve SEC-2026-0001: no approved revision that applies for master, release-1.2");
  EXPECT_EQ(
      ApplyCommand(MakeReport(State::kApproved), Command::kUnapprove, {}, kNow).status().message(),
      "cannot unapprove SEC-2026-0001: every required branch still has an approved "
      "revision");

  CommandArgs past;
  past.slot = kNow - 1;
  EXPECT_EQ(
      ApplyCommand(MakeReport(State::kApproved), Command::kSchedule, past, kNow).status().message(),
      "cannot schedule SEC-2026-0001: the slot 2026-09-21T14:13:19Z is not in the future");
  CommandArgs late;
  late.slot = kNow + 100 * kMicrosPerDay;
  EXPECT_EQ(
      ApplyCommand(MakeReport(State::kApproved), Command::kSchedule, late, kNow).status().message(),
      "cannot schedule SEC-2026-0001: the slot 2026-12-30T14:13:20Z is past the embargo cap of 90 "
      "days (2026-12-19T14:13:20Z)");

  Report early = MakeReport(State::kScheduled);
  early.embargo.end = kNow + 10;
  EXPECT_EQ(ApplyCommand(early, Command::kDisclose, {}, kNow).status().message(),
            "cannot disclose SEC-2026-0001: the slot 2026-09-21T14:13:20Z is not reached");
}

// A withdrawn slot no longer ends the embargo: it runs to its cap again, and a new slot ends it.
TEST(WorkflowTest, RescheduleMovesTheEndAndUnscheduleRestoresTheCap) {
  Report scheduled = MakeReport(State::kScheduled);
  CommandArgs later;
  later.slot = kNow + 20 * kMicrosPerDay;
  Result<Report> moved = ApplyCommand(scheduled, Command::kSchedule, later, kNow);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->embargo.end, later.slot);
  Result<Report> off = ApplyCommand(*moved, Command::kUnschedule, {}, kNow);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->state, State::kApproved);
  EXPECT_EQ(off->embargo.end, off->embargo.start + off->embargo.cap_days * kMicrosPerDay);
}

TEST(WorkflowTest, AssignMakesTheCoordinatorAParticipant) {
  CommandArgs a;
  a.coordinator = "Carol@Example.org";
  Result<Report> r = ApplyCommand(MakeReport(State::kReceived), Command::kAssign, a, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->coordinator, "carol@example.org");
  ASSERT_NE(r->FindParticipant("carol@example.org"), nullptr);
  EXPECT_EQ(r->FindParticipant("carol@example.org")->role, Role::kCoordinator);

  a.coordinator = "dave@example.org";
  Result<Report> again = ApplyCommand(*r, Command::kAssign, a, kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->FindParticipant("carol@example.org")->role, Role::kMaintainer);
  EXPECT_EQ(again->FindParticipant("dave@example.org")->role, Role::kCoordinator);

  EXPECT_EQ(ApplyCommand(*again, Command::kAssign, a, kNow).status().message(),
            "cannot assign SEC-2026-0001: dave@example.org is already its coordinator");
}

TEST(EmbargoTest, SetExtendAndCap) {
  Report r = MakeReport(State::kFixing);
  r.embargo.end = kNow + 10 * kMicrosPerDay;
  // Shortening needs no reason.
  Result<Report> shorter = SetEmbargoEnd(r, kNow + 5 * kMicrosPerDay, "", kNow);
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(shorter->embargo.end, kNow + 5 * kMicrosPerDay);
  // Extending does.
  EXPECT_EQ(SetEmbargoEnd(r, kNow + 20 * kMicrosPerDay, "", kNow).status().message(),
            "cannot set the embargo of SEC-2026-0001: an extension needs a reason");
  Result<Report> longer = SetEmbargoEnd(r, kNow + 20 * kMicrosPerDay, "distro freeze", kNow);
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->embargo.reason, "distro freeze");
  // Never past the cap, never in the past.
  EXPECT_EQ(SetEmbargoEnd(r, r.embargo.start + 91 * kMicrosPerDay, "x", kNow).status().message(),
            "cannot set the embargo of SEC-2026-0001: the end 2026-12-20T14:13:20Z is past the cap "
            "of 90 days (2026-12-19T14:13:20Z)");
  EXPECT_EQ(SetEmbargoEnd(r, kNow, "", kNow).status().message(),
            "cannot set the embargo of SEC-2026-0001: the end 2026-09-21T14:13:20Z is not in the "
            "future");
  EXPECT_EQ(SetEmbargoEnd(MakeReport(State::kDisclosed), kNow + 1, "", kNow).status().message(),
            "cannot set the embargo of SEC-2026-0001: it is disclosed");
  Result<Report> broken = BreakEmbargo(r, "posted on a public list", kNow);
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ(broken->embargo.state, EmbargoState::kBroken);
  EXPECT_EQ(SetEmbargoEnd(*broken, kNow + 1, "", kNow).status().message(),
            "cannot set the embargo of SEC-2026-0001: the embargo is broken");
}

TEST(ParticipantTest, AddRules) {
  Report r = MakeReport(State::kFixing);
  Participant p;
  p.email = "Eve@Example.org";
  p.role = Role::kCollaborator;
  Result<Report> added = AddParticipant(r, p);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->participants.back().email, "eve@example.org");
  EXPECT_EQ(AddParticipant(*added, p).status().message(),
            "eve@example.org is already the collaborator of SEC-2026-0001");
  p.email = "nope";
  EXPECT_EQ(AddParticipant(r, p).status().message(), "\"nope\" is not an email address");
  p.email = "x@example.org";
  p.role = Role::kCoordinator;
  EXPECT_EQ(AddParticipant(r, p).status().message(),
            "a coordinator is set with assign, not invited");
  p.role = Role::kObserver;
  EXPECT_EQ(AddParticipant(MakeReport(State::kRejected), p).status().message(),
            "cannot invite to SEC-2026-0001: it is rejected");
}

TEST(ParticipantTest, RemoveKeepsHistoryAndRefusesReporterAndCoordinator) {
  CommandArgs a;
  a.coordinator = "carol@example.org";
  Result<Report> r = ApplyCommand(MakeReport(State::kReceived), Command::kAssign, a, kNow);
  ASSERT_TRUE(r.ok());
  Participant p;
  p.email = "eve@example.org";
  p.role = Role::kCollaborator;
  p.token_hash = "ab12";
  r = AddParticipant(*r, p);
  ASSERT_TRUE(r.ok());

  Result<Report> removed =
      RemoveParticipant(*r, "Eve@Example.org", "user:carol@example.org", kNow + 5);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->FindParticipant("eve@example.org"), nullptr);
  ASSERT_EQ(removed->removed_participants.size(), 1u);
  const Participant& gone = removed->removed_participants[0];
  EXPECT_EQ(gone.email, "eve@example.org");
  EXPECT_EQ(gone.role, Role::kCollaborator);
  EXPECT_EQ(gone.token_hash, "");
  EXPECT_EQ(gone.removed_at, kNow + 5);
  EXPECT_EQ(gone.removed_by, "user:carol@example.org");
  EXPECT_EQ(removed->updated_at, kNow + 5);

  EXPECT_EQ(RemoveParticipant(*removed, "eve@example.org", "x", kNow).status().message(),
            "cannot remove eve@example.org from SEC-2026-0001: they are not a participant");
  EXPECT_EQ(RemoveParticipant(*r, "rita@example.org", "x", kNow).status().message(),
            "cannot remove rita@example.org from SEC-2026-0001: the reporter cannot be removed");
  EXPECT_EQ(RemoveParticipant(*r, "carol@example.org", "x", kNow).status().message(),
            "cannot remove carol@example.org from SEC-2026-0001: the coordinator cannot be "
            "removed; assign another first");
  EXPECT_EQ(RemoveParticipant(*r, "", "x", kNow).status().code(), Code::kInvalidArgument);
  // Removed people may be invited again, as a new participant.
  p.token_hash = "cd34";
  Result<Report> back = AddParticipant(*removed, p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->FindParticipant("eve@example.org")->token_hash, "cd34");
  EXPECT_EQ(back->removed_participants.size(), 1u);
}

TEST(ParticipantTest, ReplaceCapabilityNeedsAParticipantWithALink) {
  Report r = MakeReport(State::kFixing);
  r.participants[0].token_hash = "old";
  Result<Report> rotated = ReplaceCapability(r, "Rita@example.org", "new", kNow);
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->FindParticipant("rita@example.org")->token_hash, "new");
  EXPECT_EQ(ReplaceCapability(r, "x@example.org", "new", kNow).status().message(),
            "cannot replace the link of x@example.org on SEC-2026-0001: they are not a "
            "participant");
  EXPECT_EQ(ReplaceCapability(r, "", "new", kNow).status().message(),
            "cannot replace the link of  on SEC-2026-0001: an email address is required");
  r.participants[0].token_hash.clear();
  EXPECT_EQ(ReplaceCapability(r, "rita@example.org", "new", kNow).status().message(),
            "cannot replace the link of rita@example.org on SEC-2026-0001: they have no link");
}

TEST(WorkflowTest, ClosingRecordsWhen) {
  CommandArgs a;
  a.reason = "not reproducible";
  Result<Report> rejected = ApplyCommand(MakeReport(State::kTriage), Command::kReject, a, kNow);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->closed_at, kNow);
  Result<Report> confirmed =
      ApplyCommand(MakeReport(State::kTriage), Command::kConfirm, CommandArgs{}, kNow);
  ASSERT_TRUE(confirmed.ok());
  EXPECT_EQ(confirmed->closed_at, 0);
}

TEST(ParticipantTest, ReminderNamesTheEndInUtc) {
  Report r = MakeReport(State::kFixing);
  EXPECT_NE(EmbargoReminder(r).find("SEC-2026-0001"), std::string::npos);
  EXPECT_NE(EmbargoReminder(r).find("until 2026-09-21T14:13:20Z (UTC)"), std::string::npos);
}

}  // namespace
}  // namespace vigil
