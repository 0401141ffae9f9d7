#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "advisory/cvss.h"
#include "advisory/cvss3.h"
#include "advisory/cvss4.h"

namespace vigil::advisory {
namespace {

const std::filesystem::path kCvssDir = std::filesystem::path(VIGIL_TESTDATA_DIR) / "cvss";

std::vector<std::filesystem::path> VectorFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kCvssDir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Splits "(9.3, 8.9, 9.5)", "(9.2,)" or "7.3" into its scores.
std::vector<std::string> ExpectedScores(std::string text) {
  std::vector<std::string> scores;
  if (text.starts_with("(")) text = text.substr(1, text.size() - 2);
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string score = text.substr(start, comma - start);
    score.erase(0, score.find_first_not_of(' '));
    if (!score.empty()) scores.push_back(score);
    start = comma + 1;
  }
  return scores;
}

// Every line of every file in testdata/cvss: each score exact, and the formatted line equal to
// the file's line byte for byte.
TEST(CvssVectorsTest, EveryVectorOfEveryFileScoresExactly) {
  const std::vector<std::filesystem::path> files = VectorFiles();
  ASSERT_FALSE(files.empty()) << kCvssDir;
  int total = 0;
  for (const std::filesystem::path& path : files) {
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::string line;
    int checked = 0;
    std::vector<std::string> failures;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      ++checked;
      const std::size_t dash = line.find(" - ");
      ASSERT_NE(dash, std::string::npos) << path << ": " << line;
      const std::string vector = line.substr(0, dash);
      const std::string expected_text = line.substr(dash + 3);
      const std::vector<std::string> expected = ExpectedScores(expected_text);
      std::vector<std::string> actual;
      if (vector.starts_with("CVSS:3.")) {
        Result<Cvss3Vector> parsed = Cvss3Vector::Parse(vector);
        ASSERT_TRUE(parsed.ok()) << line << ": " << parsed.status().message();
        const Cvss3Scores scores = parsed->Scores();
        actual = {FormatScore(scores.base), FormatScore(scores.temporal),
                  FormatScore(scores.environmental)};
      } else {
        Result<Cvss4Vector> parsed = Cvss4Vector::Parse(vector);
        ASSERT_TRUE(parsed.ok()) << line << ": " << parsed.status().message();
        actual = {FormatScore(parsed->Score())};
      }
      if (actual != expected) {
        std::string got;
        for (const std::string& score : actual) got += score + " ";
        failures.push_back(line + "  got " + got);
      }
      const ScoreLineStyle style =
          expected_text.starts_with("(") ? ScoreLineStyle::kTuple : ScoreLineStyle::kBare;
      Result<std::string> formatted = FormatScoreLine(vector, style);
      ASSERT_TRUE(formatted.ok()) << formatted.status().message();
      if (*formatted != line) failures.push_back("format: " + *formatted + " != " + line);
    }
    std::string shown;
    for (std::size_t i = 0; i < failures.size() && i < 20; ++i) shown += failures[i] + "\n";
    EXPECT_TRUE(failures.empty()) << path.filename() << ": " << failures.size() << " of " << checked
                                  << " lines wrong, first ones:\n"
                                  << shown;
    EXPECT_GT(checked, 0) << path;
    std::cout << path.filename().string() << ": " << checked << " vectors checked, "
              << failures.size() << " wrong\n";
    total += checked;
  }
  std::cout << "total: " << total << " vectors\n";
}

struct MalformedCase {
  std::string vector;
  std::string message;
};

TEST(Cvss3ParseTest, MalformedVectorsGiveExactErrors) {
  const std::vector<MalformedCase> cases = {
      {"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
       "CVSS v3 vector must start with \"CVSS:3.0/\" or \"CVSS:3.1/\""},
      {"CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
       "CVSS v3 vector must start with \"CVSS:3.0/\" or \"CVSS:3.1/\""},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y", "unknown CVSS v3 metric \"XX\""},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L", "duplicate CVSS v3 metric \"AV\""},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H", "missing CVSS v3 base metric \"S\""},
      {"CVSS:3.1/AC:L/PR:N/UI:N/S:U/C:H/I:H", "missing CVSS v3 base metric \"AV\""},
      {"CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
       "invalid value \"Q\" for CVSS v3 metric \"AV\""},
      {"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
       "invalid value \"X\" for CVSS v3 metric \"AV\""},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:",
       "invalid value \"\" for CVSS v3 metric \"E\""},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "empty metric in CVSS v3 vector"},
      {"CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "empty metric in CVSS v3 vector"},
      {"CVSS:3.1/AVN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS v3 metric \"AVN\" is not NAME:VALUE"},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/E:X", "duplicate CVSS v3 metric \"E\""},
      {"CVSS:3.1/" + std::string(250, 'A'), "CVSS v3 vector is longer than 256 characters"},
  };
  for (const MalformedCase& c : cases) {
    Result<Cvss3Vector> parsed = Cvss3Vector::Parse(c.vector);
    ASSERT_FALSE(parsed.ok()) << c.vector;
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument) << c.vector;
    EXPECT_EQ(parsed.status().message(), c.message) << c.vector;
  }
}

