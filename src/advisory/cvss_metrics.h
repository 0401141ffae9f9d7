// Internal to vigil_advisory: the metric tables of a CVSS version and the parser both versions
// share. Not part of the module's API.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil::advisory::internal {

/// One metric of a CVSS version: its abbreviation, its allowed values (empty entries unused) and
/// whether a vector must carry it.
struct MetricSpec {
  std::string_view name;
  std::array<std::string_view, 6> values;
  bool mandatory;
};

/// Longest vector either parser accepts; the longest valid v4.0 vector is well below it.
inline constexpr std::size_t kMaxVectorLength = 256;

/// Parses BODY, the "NAME:VALUE/NAME:VALUE..." part of a vector after its prefix, against SPECS.
/// On success OUT[i] holds the value of SPECS[i] (a view into SPECS) or "X" when absent. LABEL
/// names the version in messages ("CVSS v3"). When ORDERED, metrics must follow the order of
/// SPECS. Errors: see Cvss3Vector::Parse and Cvss4Vector::Parse for the exact messages.
Status ParseMetrics(std::string_view body, std::span<const MetricSpec> specs,
                    std::string_view label, bool ordered, std::span<std::string_view> out);

/// Index of metric NAME in SPECS, or -1.
int FindMetric(std::span<const MetricSpec> specs, std::string_view name);

/// PREFIX ("CVSS:3.1") followed by "/NAME:VALUE" for each metric of SPECS whose value in VALUES
/// is set (optional metrics left at "X" are omitted), in the order of SPECS.
std::string FormatMetrics(std::string_view prefix, std::span<const MetricSpec> specs,
                          std::span<const std::string_view> values);

}  // namespace vigil::advisory::internal
