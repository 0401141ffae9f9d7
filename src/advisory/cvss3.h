// CVSS v3.0 and v3.1 vectors and scores, per FIRST's specification documents
// (https://www.first.org/cvss/v3.1/specification-document, and v3.0 for the 3.0 differences).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "advisory/cvss.h"
#include "core/status.h"

namespace vigil::advisory {

enum class Cvss3Version { k30, k31 };

/// The three scores of a v3.x vector, each rounded up to one decimal. Temporal and environmental
/// equal what the spec gives with the undefined metrics as "X" (Not Defined).
struct Cvss3Scores {
  double base = 0;
  double temporal = 0;
  double environmental = 0;
};

/// A parsed, valid CVSS v3.x vector. Immutable; cheap to copy.
class Cvss3Vector {
 public:
  /// Number of metrics a v3.x vector can carry (8 base, 3 temporal, 11 environmental).
  static constexpr int kMetricCount = 22;

  /// Parses "CVSS:3.0/..." or "CVSS:3.1/...". Metrics may come in any order (spec section 6);
  /// temporal and environmental metrics are optional, "X" means Not Defined. Errors (all
  /// kInvalidArgument), with these exact messages:
  ///   `CVSS v3 vector must start with "CVSS:3.0/" or "CVSS:3.1/"`
  ///   `CVSS v3 vector is longer than 256 characters`
  ///   `empty metric in CVSS v3 vector`
  ///   `CVSS v3 metric "AVN" is not NAME:VALUE`
  ///   `unknown CVSS v3 metric "XX"`
  ///   `duplicate CVSS v3 metric "AV"`
  ///   `invalid value "Q" for CVSS v3 metric "AV"`
  ///   `missing CVSS v3 base metric "AV"` (the first missing one in the spec's order)
  static Result<Cvss3Vector> Parse(std::string_view text);

  Cvss3Version version() const { return version_; }
  /// The value of metric NAME ("AV", "MPR", ...): "X" when it is not in the vector or NAME is not
  /// a v3 metric.
  std::string_view Value(std::string_view name) const;
  /// Base, temporal and environmental scores (spec sections 7.1-7.3, Roundup of Appendix A for
  /// 3.1; 3.0 uses its own formulas, rounded up exactly the same way).
  Cvss3Scores Scores() const;
  double BaseScore() const { return Scores().base; }
  /// The canonical vector: prefix, the base metrics in the spec's order, then the defined
  /// temporal and environmental metrics in the spec's order.
  std::string ToString() const;

 private:
  Cvss3Vector() = default;

  Cvss3Version version_ = Cvss3Version::k31;
  std::array<std::string_view, kMetricCount> values_{};  // points into constant tables
};

}  // namespace vigil::advisory
