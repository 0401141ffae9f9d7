// Report ids: <PREFIX>-<YEAR>-<NNNN>, e.g. SEC-2026-0042.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil {

/// A prefix is 1 to 16 characters: an upper-case letter, then upper-case letters and digits.
Status ValidateIdPrefix(std::string_view prefix);
/// "SEC-2026-0042"; numbers above 9999 simply get more digits.
std::string FormatReportId(std::string_view prefix, int year, int64_t number);
/// True when ID has the shape <PREFIX>-<YEAR>-<NNNN> (any valid prefix).
bool IsWellFormedReportId(std::string_view id);

}  // namespace vigil
