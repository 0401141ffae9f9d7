#include "test_util.h"

#include <arpa/inet.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vigil::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/vigil-it-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

void ReadAll(int fd, std::string* out) {
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
}

}  // namespace

CommandResult Run(const std::vector<std::string>& argv, const std::string& stdin_text) {
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Feed stdin and drain both outputs without deadlock: stdin first (small), then outputs.
  if (!stdin_text.empty()) {
    (void)!write(in[1], stdin_text.data(), stdin_text.size());
  }
  close(in[1]);
  CommandResult r;
  std::string* sinks[] = {&r.out, &r.err};
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        sinks[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

CommandResult RunVigil(const std::vector<std::string>& args, const std::string& stdin_text) {
  std::vector<std::string> argv{VIGIL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, stdin_text);
}

std::string InitProject(const std::string& dir, const std::string& extra_config) {
  CommandResult r = RunVigil({"init", "--dir", dir, "--port", "0"});
  if (r.exit_code != 0) throw std::runtime_error("vigil init failed: " + r.err);
  EditConfig(dir, extra_config);
  std::ifstream creds(dir + "/data/initial-admin.txt");
  std::string line;
  while (std::getline(creds, line)) {
    if (line.starts_with("token=")) return line.substr(6);
  }
  throw std::runtime_error("no token in initial-admin.txt");
}

void EditConfig(const std::string& dir, const std::string& extra_config) {
  if (!extra_config.empty()) {
    // Each "key = value" line of EXTRA_CONFIG replaces the default file's line for that key
    // (keys are unique across the default file's sections).
    std::vector<std::string> lines;
    {
      std::ifstream in(dir + "/vigil.toml");
      for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
    std::istringstream extra(extra_config);
    for (std::string repl; std::getline(extra, repl);) {
      const std::string key = repl.substr(0, repl.find(" = ") + 3);
      bool replaced = false;
      for (std::string& line : lines) {
        if (line.starts_with(key)) line = repl, replaced = true;
      }
      if (!replaced) throw std::runtime_error("no config key for: " + repl);
    }
    std::ofstream out(dir + "/vigil.toml");
    for (const std::string& line : lines) out << line << "\n";
  }
}

ServerProcess::ServerProcess(const std::string& config, const std::string& log_path) {
  int out[2];
  if (pipe(out)) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    const int log = log_path.empty()
                        ? open("/dev/null", O_WRONLY)
                        : open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    dup2(log, 2);
    close(out[0]);
    close(out[1]);
    setenv("VIGIL_LOG_LEVEL", log_path.empty() ? "warn" : "info", 1);
    execl(VIGIL_BINARY, VIGIL_BINARY, "-c", config.c_str(), "serve", "--port", "0",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  out_fd_ = out[0];
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) continue;
    char buf[1024];
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    const std::string marker = "listening on http://127.0.0.1:";
    const size_t at = seen.find(marker);
    if (at != std::string::npos && seen.find('\n', at) != std::string::npos) {
      port_ = std::atoi(seen.c_str() + at + marker.size());
      startup_output_ = seen;
      break;
    }
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

int ServerProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (out_fd_ >= 0) close(out_fd_);
  out_fd_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

HttpResult HttpRaw(int port, const std::string& raw) {
  HttpResult r;
  const int fd = Connect(port);
  if (fd < 0) return r;
  size_t sent = 0;
  while (sent < raw.size()) {
    const ssize_t n = send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string in;
  ReadAll(fd, &in);
  close(fd);
  const size_t end = in.find("\r\n\r\n");
  if (in.size() < 12 || !in.starts_with("HTTP/1.1 ") || end == std::string::npos) return r;
  r.head = in.substr(0, end);
  r.body = in.substr(end + 4);
  // A complete response only: the body must be as long as Content-Length says.
  const size_t cl = r.head.find("Content-Length: ");
  if (cl != std::string::npos &&
      static_cast<size_t>(std::atol(r.head.c_str() + cl + 16)) != r.body.size()) {
    return HttpResult{};
  }
  r.status = std::atoi(in.c_str() + 9);
  return r;
}

HttpResult Http(int port, const std::string& method, const std::string& target,
                const std::string& body, const std::string& token,
                const std::string& extra_headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty()) {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += extra_headers + "\r\n" + body;
  return HttpRaw(port, req);
}

std::string JsonField(const std::string& json, const std::string& key) {
  const std::string marker = "\"" + key + "\":\"";
  const size_t at = json.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return json.substr(start, json.find('"', start) - start);
}

bool WaitUntil(const std::function<bool()>& done, int seconds) {
  // What is waited on is another process (a server, a mail delivery): it has nothing to block
  // on, so it is polled, first every millisecond, backing off to 50 ms, until the deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  auto pause = std::chrono::milliseconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace vigil::testing
