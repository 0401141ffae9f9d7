// What CVSS v3.x and v4.0 share: the qualitative severity scale, score formatting and the
// one-line "VECTOR - (scores)" format of the test vectors and of `vigil cvss -`.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil::advisory {

/// The qualitative severity rating scale (CVSS v3.1 section 5, CVSS v4.0 section 6).
enum class Severity { kNone, kLow, kMedium, kHigh, kCritical };

/// "None", "Low", "Medium", "High" or "Critical".
std::string_view SeverityName(Severity severity);

/// The rating of a score rounded to one decimal: 0.0 None, 0.1-3.9 Low, 4.0-6.9 Medium,
/// 7.0-8.9 High, 9.0-10.0 Critical.
Severity SeverityForScore(double score);

/// A score with exactly one decimal ("9.8", "10.0", "0.0").
std::string FormatScore(double score);

/// How a v4.0 score is written on a line: "(9.2,)" as the CLI prints it, or bare "9.2" as in
/// some of the published test vector files. v3.x lines always carry the three-score tuple.
enum class ScoreLineStyle { kTuple, kBare };

/// Parses VECTOR (a "CVSS:3.0/", "CVSS:3.1/" or "CVSS:4.0/" vector) and formats it with its scores
/// exactly as the lines of ../shared/testdata/cvss/: "VECTOR - (base, temporal, environmental)" for
/// v3.x, "VECTOR - (score,)" (or "VECTOR - score" with kBare) for v4.0. The vector is echoed as
/// given. Errors: the parse error of the vector's version, or
/// `unsupported CVSS vector "<its first 40 characters>"` when the prefix is not "CVSS:3." or
/// "CVSS:4.".
Result<std::string> FormatScoreLine(std::string_view vector,
                                    ScoreLineStyle style = ScoreLineStyle::kTuple);

}  // namespace vigil::advisory
