#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"
#include "cli/command_table.h"

namespace vigil {

int RunVigil(int argc, char** argv, RuntimeHooks hooks) {
  CLI::App app{std::string(kProgramDescription)};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  Runtime runtime(std::move(hooks));
  CliContext ctx(runtime);
  if (const char* env = std::getenv("VIGIL_CONFIG"); env && *env) ctx.runtime.config_path = env;
  app.add_option("-c,--config", ctx.runtime.config_path,
                 "Configuration file (default ./vigil.toml, or $VIGIL_CONFIG)");
  app.add_option("--as", ctx.as_account,
                 "Attribute this command's actions to ACCOUNT (an account's email; default "
                 "[project] operator, else your login name)");
  // Before any command runs: the account it acts as must exist (a typo is refused, not
  // written into the audit trail).
  app.parse_complete_callback([&app, &ctx] {
    const std::vector<CLI::App*> used = app.get_subcommands();
    if (!ctx.ResolveOperator(used.empty() ? "" : used.front()->get_name())) {
      throw CLI::RuntimeError(ctx.exit_code);
    }
  });
  AddServerCommands(app, ctx);
  AddReportCommands(app, ctx);
  AddAccountCommands(app, ctx);
  AddBackupCommands(app, ctx);
  AddCvssCommands(app, ctx);
  AddAdvisoryCommands(app, ctx);
  AddDiscloseCommands(app, ctx);
  AddMailCommands(app, ctx);
  AddPatchCommands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // refused before the command ran; the message is printed
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return ctx.exit_code;
}

}  // namespace vigil
