// The command table (src/cli/command_table.h) is what both programs' parsers are built from:
// every entry answers `--help` with its description through the front and through `vigil-full`,
// `vigil --help` lists exactly the table's top-level commands, and the front runs exactly the
// entries marked kFront.
#include "cli/command_table.h"

#include <gtest/gtest.h>

#include <sstream>

#include "test_util.h"

namespace vigil::testing {
namespace {

std::vector<std::string> Words(std::string_view path) {
  std::vector<std::string> out;
  std::istringstream in{std::string(path)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

TEST(CommandTableTest, EveryEntryAnswersHelpWithItsDescriptionInBothPrograms) {
  for (const char* program : {VIGIL_BINARY, VIGIL_FULL_BINARY}) {
    for (const CommandSpec& c : CommandTable()) {
      std::vector<std::string> argv = {program};
      for (const std::string& w : Words(c.path)) argv.push_back(w);
      argv.push_back("--help");
      CommandResult r = vigil::testing::Run(argv);
      EXPECT_EQ(r.exit_code, 0) << program << " " << c.path << ": " << r.err;
      EXPECT_EQ(r.out.substr(0, r.out.find('\n')), c.description) << program << " " << c.path;
    }
  }
}

TEST(CommandTableTest, HelpListsExactlyTheTopLevelCommandsOfTheTable) {
  CommandResult r = vigil::testing::Run({VIGIL_BINARY, "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), kProgramDescription);
  const size_t at = r.out.find("Subcommands:");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::vector<std::string> listed;
  std::istringstream lines(r.out.substr(at));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name;
    if (words >> name) listed.push_back(name);
  }
  std::vector<std::string> table;  // in the table's order
  for (const CommandSpec& c : CommandTable()) {
    if (c.path.find(' ') == std::string_view::npos) table.push_back(std::string(c.path));
  }
  EXPECT_EQ(listed, table);
}

TEST(CommandTableTest, TheFrontRunsExactlyTheFrontEntries) {
  const char* inspect[] = {"vigil", "patch", "inspect", "x.patch"};
  const char* submit[] = {"vigil", "patch", "submit"};
  const char* report[] = {"vigil", "report", "list"};
  const char* bare[] = {"vigil", "patch"};
  EXPECT_EQ(RunnerOf(4, inspect), Runner::kFront);
  EXPECT_EQ(RunnerOf(3, submit), Runner::kFull);
  EXPECT_EQ(RunnerOf(3, report), Runner::kFull);
  EXPECT_EQ(RunnerOf(2, bare), Runner::kFull);
  for (const CommandSpec& c : CommandTable()) {
    if (c.runner != Runner::kFront) continue;
    std::vector<std::string> w = Words(c.path);
    ASSERT_EQ(w.size(), 2u) << c.path;
    const char* argv[] = {"vigil", w[0].c_str(), w[1].c_str()};
    EXPECT_EQ(RunnerOf(3, argv), Runner::kFront) << c.path;
  }
}

}  // namespace
}  // namespace vigil::testing
