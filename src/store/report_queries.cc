#include "store/report_queries.h"

namespace vigil {

const char* OutboxStateName(OutboxState s) {
  switch (s) {
    case OutboxState::kPending:
      return "pending";
    case OutboxState::kSending:
      return "sending";
    case OutboxState::kSent:
      return "sent";
    case OutboxState::kDead:
      return "dead";
  }
  return "pending";
}

std::optional<OutboxState> ParseOutboxState(std::string_view text) {
  for (OutboxState s :
       {OutboxState::kPending, OutboxState::kSending, OutboxState::kSent, OutboxState::kDead}) {
    if (text == OutboxStateName(s)) return s;
  }
  return std::nullopt;
}

}  // namespace vigil
