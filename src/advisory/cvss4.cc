#include "advisory/cvss4.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "advisory/cvss_metrics.h"

namespace vigil::advisory {
namespace {

using internal::MetricSpec;

// Spec section 7, in the order a vector must list them.
constexpr std::array<MetricSpec, Cvss4Vector::kMetricCount> kMetrics = {{
    // Base.
    {"AV", {"N", "A", "L", "P"}, true},
    {"AC", {"L", "H"}, true},
    {"AT", {"N", "P"}, true},
    {"PR", {"N", "L", "H"}, true},
    {"UI", {"N", "P", "A"}, true},
    {"VC", {"H", "L", "N"}, true},
    {"VI", {"H", "L", "N"}, true},
    {"VA", {"H", "L", "N"}, true},
    {"SC", {"H", "L", "N"}, true},
    {"SI", {"H", "L", "N"}, true},
    {"SA", {"H", "L", "N"}, true},
    // Threat.
    {"E", {"X", "A", "P", "U"}, false},
    // Environmental.
    {"CR", {"X", "H", "M", "L"}, false},
    {"IR", {"X", "H", "M", "L"}, false},
    {"AR", {"X", "H", "M", "L"}, false},
    {"MAV", {"X", "N", "A", "L", "P"}, false},
    {"MAC", {"X", "L", "H"}, false},
    {"MAT", {"X", "N", "P"}, false},
    {"MPR", {"X", "N", "L", "H"}, false},
    {"MUI", {"X", "N", "P", "A"}, false},
    {"MVC", {"X", "H", "L", "N"}, false},
    {"MVI", {"X", "H", "L", "N"}, false},
    {"MVA", {"X", "H", "L", "N"}, false},
    {"MSC", {"X", "H", "L", "N"}, false},
    {"MSI", {"X", "S", "H", "L", "N"}, false},
    {"MSA", {"X", "S", "H", "L", "N"}, false},
    // Supplemental.
    {"S", {"X", "N", "P"}, false},
    {"AU", {"X", "N", "Y"}, false},
    {"R", {"X", "A", "U", "I"}, false},
    {"V", {"X", "D", "C"}, false},
    {"RE", {"X", "L", "M", "H"}, false},
    {"U", {"X", "Clear", "Green", "Amber", "Red"}, false},
}};

constexpr int kFirstThreat = 11;         // E
constexpr int kFirstEnvironmental = 12;  // CR
constexpr int kFirstSupplemental = 26;   // S

// Score of each macrovector (EQ1..EQ6 levels as digits), from the specification's reference
// calculator (cvss_lookup.js). Macrovectors not listed do not exist.
struct MacroVectorScore {
  std::string_view eqs;
  double score;
};
constexpr MacroVectorScore kMacroVectorScores[] = {
    {"000000", 10.0}, {"000001", 9.9},  {"000010", 9.8}, {"000011", 9.5}, {"000020", 9.5},
    {"000021", 9.2},  {"000100", 10.0}, {"000101", 9.6}, {"000110", 9.3}, {"000111", 8.7},
    {"000120", 9.1},  {"000121", 8.1},  {"000200", 9.3}, {"000201", 9.0}, {"000210", 8.9},
    {"000211", 8.0},  {"000220", 8.1},  {"000221", 6.8}, {"001000", 9.8}, {"001001", 9.5},
    {"001010", 9.5},  {"001011", 9.2},  {"001020", 9.0}, {"001021", 8.4}, {"001100", 9.3},
    {"001101", 9.2},  {"001110", 8.9},  {"001111", 8.1}, {"001120", 8.1}, {"001121", 6.5},
    {"001200", 8.8},  {"001201", 8.0},  {"001210", 7.8}, {"001211", 7.0}, {"001220", 6.9},
    {"001221", 4.8},  {"002001", 9.2},  {"002011", 8.2}, {"002021", 7.2}, {"002101", 7.9},
    {"002111", 6.9},  {"002121", 5.0},  {"002201", 6.9}, {"002211", 5.5}, {"002221", 2.7},
    {"010000", 9.9},  {"010001", 9.7},  {"010010", 9.5}, {"010011", 9.2}, {"010020", 9.2},
    {"010021", 8.5},  {"010100", 9.5},  {"010101", 9.1}, {"010110", 9.0}, {"010111", 8.3},
    {"010120", 8.4},  {"010121", 7.1},  {"010200", 9.2}, {"010201", 8.1}, {"010210", 8.2},
    {"010211", 7.1},  {"010220", 7.2},  {"010221", 5.3}, {"011000", 9.5}, {"011001", 9.3},
    {"011010", 9.2},  {"011011", 8.5},  {"011020", 8.5}, {"011021", 7.3}, {"011100", 9.2},
    {"011101", 8.2},  {"011110", 8.0},  {"011111", 7.2}, {"011120", 7.0}, {"011121", 5.9},
    {"011200", 8.4},  {"011201", 7.0},  {"011210", 7.1}, {"011211", 5.2}, {"011220", 5.0},
    {"011221", 3.0},  {"012001", 8.6},  {"012011", 7.5}, {"012021", 5.2}, {"012101", 7.1},
    {"012111", 5.2},  {"012121", 2.9},  {"012201", 6.3}, {"012211", 2.9}, {"012221", 1.7},
    {"100000", 9.8},  {"100001", 9.5},  {"100010", 9.4}, {"100011", 8.7}, {"100020", 9.1},
    {"100021", 8.1},  {"100100", 9.4},  {"100101", 8.9}, {"100110", 8.6}, {"100111", 7.4},
    {"100120", 7.7},  {"100121", 6.4},  {"100200", 8.7}, {"100201", 7.5}, {"100210", 7.4},
    {"100211", 6.3},  {"100220", 6.3},  {"100221", 4.9}, {"101000", 9.4}, {"101001", 8.9},
    {"101010", 8.8},  {"101011", 7.7},  {"101020", 7.6}, {"101021", 6.7}, {"101100", 8.6},
    {"101101", 7.6},  {"101110", 7.4},  {"101111", 5.8}, {"101120", 5.9}, {"101121", 5.0},
    {"101200", 7.2},  {"101201", 5.7},  {"101210", 5.7}, {"101211", 5.2}, {"101220", 5.2},
    {"101221", 2.5},  {"102001", 8.3},  {"102011", 7.0}, {"102021", 5.4}, {"102101", 6.5},
    {"102111", 5.8},  {"102121", 2.6},  {"102201", 5.3}, {"102211", 2.1}, {"102221", 1.3},
    {"110000", 9.5},  {"110001", 9.0},  {"110010", 8.8}, {"110011", 7.6}, {"110020", 7.6},
    {"110021", 7.0},  {"110100", 9.0},  {"110101", 7.7}, {"110110", 7.5}, {"110111", 6.2},
    {"110120", 6.1},  {"110121", 5.3},  {"110200", 7.7}, {"110201", 6.6}, {"110210", 6.8},
    {"110211", 5.9},  {"110220", 5.2},  {"110221", 3.0}, {"111000", 8.9}, {"111001", 7.8},
    {"111010", 7.6},  {"111011", 6.7},  {"111020", 6.2}, {"111021", 5.8}, {"111100", 7.4},
    {"111101", 5.9},  {"111110", 5.7},  {"111111", 5.7}, {"111120", 4.7}, {"111121", 2.3},
    {"111200", 6.1},  {"111201", 5.2},  {"111210", 5.7}, {"111211", 2.9}, {"111220", 2.4},
    {"111221", 1.6},  {"112001", 7.1},  {"112011", 5.9}, {"112021", 3.0}, {"112101", 5.8},
    {"112111", 2.6},  {"112121", 1.5},  {"112201", 2.3}, {"112211", 1.3}, {"112221", 0.6},
    {"200000", 9.3},  {"200001", 8.7},  {"200010", 8.6}, {"200011", 7.2}, {"200020", 7.5},
    {"200021", 5.8},  {"200100", 8.6},  {"200101", 7.4}, {"200110", 7.4}, {"200111", 6.1},
    {"200120", 5.6},  {"200121", 3.4},  {"200200", 7.0}, {"200201", 5.4}, {"200210", 5.2},
    {"200211", 4.0},  {"200220", 4.0},  {"200221", 2.2}, {"201000", 8.5}, {"201001", 7.5},
    {"201010", 7.4},  {"201011", 5.5},  {"201020", 6.2}, {"201021", 5.1}, {"201100", 7.2},
    {"201101", 5.7},  {"201110", 5.5},  {"201111", 4.1}, {"201120", 4.6}, {"201121", 1.9},
    {"201200", 5.3},  {"201201", 3.6},  {"201210", 3.4}, {"201211", 1.9}, {"201220", 1.9},
    {"201221", 0.8},  {"202001", 6.4},  {"202011", 5.1}, {"202021", 2.0}, {"202101", 4.7},
    {"202111", 2.1},  {"202121", 1.1},  {"202201", 2.4}, {"202211", 0.9}, {"202221", 0.4},
    {"210000", 8.8},  {"210001", 7.5},  {"210010", 7.3}, {"210011", 5.3}, {"210020", 6.0},
    {"210021", 5.0},  {"210100", 7.3},  {"210101", 5.5}, {"210110", 5.9}, {"210111", 4.0},
    {"210120", 4.1},  {"210121", 2.0},  {"210200", 5.4}, {"210201", 4.3}, {"210210", 4.5},
    {"210211", 2.2},  {"210220", 2.0},  {"210221", 1.1}, {"211000", 7.5}, {"211001", 5.5},
    {"211010", 5.8},  {"211011", 4.5},  {"211020", 4.0}, {"211021", 2.1}, {"211100", 6.1},
    {"211101", 5.1},  {"211110", 4.8},  {"211111", 1.8}, {"211120", 2.0}, {"211121", 0.9},
    {"211200", 4.6},  {"211201", 1.8},  {"211210", 1.7}, {"211211", 0.7}, {"211220", 0.8},
    {"211221", 0.2},  {"212001", 5.3},  {"212011", 2.4}, {"212021", 1.4}, {"212101", 2.4},
    {"212111", 1.2},  {"212121", 0.5},  {"212201", 1.0}, {"212211", 0.3}, {"212221", 0.1},
};

std::optional<double> MacroVectorScoreOf(const std::string& eqs) {
  for (const MacroVectorScore& entry : kMacroVectorScores) {
    if (entry.eqs == eqs) return entry.score;
  }
  return std::nullopt;
}

// The highest-severity vectors of each EQ level (reference calculator, max_composed.js). An EQ
// level may have several; empty entries are unused.
using MaxVectors = std::array<std::string_view, 5>;
constexpr std::array<MaxVectors, 3> kEq1Max = {{
    {"AV:N/PR:N/UI:N"},
    {"AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"},
    {"AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"},
}};
constexpr std::array<MaxVectors, 2> kEq2Max = {{
    {"AC:L/AT:N"},
    {"AC:H/AT:N", "AC:L/AT:P"},
}};
// EQ3 and EQ6 are scored jointly: indexed [eq3][eq6]; EQ3 level 2 exists only with EQ6 level 1.
constexpr std::array<std::array<MaxVectors, 2>, 3> kEq3Eq6Max = {{
    {{{"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"},
      {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"}}},
    {{{"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"},
      {"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
       "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
       "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"}}},
    {{{}, {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"}}},
}};
constexpr std::array<MaxVectors, 3> kEq4Max = {{
    {"SC:H/SI:S/SA:S"},
    {"SC:H/SI:H/SA:H"},
    {"SC:L/SI:L/SA:L"},
}};
constexpr std::array<MaxVectors, 3> kEq5Max = {{{"E:A"}, {"E:P"}, {"E:U"}}};

// Depth of each EQ level in severity steps (reference calculator, max_severity.js).
constexpr std::array<int, 3> kEq1Depth = {1, 4, 5};
constexpr std::array<int, 2> kEq2Depth = {1, 2};
constexpr std::array<std::array<int, 2>, 3> kEq3Eq6Depth = {{{7, 6}, {8, 8}, {0, 10}}};
constexpr std::array<int, 3> kEq4Depth = {6, 5, 4};

// Severity level of each value of the metrics that take part in the distance, in steps of 0.1
// (0.0 is the most severe). Kept as the reference calculator's decimal fractions so that the
// floating-point sums round exactly as its own do.
struct SeverityLevels {
  std::string_view metric;
  std::array<std::string_view, 4> values;
  std::array<double, 4> levels;
};
constexpr std::array<SeverityLevels, 15> kSeverityLevels = {{
    {"AV", {"N", "A", "L", "P"}, {0.0, 0.1, 0.2, 0.3}},
    {"PR", {"N", "L", "H"}, {0.0, 0.1, 0.2}},
    {"UI", {"N", "P", "A"}, {0.0, 0.1, 0.2}},
    {"AC", {"L", "H"}, {0.0, 0.1}},
    {"AT", {"N", "P"}, {0.0, 0.1}},
    {"VC", {"H", "L", "N"}, {0.0, 0.1, 0.2}},
    {"VI", {"H", "L", "N"}, {0.0, 0.1, 0.2}},
    {"VA", {"H", "L", "N"}, {0.0, 0.1, 0.2}},
    {"SC", {"H", "L", "N"}, {0.1, 0.2, 0.3}},
    {"SI", {"S", "H", "L", "N"}, {0.0, 0.1, 0.2, 0.3}},
    {"SA", {"S", "H", "L", "N"}, {0.0, 0.1, 0.2, 0.3}},
    {"CR", {"H", "M", "L"}, {0.0, 0.1, 0.2}},
    {"IR", {"H", "M", "L"}, {0.0, 0.1, 0.2}},
    {"AR", {"H", "M", "L"}, {0.0, 0.1, 0.2}},
    {"E", {"A", "P", "U"}, {0.0, 0.1, 0.2}},
}};

double SeverityLevel(const SeverityLevels& table, std::string_view value) {
  for (std::size_t i = 0; i < table.values.size(); ++i) {
    if (table.values[i] == value) return table.levels[i];
  }
  return 0;  // unreachable for parsed vectors and the constant max vectors
}

// The value of METRIC in a "NAME:VALUE/..." max vector.
std::string_view ValueIn(std::string_view vector, std::string_view metric) {
  while (!vector.empty()) {
    const std::size_t slash = vector.find('/');
    const std::string_view component = vector.substr(0, slash);
    const std::size_t colon = component.find(':');
    if (component.substr(0, colon) == metric) return component.substr(colon + 1);
    if (slash == std::string_view::npos) break;
    vector.remove_prefix(slash + 1);
  }
  return {};
}

}  // namespace

Result<Cvss4Vector> Cvss4Vector::Parse(std::string_view text) {
  if (text.size() > internal::kMaxVectorLength) {
    return Status::Invalid("CVSS v4.0 vector is longer than 256 characters");
  }
  if (!text.starts_with("CVSS:4.0/")) {
    return Status::Invalid("CVSS v4.0 vector must start with \"CVSS:4.0/\"");
  }
  text.remove_prefix(9);
  Cvss4Vector vector;
  VIGIL_RETURN_IF_ERROR(
      internal::ParseMetrics(text, kMetrics, "CVSS v4.0", /*ordered=*/true, vector.values_));
  return vector;
}

std::string_view Cvss4Vector::Value(std::string_view name) const {
  const int index = internal::FindMetric(kMetrics, name);
  return index < 0 ? std::string_view("X") : values_[index];
}

std::string_view Cvss4Vector::Effective(std::string_view name) const {
  const std::string_view value = Value(name);
  // Not Defined threat and security requirements assume the worst case (spec sections 4.1, 5.1).
  if (value == "X" && name == "E") return "A";
  if (value == "X" && (name == "CR" || name == "IR" || name == "AR")) return "H";
  const std::string_view modified = Value(std::string("M") + std::string(name));
  return modified == "X" ? value : modified;
}

std::string Cvss4Vector::MacroVector() const {
  auto v = [this](std::string_view name) { return Effective(name); };
  const std::string_view av = v("AV"), pr = v("PR"), ui = v("UI");
  int eq1 = 2;
  if (av == "N" && pr == "N" && ui == "N") {
    eq1 = 0;
  } else if ((av == "N" || pr == "N" || ui == "N") && av != "P") {
    eq1 = 1;
  }
  const int eq2 = v("AC") == "L" && v("AT") == "N" ? 0 : 1;
  const std::string_view vc = v("VC"), vi = v("VI"), va = v("VA");
  int eq3 = 2;
  if (vc == "H" && vi == "H") {
    eq3 = 0;
  } else if (vc == "H" || vi == "H" || va == "H") {
    eq3 = 1;
  }
  int eq4 = 2;
  if (Value("MSI") == "S" || Value("MSA") == "S") {
    eq4 = 0;
  } else if (v("SC") == "H" || v("SI") == "H" || v("SA") == "H") {
    eq4 = 1;
  }
  const std::string_view e = v("E");
  const int eq5 = e == "A" ? 0 : (e == "P" ? 1 : 2);
  const bool eq6_high = (v("CR") == "H" && vc == "H") || (v("IR") == "H" && vi == "H") ||
                        (v("AR") == "H" && va == "H");
  const int eq6 = eq6_high ? 0 : 1;
  std::string eqs;
  for (int level : {eq1, eq2, eq3, eq4, eq5, eq6}) eqs += static_cast<char>('0' + level);
  return eqs;
}

double Cvss4Vector::Score() const {
  // No impact on the vulnerable or subsequent system scores 0 (spec section 8.2).
  bool any_impact = false;
  for (std::string_view name : {"VC", "VI", "VA", "SC", "SI", "SA"}) {
    if (Effective(name) != "N") any_impact = true;
  }
  if (!any_impact) return 0.0;

  const std::string eqs = MacroVector();
  const int eq1 = eqs[0] - '0', eq2 = eqs[1] - '0', eq3 = eqs[2] - '0', eq4 = eqs[3] - '0',
            eq5 = eqs[4] - '0', eq6 = eqs[5] - '0';
  const double value = *MacroVectorScoreOf(eqs);  // every computable macrovector is listed

  // The score of the next lower macrovector along each EQ, when it exists.
  // The score of the macrovector one step lower in the EQs of STEP, when it exists.
  auto lower = [&eqs](std::array<int, 6> step) {
    std::string next = eqs;
    for (std::size_t i = 0; i < next.size(); ++i) next[i] = static_cast<char>(next[i] + step[i]);
    return MacroVectorScoreOf(next);
  };
  const std::optional<double> eq1_lower = lower({1, 0, 0, 0, 0, 0});
  const std::optional<double> eq2_lower = lower({0, 1, 0, 0, 0, 0});
  std::optional<double> eq3eq6_lower;
  if (eq3 == 0 && eq6 == 0) {
    // 00 can step down to 01 or 10: the higher of the two.
    const std::optional<double> left = lower({0, 0, 0, 0, 0, 1});
    const std::optional<double> right = lower({0, 0, 1, 0, 0, 0});
    if (left && right) eq3eq6_lower = std::max(*left, *right);
  } else if (eq3 == 1 && eq6 == 0) {
    eq3eq6_lower = lower({0, 0, 0, 0, 0, 1});  // 10 -> 11
  } else if (eq3 == 0 || eq3 == 1) {
    eq3eq6_lower = lower({0, 0, 1, 0, 0, 0});  // 01 -> 11, 11 -> 21
  }                                            // 21 is the lowest
  const std::optional<double> eq4_lower = lower({0, 0, 0, 1, 0, 0});
  const std::optional<double> eq5_lower = lower({0, 0, 0, 0, 1, 0});

  // The first highest-severity vector of this macrovector that is at least as severe as ours in
  // every metric; its distance to ours in each metric.
  std::array<double, kSeverityLevels.size()> distances{};
  bool found = false;
  for (std::string_view m1 : kEq1Max[eq1]) {
    for (std::string_view m2 : kEq2Max[eq2]) {
      for (std::string_view m36 : kEq3Eq6Max[eq3][eq6]) {
        for (std::string_view m4 : kEq4Max[eq4]) {
          for (std::string_view m5 : kEq5Max[eq5]) {
            if (found || m1.empty() || m2.empty() || m36.empty() || m4.empty() || m5.empty()) {
              continue;
            }
            const std::string max_vector = std::string(m1) + "/" + std::string(m2) + "/" +
                                           std::string(m36) + "/" + std::string(m4) + "/" +
                                           std::string(m5);
            bool all_non_negative = true;
            for (std::size_t i = 0; i < kSeverityLevels.size(); ++i) {
              const SeverityLevels& table = kSeverityLevels[i];
              distances[i] = SeverityLevel(table, Effective(table.metric)) -
                             SeverityLevel(table, ValueIn(max_vector, table.metric));
              if (distances[i] < 0) all_non_negative = false;
            }
            found = all_non_negative;
          }
        }
      }
    }
  }
  auto distance = [&](std::string_view metric) {
    for (std::size_t i = 0; i < kSeverityLevels.size(); ++i) {
      if (kSeverityLevels[i].metric == metric) return distances[i];
    }
    return 0.0;
  };

  constexpr double kStep = 0.1;
  const double eq1_distance = distance("AV") + distance("PR") + distance("UI");
  const double eq2_distance = distance("AC") + distance("AT");
  const double eq3eq6_distance = distance("VC") + distance("VI") + distance("VA") + distance("CR") +
                                 distance("IR") + distance("AR");
  const double eq4_distance = distance("SC") + distance("SI") + distance("SA");

  // Each EQ with a lower macrovector moves the score down by the share of the gap to it that our
  // distance covers of the EQ level's depth; EQ5 counts but never moves (its distance is 0).
  int existing_lower = 0;
  double sum = 0;
  auto add = [&](const std::optional<double>& lower_score, double current_distance, int depth) {
    if (!lower_score) return;
    ++existing_lower;
    if (depth == 0) return;
    sum += (value - *lower_score) * (current_distance / (depth * kStep));
  };
  add(eq1_lower, eq1_distance, kEq1Depth[eq1]);
  add(eq2_lower, eq2_distance, kEq2Depth[eq2]);
  add(eq3eq6_lower, eq3eq6_distance, kEq3Eq6Depth[eq3][eq6]);
  add(eq4_lower, eq4_distance, kEq4Depth[eq4]);
  add(eq5_lower, 0, 0);
  const double mean = existing_lower == 0 ? 0 : sum / existing_lower;
  const double score = std::clamp(value - mean, 0.0, 10.0);
  // Round half up to one decimal, after adding 1e-6 so that 4.45 computed as 4.4499999999 still
  // gives 4.5 (the November 2024 correction of the reference calculator).
  return std::floor((score + 1e-6) * 10 + 0.5) / 10;
}

std::string_view Cvss4Vector::Nomenclature() const {
  bool threat = values_[kFirstThreat] != "X";
  bool environmental = false;
  for (int i = kFirstEnvironmental; i < kFirstSupplemental; ++i) {
    if (values_[i] != "X") environmental = true;
  }
  if (threat && environmental) return "CVSS-BTE";
  if (threat) return "CVSS-BT";
  if (environmental) return "CVSS-BE";
  return "CVSS-B";
}

std::string Cvss4Vector::ToString() const {
  return internal::FormatMetrics("CVSS:4.0", kMetrics, values_);
}

}  // namespace vigil::advisory
