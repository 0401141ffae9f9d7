// A report written as free text (a mail, a paste) read into the report template's fields.
#pragma once

#include <string>

#include "core/report.h"
#include "core/report_form.h"

namespace vigil {

/// Splits a report written with FORM's headings ("Reproduction steps:", "## Impact", "**Attack
/// vector:**": a field's label or one of its headings, alone on its line) into fields; text
/// before the first heading goes to the steps, text without headings is all steps. SUBJECT is
/// the mail's. Each field is trimmed and cut (on a UTF-8 boundary) below kMaxFieldBytes.
TemplateFields TemplateFromText(const std::string& subject, const std::string& text,
                                const ReportForm& form);

}  // namespace vigil
