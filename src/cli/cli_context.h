// CliContext: what every command of `vigil` shares: the runtime (configuration, services, clock)
// and the mapping from errors to exit codes and messages; and the command groups it registers.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "cli/exit_code.h"
#include "config/config.h"
#include "core/access.h"
#include "core/status.h"
#include "mail/openpgp.h"
#include "runtime/runtime.h"
#include "service/patch_service.h"
#include "service/report_service.h"

namespace CLI {
class App;
}

namespace vigil {

/// The disclosure services of the runtime, for the commands that use both.
struct DiscloseServices {
  AdvisoryService* advisories = nullptr;
  DisclosureService* disclosure = nullptr;
};

class CliContext {
 public:
  explicit CliContext(Runtime& rt) : runtime(rt) {}

  /// The program, assembled once in main (configuration path, store, clock, services).
  Runtime& runtime;
  bool json = false;
  int exit_code = kExitOk;

  /// The configuration (loaded once).
  Result<const Config*> LoadConfig() { return runtime.config(); }
  /// The report service on the project's store (opened once).
  Result<ReportService*> Service() { return runtime.reports(); }
  /// The patch workflow on the same store.
  Result<PatchService*> Patches() { return runtime.patches(); }
  /// The mail gateway's queues and keys on the same store.
  Result<MailAdminService*> MailAdmin() { return runtime.mail_admin(); }
  /// The advisory and disclosure services, or null after printing the error.
  DiscloseServices* Disclose();
  /// The local operator: every CLI action is audited as "cli:<who>", <who> being the account
  /// of `--as`, else of [project] operator, else the login name of whoever ran the command.
  Principal Operator() const;
  /// Checks the account `--as` (AS_ACCOUNT) or [project] operator names, once the command line
  /// is parsed: it must be an active account. Prints the error and returns false otherwise.
  /// COMMAND: the subcommand's name; commands that never act on reports or must run whatever
  /// the accounts are (init, backup, restore, cvss, serve, ingest, user, token, audit, key)
  /// skip the configured operator (an explicit --as is always checked).
  bool ResolveOperator(const std::string& command);
  /// True when Operator() is an account (`--as` or [project] operator), not a login name.
  bool OperatorIsAccount() const { return !operator_.empty(); }
  std::string as_account;  // --as
  /// Prints "vigil: <message>" to stderr and sets the exit code for S. Returns false if S failed.
  bool Check(const Status& s);
  void Print(const std::string& text) { std::fputs(text.c_str(), stdout); }

 private:
  DiscloseServices disclose_;
  std::string operator_;  // the account resolved by ResolveOperator; empty = the login name
};

/// VALUE itself, or standard input when VALUE is "-". Error: kTooLarge "input is larger than
/// LIMIT bytes".
Result<std::string> TextArgument(const std::string& value, size_t limit);

// Command groups, one file each.
void AddServerCommands(CLI::App& app, CliContext& ctx);    // init, serve
void AddReportCommands(CLI::App& app, CliContext& ctx);    // report ...
void AddAccountCommands(CLI::App& app, CliContext& ctx);   // user ..., token ...
void AddBackupCommands(CLI::App& app, CliContext& ctx);    // audit verify, backup, restore
void AddCvssCommands(CLI::App& app, CliContext& ctx);      // cvss
void AddAdvisoryCommands(CLI::App& app, CliContext& ctx);  // advisory ...
void AddDiscloseCommands(CLI::App& app, CliContext& ctx);  // plan ..., disclose, public ...
void AddMailCommands(CLI::App& app, CliContext& ctx);      // ingest, mail ..., key export
void AddPatchCommands(CLI::App& app, CliContext& ctx);     // patch ...

// The mail gateway (cli/mail_commands.cc).
/// Reads the project's OpenPGP key from the data folder.
Result<mail::ProjectKey> LoadProjectKey(const Config& config);
/// Creates the project's key pair in the data folder unless it exists (`vigil init`).
Status CreateProjectKey(const Config& config);
/// The running mail gateway of `vigil serve`; stops everything when destroyed.
struct MailRuntime;
/// Starts the listener, processor and sender on RUNTIME's services when [mail] is enabled in
/// CONFIG (else does nothing).
Result<std::shared_ptr<MailRuntime>> StartMail(Runtime& runtime, const Config& config);

}  // namespace vigil
