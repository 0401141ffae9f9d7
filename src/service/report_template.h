// A report written as free text (a mail, a paste) read into the report template's fields.
#pragma once

#include <string>

#include "core/report.h"

namespace vigil {

/// Splits a report written with the template's headings ("Reproduction steps:", "## Effects on
/// the cluster", ...) into fields; text without headings is all steps. SUBJECT is the mail's.
/// Each field is trimmed and cut (on a UTF-8 boundary) below kMaxFieldBytes.
TemplateFields TemplateFromText(const std::string& subject, const std::string& text);

}  // namespace vigil
