// Helpers for integration tests: temp dirs, running the vigil binary, a server process on port 0,
// and a minimal HTTP/1.1 client over loopback.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace vigil::testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out, err;
};

/// Runs the vigil binary with ARGS (no shell), feeding STDIN_TEXT.
CommandResult RunVigil(const std::vector<std::string>& args, const std::string& stdin_text = "");
/// Runs any program.
CommandResult Run(const std::vector<std::string>& argv, const std::string& stdin_text = "");

/// `vigil init` in DIR; each "key = value" line of EXTRA_CONFIG replaces that key's line in the
/// generated vigil.toml. Returns the first admin's API token.
std::string InitProject(const std::string& dir, const std::string& extra_config = "");
/// Replaces, in DIR's vigil.toml, each key's line by the "key = value" line of EXTRA_CONFIG
/// (keys are unique across the default file's sections); throws for a key the file lacks.
void EditConfig(const std::string& dir, const std::string& extra_config);

/// A `vigil serve` child process.
class ServerProcess {
 public:
  /// Starts `vigil -c CONFIG serve --port 0` and waits (up to 30 s) for its listening line.
  /// Its JSON log lines (stderr) go to LOG_PATH when given, else nowhere.
  explicit ServerProcess(const std::string& config, const std::string& log_path = "");
  ~ServerProcess();  // SIGKILLs the server if it still runs
  bool started() const { return port_ != 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // -1 once stopped
  /// What the server printed up to its HTTP listening line (e.g. the SMTP port line).
  const std::string& startup_output() const { return startup_output_; }
  /// Sends SIG and waits for the exit; returns the exit code (128 + signal if killed).
  int Stop(int sig);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
  std::string startup_output_;
};

struct HttpResult {
  int status = 0;  // 0 when the connection failed or closed before a complete response
  std::string body;
  std::string head;  // status line and headers
};

/// One request on a new connection ("Connection: close"). EXTRA_HEADERS are raw header lines.
HttpResult Http(int port, const std::string& method, const std::string& target,
                const std::string& body = "", const std::string& token = "",
                const std::string& extra_headers = "");
/// Sends RAW bytes and reads until the server closes (or 10 s pass).
HttpResult HttpRaw(int port, const std::string& raw);
/// Opens a TCP connection to loopback PORT; -1 on failure.
int Connect(int port);

/// Polls DONE every 50 ms until it is true or SECONDS passed; returns its last answer. For
/// states only observable from outside a process (a row a server writes), not a fixed sleep.
bool WaitUntil(const std::function<bool()>& done, int seconds = 30);

/// Extracts the string value of KEY from a flat JSON object text (test convenience).
std::string JsonField(const std::string& json, const std::string& key);

}  // namespace vigil::testing
