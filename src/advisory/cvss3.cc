#include "advisory/cvss3.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "advisory/cvss_metrics.h"

namespace vigil::advisory {
namespace {

using internal::MetricSpec;

// Spec section 6, table 15: the metrics in the order of a canonical vector.
constexpr std::array<MetricSpec, Cvss3Vector::kMetricCount> kMetrics = {{
    {"AV", {"N", "A", "L", "P"}, true},
    {"AC", {"L", "H"}, true},
    {"PR", {"N", "L", "H"}, true},
    {"UI", {"N", "R"}, true},
    {"S", {"U", "C"}, true},
    {"C", {"H", "L", "N"}, true},
    {"I", {"H", "L", "N"}, true},
    {"A", {"H", "L", "N"}, true},
    {"E", {"X", "H", "F", "P", "U"}, false},
    {"RL", {"X", "U", "W", "T", "O"}, false},
    {"RC", {"X", "C", "R", "U"}, false},
    {"CR", {"X", "H", "M", "L"}, false},
    {"IR", {"X", "H", "M", "L"}, false},
    {"AR", {"X", "H", "M", "L"}, false},
    {"MAV", {"X", "N", "A", "L", "P"}, false},
    {"MAC", {"X", "L", "H"}, false},
    {"MPR", {"X", "N", "L", "H"}, false},
    {"MUI", {"X", "N", "R"}, false},
    {"MS", {"X", "U", "C"}, false},
    {"MC", {"X", "H", "L", "N"}, false},
    {"MI", {"X", "H", "L", "N"}, false},
    {"MA", {"X", "H", "L", "N"}, false},
}};

// Metric weights, spec section 7.4, table 16.
double AttackVector(std::string_view v) {
  if (v == "N") return 0.85;
  if (v == "A") return 0.62;
  if (v == "L") return 0.55;
  return 0.2;  // P
}
double AttackComplexity(std::string_view v) { return v == "L" ? 0.77 : 0.44; }
double PrivilegesRequired(std::string_view v, bool scope_changed) {
  if (v == "N") return 0.85;
  if (v == "L") return scope_changed ? 0.68 : 0.62;
  return scope_changed ? 0.5 : 0.27;  // H
}
double UserInteraction(std::string_view v) { return v == "N" ? 0.85 : 0.62; }
double Impact(std::string_view v) {
  if (v == "H") return 0.56;
  if (v == "L") return 0.22;
  return 0;  // N
}
double ExploitCodeMaturity(std::string_view v) {
  if (v == "F") return 0.97;
  if (v == "P") return 0.94;
  if (v == "U") return 0.91;
  return 1;  // X, H
}
double RemediationLevel(std::string_view v) {
  if (v == "W") return 0.97;
  if (v == "T") return 0.96;
  if (v == "O") return 0.95;
  return 1;  // X, U
}
double ReportConfidence(std::string_view v) {
  if (v == "R") return 0.96;
  if (v == "U") return 0.92;
  return 1;  // X, C
}
double Requirement(std::string_view v) {
  if (v == "H") return 1.5;
  if (v == "L") return 0.5;
  return 1;  // X, M
}

// Roundup, v3.1 Appendix A: the smallest one-decimal number >= x, computed on integers so that
// floating-point noise (4.000000000000001) does not round up a whole step. v3.0 defines Round up
// with the same intent; applying the same function reproduces FIRST's v3.0 results.
double Roundup(double x) {
  const std::int64_t scaled = std::llround(x * 100000.0);
  if (scaled % 10000 == 0) return static_cast<double>(scaled) / 100000.0;
  return static_cast<double>(scaled / 10000 + 1) / 10.0;
}

}  // namespace

Result<Cvss3Vector> Cvss3Vector::Parse(std::string_view text) {
  constexpr std::string_view kPrefixError =
      "CVSS v3 vector must start with \"CVSS:3.0/\" or \"CVSS:3.1/\"";
  if (text.size() > internal::kMaxVectorLength) {
    return Status::Invalid("CVSS v3 vector is longer than 256 characters");
  }
  Cvss3Vector vector;
  if (text.starts_with("CVSS:3.0/")) {
    vector.version_ = Cvss3Version::k30;
  } else if (text.starts_with("CVSS:3.1/")) {
    vector.version_ = Cvss3Version::k31;
  } else {
    return Status::Invalid(std::string(kPrefixError));
  }
  text.remove_prefix(9);
  VIGIL_RETURN_IF_ERROR(
      internal::ParseMetrics(text, kMetrics, "CVSS v3", /*ordered=*/false, vector.values_));
  return vector;
}

std::string_view Cvss3Vector::Value(std::string_view name) const {
  const int index = internal::FindMetric(kMetrics, name);
  return index < 0 ? std::string_view("X") : values_[index];
}

Cvss3Scores Cvss3Vector::Scores() const {
  const bool v31 = version_ == Cvss3Version::k31;
  auto value = [this](std::string_view name) { return Value(name); };
  // A modified metric replaces its base metric unless it is Not Defined.
  auto modified = [&](std::string_view name) {
    const std::string_view m = Value(std::string("M") + std::string(name));
    return m == "X" ? value(name) : m;
  };

  // Base score, section 7.1.
  const bool changed = value("S") == "C";
  const double iss =
      1 - (1 - Impact(value("C"))) * (1 - Impact(value("I"))) * (1 - Impact(value("A")));
  const double impact =
      changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * AttackVector(value("AV")) * AttackComplexity(value("AC")) *
                                PrivilegesRequired(value("PR"), changed) *
                                UserInteraction(value("UI"));
  Cvss3Scores scores;
  if (impact > 0) {
    scores.base = changed ? Roundup(std::min(1.08 * (impact + exploitability), 10.0))
                          : Roundup(std::min(impact + exploitability, 10.0));
  }

  // Temporal score, section 7.2.
  const double temporal_factor = ExploitCodeMaturity(value("E")) * RemediationLevel(value("RL")) *
                                 ReportConfidence(value("RC"));
  scores.temporal = Roundup(scores.base * temporal_factor);

  // Environmental score, section 7.3.
  const bool modified_changed = modified("S") == "C";
  const double miss = std::min(1 - (1 - Impact(modified("C")) * Requirement(value("CR"))) *
                                       (1 - Impact(modified("I")) * Requirement(value("IR"))) *
                                       (1 - Impact(modified("A")) * Requirement(value("AR"))),
                               0.915);
  double modified_impact = 6.42 * miss;
  if (modified_changed) {
    // v3.1 changed the last term from (MISS - 0.02)^15 to (MISS x 0.9731 - 0.02)^13.
    modified_impact = v31 ? 7.52 * (miss - 0.029) - 3.25 * std::pow(miss * 0.9731 - 0.02, 13)
                          : 7.52 * (miss - 0.029) - 3.25 * std::pow(miss - 0.02, 15);
  }
  const double modified_exploitability =
      8.22 * AttackVector(modified("AV")) * AttackComplexity(modified("AC")) *
      PrivilegesRequired(modified("PR"), modified_changed) * UserInteraction(modified("UI"));
  if (modified_impact > 0) {
    const double sum = modified_changed ? 1.08 * (modified_impact + modified_exploitability)
                                        : modified_impact + modified_exploitability;
    scores.environmental = Roundup(Roundup(std::min(sum, 10.0)) * temporal_factor);
  }
  return scores;
}

std::string Cvss3Vector::ToString() const {
  return internal::FormatMetrics(version_ == Cvss3Version::k30 ? "CVSS:3.0" : "CVSS:3.1", kMetrics,
                                 values_);
}

}  // namespace vigil::advisory
