#include "service/git_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace vigil {
namespace {

constexpr size_t kMaxOutputBytes = 64u << 20;

}  // namespace

std::string GitOutput::FirstErrorLine() const {
  const std::string& text = err.empty() ? out : err;
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 300) line.resize(300);
  return line;
}

Result<GitOutput> RunGit(const std::string& repo, const std::vector<std::string>& args,
                         std::string_view input, const std::vector<std::string>& env) {
  std::vector<std::string> argv_s = {"git", "-C", repo};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("GIT_") || kv.starts_with("LC_ALL=")) continue;  // ours only
    env_s.emplace_back(kv);
  }
  env_s.push_back("GIT_TERMINAL_PROMPT=0");
  env_s.push_back("LC_ALL=C");
  for (const std::string& e : env) env_s.push_back(e);
  std::vector<char*> envp;
  for (std::string& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return Status::Unavailable("cannot run git: pipe failed");
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]), close(in_pipe[1]);
    return Status::Unavailable("cannot run git: pipe failed");
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]), close(in_pipe[1]), close(out_pipe[0]), close(out_pipe[1]);
    return Status::Unavailable("cannot run git: pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]), close(out_pipe[0]), close(err_pipe[0]);
    return Status::Unavailable(std::string("cannot run git: ") + std::strerror(rc));
  }
  // A git that exits early must not kill us with SIGPIPE while we write its stdin.
  signal(SIGPIPE, SIG_IGN);
  GitOutput result;
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  bool too_much = false;
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_fd) {
        const ssize_t w = write(in_fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = input.size();
        if (written == input.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      const ssize_t r = read(fds[i].fd, buf, sizeof buf);
      std::string& sink = fds[i].fd == out_fd ? result.out : result.err;
      if (r > 0) {
        if (sink.size() + static_cast<size_t>(r) > kMaxOutputBytes) {
          too_much = true;
        } else {
          sink.append(buf, static_cast<size_t>(r));
        }
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (fds[i].fd == out_fd) {
        close(out_fd);
        out_fd = -1;
      } else {
        close(err_fd);
        err_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (too_much) return Status::Unavailable("git " + args.front() + ": output over 64 MiB");
  return result;
}

Result<std::string> GitOk(const std::string& repo, const std::vector<std::string>& args,
                          std::string_view input, const std::vector<std::string>& env) {
  Result<GitOutput> r = RunGit(repo, args, input, env);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return Status::Unavailable("git " + args.front() + ": " + r->FirstErrorLine());
  }
  return std::move(r->out);
}

}  // namespace vigil