TEST(Cvss4ParseTest, MalformedVectorsGiveExactErrors) {
  const std::string base = "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
  const std::vector<MalformedCase> cases = {
      {base, "CVSS v4.0 vector must start with \"CVSS:4.0/\""},
      {"CVSS:4.1/" + base, "CVSS v4.0 vector must start with \"CVSS:4.0/\""},
      {"CVSS:4.0/" + base + "/XX:Y", "unknown CVSS v4.0 metric \"XX\""},
      {"CVSS:4.0/" + base + "/AV:L", "duplicate CVSS v4.0 metric \"AV\""},
      {"CVSS:4.0/" + base + "/E:A/E:P", "duplicate CVSS v4.0 metric \"E\""},
      {"CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
       "missing CVSS v4.0 base metric \"AT\""},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
       "missing CVSS v4.0 base metric \"SA\""},
      {"CVSS:4.0/AV:N/AT:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
       "CVSS v4.0 metric \"AC\" must come before \"AT\""},
      {"CVSS:4.0/" + base + "/CR:H/E:A", "CVSS v4.0 metric \"E\" must come before \"CR\""},
      {"CVSS:4.0/" + base + "/U:Red/S:N", "CVSS v4.0 metric \"S\" must come before \"U\""},
      {"CVSS:4.0/" + base + "/U:red", "invalid value \"red\" for CVSS v4.0 metric \"U\""},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
       "invalid value \"S\" for CVSS v4.0 metric \"SI\""},
      {"CVSS:4.0/" + base + "/MSC:S", "invalid value \"S\" for CVSS v4.0 metric \"MSC\""},
      {"CVSS:4.0/" + base + "/", "empty metric in CVSS v4.0 vector"},
      {"CVSS:4.0/" + base + "/E", "CVSS v4.0 metric \"E\" is not NAME:VALUE"},
      {"CVSS:4.0/" + base + std::string(250, 'A'),
       "CVSS v4.0 vector is longer than 256 characters"},
  };
  for (const MalformedCase& c : cases) {
    Result<Cvss4Vector> parsed = Cvss4Vector::Parse(c.vector);
    ASSERT_FALSE(parsed.ok()) << c.vector;
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument) << c.vector;
    EXPECT_EQ(parsed.status().message(), c.message) << c.vector;
  }
}

TEST(CvssFormatTest, FormatScoreLineRejectsUnknownVersions) {
  Result<std::string> line = FormatScoreLine("CVSS:2.0/AV:N");
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().message(), "unsupported CVSS vector \"CVSS:2.0/AV:N\"");
  line = FormatScoreLine("CVSS:3.9/AV:N");
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().message(),
            "CVSS v3 vector must start with \"CVSS:3.0/\" or \"CVSS:3.1/\"");
}

TEST(CvssFormatTest, FormatsBothStylesOfVersion4) {
  const std::string vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
  EXPECT_EQ(*FormatScoreLine(vector), vector + " - (9.3,)");
  EXPECT_EQ(*FormatScoreLine(vector, ScoreLineStyle::kBare), vector + " - 9.3");
}

TEST(CvssSeverityTest, RatingsFollowTheScale) {
  EXPECT_EQ(SeverityForScore(0.0), Severity::kNone);
  EXPECT_EQ(SeverityForScore(0.1), Severity::kLow);
  EXPECT_EQ(SeverityForScore(3.9), Severity::kLow);
  EXPECT_EQ(SeverityForScore(4.0), Severity::kMedium);
  EXPECT_EQ(SeverityForScore(6.9), Severity::kMedium);
  EXPECT_EQ(SeverityForScore(7.0), Severity::kHigh);
  EXPECT_EQ(SeverityForScore(8.9), Severity::kHigh);
  EXPECT_EQ(SeverityForScore(9.0), Severity::kCritical);
  EXPECT_EQ(SeverityForScore(10.0), Severity::kCritical);
  EXPECT_EQ(SeverityName(Severity::kCritical), "Critical");
  EXPECT_EQ(SeverityName(Severity::kNone), "None");
}

TEST(Cvss3VectorTest, CanonicalStringAndValues) {
  Result<Cvss3Vector> v =
      Cvss3Vector::Parse("CVSS:3.0/S:U/AV:N/AC:L/PR:H/UI:N/C:L/I:L/A:N/E:F/RL:X");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->version(), Cvss3Version::k30);
  EXPECT_EQ(v->ToString(), "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N/E:F");
  EXPECT_EQ(v->Value("E"), "F");
  EXPECT_EQ(v->Value("RL"), "X");
  EXPECT_EQ(v->Value("MAV"), "X");
  EXPECT_EQ(v->Value("nonsense"), "X");
}

TEST(Cvss4VectorTest, MacroVectorNomenclatureAndCanonicalString) {
  Result<Cvss4Vector> v = Cvss4Vector::Parse(
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/MSI:S/U:Red");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->MacroVector(), "000000");
  EXPECT_EQ(v->Nomenclature(), "CVSS-BE");
  EXPECT_EQ(v->ToString(),
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S/U:Red");
  EXPECT_EQ(FormatScore(v->Score()), "10.0");
  Result<Cvss4Vector> b =
      Cvss4Vector::Parse("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->Nomenclature(), "CVSS-BT");
  EXPECT_EQ(b->MacroVector(), "212221");
}

}  // namespace
}  // namespace vigil::advisory
