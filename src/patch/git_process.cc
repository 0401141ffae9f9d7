#include "patch/git_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

extern char** environ;

namespace vigil::patch {
namespace {

// Variables that would make git work on another repository, index or object store than the one
// it is asked to, or change what a command means.
bool IsRedirectingGitVariable(std::string_view entry) {
  static constexpr std::string_view kDropped[] = {
      "GIT_DIR=",
      "GIT_WORK_TREE=",
      "GIT_INDEX_FILE=",
      "GIT_OBJECT_DIRECTORY=",
      "GIT_ALTERNATE_OBJECT_DIRECTORIES=",
      "GIT_NAMESPACE=",
      "GIT_COMMON_DIR=",
      "GIT_PREFIX=",
      "GIT_QUARANTINE_PATH=",
      "GIT_CEILING_DIRECTORIES=",
      "GIT_DISCOVERY_ACROSS_FILESYSTEM=",
      "GIT_REPLACE_REF_BASE=",
      "GIT_NO_REPLACE_OBJECTS=",
      "GIT_GRAFT_FILE=",
      "GIT_SHALLOW_FILE=",
      "GIT_LITERAL_PATHSPECS=",
      "GIT_GLOB_PATHSPECS=",
      "GIT_NOGLOB_PATHSPECS=",
      "GIT_ICASE_PATHSPECS=",
      "GIT_EXTERNAL_DIFF=",
      "GIT_DIFF_OPTS=",
      "GIT_CONFIG_PARAMETERS=",
      "GIT_CONFIG_COUNT=",
      "GIT_CONFIG=",
      "LC_ALL=",
      "LANG=",
      "LANGUAGE=",
  };
  for (std::string_view d : kDropped) {
    if (entry.starts_with(d)) return true;
  }
  return false;
}

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) close(f);
  }
  bool Open() { return pipe2(fd, O_CLOEXEC) == 0; }
  int Take(int i) {
    int f = fd[i];
    fd[i] = -1;
    return f;
  }
};

Result<pid_t> Spawn(const std::string& repo, const std::vector<std::string>& args,
                    const GitEnv& env, int in_fd, int out_fd, int err_fd) {
  std::vector<std::string> argv_store = {"git", "-C", repo};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store = GitEnvironment(env);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Status::Unavailable(std::string("cannot run git: ") + std::strerror(rc));
  return pid;
}

// A git that exits before reading all its input must not kill this process with SIGPIPE:
// ignored once for the whole process (a per-call sigaction would race between threads).
void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });
}

int Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string GitOutput::FirstErrorLine() const {
  const std::string& text = err.empty() ? out : err;
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 300) line.resize(300);
  return line;
}

std::vector<std::string> GitEnvironment(const GitEnv& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    if (IsRedirectingGitVariable(entry)) continue;
    size_t eq = entry.find('=');
    if (eq != std::string_view::npos && extra.count(std::string(entry.substr(0, eq)))) continue;
    env.emplace_back(entry);
  }
  env.push_back("LC_ALL=C");
  env.push_back("GIT_TERMINAL_PROMPT=0");
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

Result<GitOutput> RunGit(const std::string& repo, const std::vector<std::string>& args,
                         std::string_view input, const GitEnv& env) {
  IgnoreSigpipe();
  Pipe in, out, err;
  if (!in.Open() || !out.Open() || !err.Open()) {
    return Status::Unavailable("cannot run git: cannot create pipes");
  }
  Result<pid_t> pid = Spawn(repo, args, env, in.fd[0], out.fd[1], err.fd[1]);
  if (!pid.ok()) return pid.status();
  close(in.Take(0));
  close(out.Take(1));
  close(err.Take(1));
  int to = in.Take(1), from_out = out.Take(0), from_err = err.Take(0);
  if (input.empty()) {
    close(to);
    to = -1;
  } else {
    fcntl(to, F_SETFL, O_NONBLOCK);
  }
  GitOutput result;
  size_t written = 0;
  bool too_much = false;
  char buf[65536];
  while (from_out >= 0 || from_err >= 0) {
    pollfd fds[3];
    int n = 0;
    int idx_to = -1, idx_out = -1, idx_err = -1;
    if (to >= 0) fds[idx_to = n++] = {to, POLLOUT, 0};
    if (from_out >= 0) fds[idx_out = n++] = {from_out, POLLIN, 0};
    if (from_err >= 0) fds[idx_err = n++] = {from_err, POLLIN, 0};
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (idx_to >= 0 && fds[idx_to].revents) {
      ssize_t w = write(to, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = input.size();
      if (written == input.size()) {
        close(to);
        to = -1;
      }
    }
    // Output past the limit is read and dropped, so that git is never blocked on a full pipe.
    auto drain = [&](int idx, int* fd, std::string* sink) {
      if (idx < 0 || !fds[idx].revents) return;
      ssize_t r = read(*fd, buf, sizeof buf);
      if (r > 0) {
        if (sink->size() + static_cast<size_t>(r) > kMaxGitOutputBytes) {
          too_much = true;
        } else {
          sink->append(buf, static_cast<size_t>(r));
        }
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(*fd);
        *fd = -1;
      }
    };
    drain(idx_out, &from_out, &result.out);
    drain(idx_err, &from_err, &result.err);
  }
  if (to >= 0) close(to);
  result.exit_code = Reap(*pid);
  if (too_much) return Status::Unavailable("git " + args.front() + ": output over 64 MiB");
  return result;
}

Result<std::string> GitOk(const std::string& repo, const std::vector<std::string>& args,
                          std::string_view input, const GitEnv& env) {
  Result<GitOutput> r = RunGit(repo, args, input, env);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return Status::Unavailable("git " + args.front() + ": " + r->FirstErrorLine());
  }
  return std::move(r->out);
}

