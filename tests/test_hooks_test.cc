// The release programs carry no test hook: the variables that stop the clock or kill a
// disclosure mid-step in `vigil-testing` (tests/support/testing_main.cc) mean nothing to them.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_util.h"

namespace vigil::testing {
namespace {

TEST(TestHooksTest, TheReleaseProgramsDoNotNameThem) {
  for (const char* program : {VIGIL_BINARY, VIGIL_FULL_BINARY}) {
    std::ifstream in(program, std::ios::binary);
    ASSERT_TRUE(in) << program;
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_GT(bytes.size(), 100000u) << program;
    EXPECT_EQ(bytes.find("VIGIL_TEST_"), std::string::npos) << program;
  }
}

TEST(TestHooksTest, TheReleaseProgramsIgnoreTheVariables) {
  TempDir dir;
  InitProject(dir.path());
  const std::string config = dir.path() + "/vigil.toml";
  for (const char* program : {VIGIL_BINARY, VIGIL_FULL_BINARY}) {
    // Under vigil-testing this report would be SEC-2001-...: the clock would stand in 2001.
    CommandResult r = vigil::testing::Run(
        {"env", "VIGIL_TEST_NOW=2001-02-03T04:05:06Z", "VIGIL_TEST_CRASH_AFTER_STEP=1", program,
         "-c", config, "report", "submit", "--subject", "Hooked", "--steps", "none"});
    ASSERT_EQ(r.exit_code, 0) << program << ": " << r.err;
    EXPECT_TRUE(r.out.starts_with("SEC-")) << program << ": " << r.out;
    EXPECT_FALSE(r.out.starts_with("SEC-2001-")) << program << ": " << r.out;
    EXPECT_EQ(r.err.find("VIGIL_TEST"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace vigil::testing
