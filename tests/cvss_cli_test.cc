// `vigil cvss`: every published test vector through the real binary, byte for byte, and the exact
// errors for malformed vectors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"

namespace vigil::testing {
namespace {

const std::filesystem::path kCvssDir = std::filesystem::path(VIGIL_TESTDATA_DIR) / "cvss";

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The vectors of a test vector file: each line up to its " - ".
std::string VectorsOf(const std::string& lines) {
  std::string out;
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) out += line.substr(0, line.find(" - ")) + "\n";
  return out;
}

TEST(CvssCliTest, EveryTestVectorFileRoundTripsByteForByte) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kCvssDir)) {
    const std::string expected = ReadAll(entry.path());
    ASSERT_FALSE(expected.empty());
    // Some v4.0 files write the score bare ("VECTOR - 9.3"), the others as a tuple.
    const bool bare = expected.substr(0, expected.find('\n')).back() != ')';
    std::vector<std::string> args = {"cvss", "-"};
    if (bare) args.push_back("--bare");
    CommandResult r = RunVigil(args, VectorsOf(expected));
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(r.out == expected) << "output differs from " << entry.path();
    ++files;
  }
  EXPECT_EQ(files, 8);
}

TEST(CvssCliTest, VectorsOnTheCommandLineGetScoresAndSeverities) {
  CommandResult r = RunVigil({"cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                              "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H  base 9.8 (Critical)  temporal 9.8 "
            "(Critical)  environmental 9.8 (Critical)\n"
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N  CVSS-B 9.3 "
            "(Critical)\n");
}

TEST(CvssCliTest, MalformedVectorsGiveExactErrors) {
  struct Case {
    std::string vector, message;
  };
  const std::vector<Case> cases = {
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", "unknown CVSS v3 metric \"ZZ\""},
      {"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "duplicate CVSS v3 metric \"AV\""},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "missing CVSS v3 base metric \"A\""},
      {"CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
       "CVSS v4.0 metric \"AV\" must come before \"AC\""},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
       "missing CVSS v4.0 base metric \"SA\""},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/XX:Y",
       "unknown CVSS v4.0 metric \"XX\""},
      {"CVSS:2.0/AV:N", "unsupported CVSS vector \"CVSS:2.0/AV:N\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.vector);
    CommandResult one = RunVigil({"cvss", c.vector});
    EXPECT_EQ(one.exit_code, 2);
    EXPECT_EQ(one.out, "");
    EXPECT_EQ(one.err, "vigil: " + c.message + "\n");
    // Through stdin the line number is given, and the good lines around it are still scored.
    CommandResult piped =
        RunVigil({"cvss", "-"}, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n" + c.vector +
                                    "\n\nCVSS:3.0/AV:N/AC:L/PR:N/"
                                    "UI:N/S:U/C:H/I:H/A:H\n");
    EXPECT_EQ(piped.exit_code, 2);
    EXPECT_EQ(piped.err, "vigil: line 2: " + c.message + "\n");
    EXPECT_EQ(piped.out,
              "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H - (9.8, 9.8, 9.8)\n"
              "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H - (9.8, 9.8, 9.8)\n");
  }
  CommandResult long_line = RunVigil({"cvss", "-"}, std::string(10000, 'A') + "\n");
  EXPECT_EQ(long_line.exit_code, 2);
  EXPECT_EQ(long_line.err, "vigil: line 1 is longer than 4096 bytes\n");
}

}  // namespace
}  // namespace vigil::testing
