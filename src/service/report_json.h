// JSON views of reports, summaries, messages and events, shared by the API and `--json` output.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "core/report.h"
#include "service/mail_admin_service.h"
#include "service/report_service.h"
#include "store/store.h"

namespace vigil {

boost::json::object FieldsJson(const TemplateFields& f);
boost::json::object ReportJson(const Report& r);
boost::json::object SummaryJson(const ReportSummary& s);
boost::json::object MessageJson(const ThreadMessage& m);
/// An outbox row as admins see it (without the body: it may hold embargoed detail).
boost::json::object OutboxJson(const OutboxEntry& e);
/// OutboxJson with the mail in full: "envelope_from", "encrypted" and "text" (see ShownMail).
boost::json::object ShownMailJson(const ShownMail& m);
/// The event with its payload parsed back into JSON (kept as a string if it does not parse).
boost::json::object EventJson(const StoredEvent& e);
/// An API token as its owner and admins see it: its id, never its hash. Times are UTC; an
/// expiry or revocation that is not set is null.
boost::json::object ApiTokenJson(const ApiTokenInfo& t);

}  // namespace vigil
