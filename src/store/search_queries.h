// Full-text search over reports (their fields and thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/report_queries.h"

namespace vigil {

/// True when TEXT holds a letter or a digit to search for (a byte outside ASCII counts as one).
inline bool HasSearchWords(std::string_view text) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80 || (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z')) {
      return true;
    }
  }
  return false;
}

class SearchQueries {
 public:
  virtual ~SearchQueries() = default;
  /// Reports matching WORDS, as a person typed them, within FILTER (ordered as the filter
  /// says). A report matches when its fields, or one message of its thread, hold every word
  /// (separated by white space) as the beginning of a word; a word with punctuation inside
  /// ("use-after-free", "CVE-2026") matches those words in that order. Case does not matter.
  /// WORDS without any letter or digit match nothing (HasSearchWords). A message held from an
  /// unverified sender is not searched. Every engine implements the same semantics (the
  /// contract tests); a search sees every write acknowledged before it started.
  virtual Result<std::vector<ReportSummary>> SearchReports(const std::string& words,
                                                           const ReportFilter& filter) = 0;
};

}  // namespace vigil
