// CVSS v4.0 vectors and scores, per FIRST's specification document
// (https://www.first.org/cvss/v4.0/specification-document) and the scoring algorithm of its
// reference calculator (https://github.com/FIRSTdotorg/cvss-v4-calculator), including the
// November 2024 rounding correction.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "advisory/cvss.h"
#include "core/status.h"

namespace vigil::advisory {

/// A parsed, valid CVSS v4.0 vector. Immutable; cheap to copy.
class Cvss4Vector {
 public:
  /// 11 base, 1 threat, 14 environmental and 6 supplemental metrics.
  static constexpr int kMetricCount = 32;

  /// Parses "CVSS:4.0/...". The 11 base metrics are mandatory; the others are optional ("X" is Not
  /// Defined); all must follow the order of the spec's section 7 table. Errors (all
  /// kInvalidArgument), with these exact messages:
  ///   `CVSS v4.0 vector must start with "CVSS:4.0/"`
  ///   `CVSS v4.0 vector is longer than 256 characters`
  ///   `empty metric in CVSS v4.0 vector`
  ///   `CVSS v4.0 metric "AVN" is not NAME:VALUE`
  ///   `unknown CVSS v4.0 metric "XX"`
  ///   `duplicate CVSS v4.0 metric "AV"`
  ///   `CVSS v4.0 metric "AC" must come before "AT"` (AC found after AT)
  ///   `invalid value "Q" for CVSS v4.0 metric "AV"`
  ///   `missing CVSS v4.0 base metric "AT"` (the first missing one in the spec's order)
  static Result<Cvss4Vector> Parse(std::string_view text);

  /// The value of metric NAME ("AV", "MSI", "U", ...) as written: "X" when it is not in the vector
  /// or NAME is not a v4.0 metric.
  std::string_view Value(std::string_view name) const;
  /// The six EQ levels of the vector's macrovector ("EQ1..EQ6" digits, e.g. "102101"), computed
  /// on the effective values (modified metrics replace base metrics; E:X is E:A; CR/IR/AR:X are H).
  std::string MacroVector() const;
  /// The CVSS v4.0 score in [0, 10] with one decimal: the macrovector's score lowered by the mean
  /// proportional severity distance, rounded half up after adding 1e-6 (Nov 2024 correction).
  /// Supplemental metrics never change it.
  double Score() const;
  /// "CVSS-B", "CVSS-BT", "CVSS-BE" or "CVSS-BTE" (spec section 1.3): which groups are defined.
  std::string_view Nomenclature() const;
  /// The canonical vector: the base metrics, then every defined optional metric, in spec order.
  std::string ToString() const;

 private:
  Cvss4Vector() = default;

  /// The value the scoring uses for NAME (see MacroVector()).
  std::string_view Effective(std::string_view name) const;

  std::array<std::string_view, kMetricCount> values_{};  // points into constant tables
};

}  // namespace vigil::advisory
