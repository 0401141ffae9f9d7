#include "advisory/cvss.h"

#include <cmath>
#include <cstdio>

#include "advisory/cvss3.h"
#include "advisory/cvss4.h"

namespace vigil::advisory {

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kNone:
      return "None";
    case Severity::kLow:
      return "Low";
    case Severity::kMedium:
      return "Medium";
    case Severity::kHigh:
      return "High";
    case Severity::kCritical:
      return "Critical";
  }
  return "None";
}

Severity SeverityForScore(double score) {
  // Compare in tenths so that 6.9000000001 is still Medium.
  const long tenths = std::lround(score * 10);
  if (tenths <= 0) return Severity::kNone;
  if (tenths < 40) return Severity::kLow;
  if (tenths < 70) return Severity::kMedium;
  if (tenths < 90) return Severity::kHigh;
  return Severity::kCritical;
}

std::string FormatScore(double score) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.1f", score);
  return buffer;
}

Result<std::string> FormatScoreLine(std::string_view vector, ScoreLineStyle style) {
  std::string line(vector);
  line += " - ";
  if (vector.starts_with("CVSS:3.")) {
    Result<Cvss3Vector> parsed = Cvss3Vector::Parse(vector);
    if (!parsed.ok()) return parsed.status();
    const Cvss3Scores scores = parsed->Scores();
    line += "(" + FormatScore(scores.base) + ", " + FormatScore(scores.temporal) + ", " +
            FormatScore(scores.environmental) + ")";
    return line;
  }
  if (vector.starts_with("CVSS:4.")) {
    Result<Cvss4Vector> parsed = Cvss4Vector::Parse(vector);
    if (!parsed.ok()) return parsed.status();
    const std::string score = FormatScore(parsed->Score());
    line += style == ScoreLineStyle::kTuple ? "(" + score + ",)" : score;
    return line;
  }
  const std::string shown(vector.substr(0, 40));
  return Status::Invalid("unsupported CVSS vector \"" + shown + "\"");
}

}  // namespace vigil::advisory