Result<std::unique_ptr<CatFile>> CatFile::Start(const std::string& repo) {
  Pipe in, out;
  IgnoreSigpipe();
  if (!in.Open() || !out.Open()) return Status::Unavailable("cannot run git: cannot create pipes");
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  Result<pid_t> pid = Spawn(repo, {"cat-file", "--batch-command"}, {}, in.fd[0], out.fd[1],
                            devnull >= 0 ? devnull : 2);
  if (devnull >= 0) close(devnull);
  if (!pid.ok()) return pid.status();
  std::unique_ptr<CatFile> c(new CatFile());
  c->pid_ = *pid;
  c->to_git_ = in.Take(1);
  c->from_git_ = out.Take(0);
  return c;
}

CatFile::~CatFile() {
  if (to_git_ >= 0) close(to_git_);
  if (from_git_ >= 0) close(from_git_);
  if (pid_ > 0) Reap(pid_);
}

Status CatFile::ReadLine(std::string* line) {
  for (;;) {
    size_t nl = buffer_.find('\n', buffer_pos_);
    if (nl != std::string::npos) {
      line->assign(buffer_, buffer_pos_, nl - buffer_pos_);
      buffer_pos_ = nl + 1;
      return Status::Ok();
    }
    VIGIL_RETURN_IF_ERROR(Fill());
  }
}

Status CatFile::Fill() {
  if (buffer_pos_ > 0 && buffer_pos_ == buffer_.size()) {
    buffer_.clear();
    buffer_pos_ = 0;
  }
  char buf[65536];
  for (;;) {
    ssize_t r = read(from_git_, buf, sizeof buf);
    if (r > 0) {
      buffer_.append(buf, static_cast<size_t>(r));
      return Status::Ok();
    }
    if (r < 0 && errno == EINTR) continue;
    return Status::Unavailable("git cat-file stopped answering");
  }
}

// Moves N bytes from the buffer (reading from git as needed) to OUT.
Status CatFile::ReadExact(size_t n, std::string* out) {
  while (buffer_.size() - buffer_pos_ < n) VIGIL_RETURN_IF_ERROR(Fill());
  out->assign(buffer_, buffer_pos_, n);
  buffer_pos_ += n;
  return Status::Ok();
}

Result<std::optional<GitObject>> CatFile::Query(std::string_view command, std::string_view name,
                                                bool with_data) {
  if (name.empty() || name.find('\n') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return Status::Invalid("invalid object name");
  }
  // Without --buffer, git answers (and flushes) each command before reading the next.
  std::string request = std::string(command) + " " + std::string(name) + "\n";
  size_t done = 0;
  while (done < request.size()) {
    ssize_t w = write(to_git_, request.data() + done, request.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Status::Unavailable("git cat-file stopped answering");
    done += static_cast<size_t>(w);
  }
  std::string header;
  VIGIL_RETURN_IF_ERROR(ReadLine(&header));
  // "<oid> <type> <size>" or "<name> missing" / "<name> ambiguous".
  size_t s1 = header.find(' ');
  size_t s2 = s1 == std::string::npos ? s1 : header.find(' ', s1 + 1);
  if (s2 == std::string::npos || header.ends_with(" missing") || header.ends_with(" ambiguous")) {
    return std::optional<GitObject>();
  }
  GitObject obj;
  obj.oid = header.substr(0, s1);
  obj.type = header.substr(s1 + 1, s2 - s1 - 1);
  obj.size = std::stoull(header.substr(s2 + 1));
  if (with_data) {
    VIGIL_RETURN_IF_ERROR(ReadExact(obj.size, &obj.data));
    std::string nl;
    VIGIL_RETURN_IF_ERROR(ReadExact(1, &nl));
  }
  return std::optional<GitObject>(std::move(obj));
}

Result<std::optional<GitObject>> CatFile::Read(std::string_view name) {
  return Query("contents", name, true);
}

Result<std::optional<GitObject>> CatFile::Info(std::string_view name) {
  return Query("info", name, false);
}

}  // namespace vigil::patch
