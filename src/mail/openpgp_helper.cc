#include "mail/openpgp_helper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

#include "mail/openpgp.h"

extern char** environ;

namespace vigil::mail {
namespace {

constexpr int kHelperSeconds = 60;

const char* HelperCode(Code c) {
  switch (c) {
    case Code::kTooLarge:
      return "too_large";
    case Code::kPermissionDenied:
      return "denied";
    case Code::kInvalidArgument:
      return "invalid";
    default:
      return "internal";
  }
}

Status FromChild(std::string_view err) {
  const size_t nl = err.find('\n');
  const std::string_view code = err.substr(0, nl);
  std::string message(nl == std::string_view::npos ? "" : err.substr(nl + 1));
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (code == "too_large") return Status::TooLarge(message);
  if (code == "denied") return Status::Denied(message);
  if (code == "invalid") return Status::Invalid(message);
  return Status::Internal(message.empty() ? "decryption helper failed" : message);
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

}  // namespace

Result<std::string> DecryptInChild(const std::string& program, std::string_view secret_key,
                                   std::string_view message, size_t max_bytes) {
  signal(SIGPIPE, SIG_IGN);
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) CloseFd(fd);
    return Status::Unavailable("decryption helper: cannot create pipes");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  // The library writes some parser errors to stderr itself: the child's answer comes on fd 3.
  posix_spawn_file_actions_adddup2(&actions, err[1], 3);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const std::string max = std::to_string(max_bytes);
  std::string command = kDecryptHelperCommand;
  char* argv[] = {const_cast<char*>(program.c_str()), command.data(),
                  const_cast<char*>(max.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  CloseFd(&in[0]);
  CloseFd(&out[1]);
  CloseFd(&err[1]);
  if (rc != 0) {
    for (int* fd : {&in[1], &out[0], &err[0]}) CloseFd(fd);
    return Status::Unavailable(std::string("decryption helper: cannot run ") + program + ": " +
                               std::strerror(rc));
  }
  const std::string input =
      std::to_string(secret_key.size()) + "\n" + std::string(secret_key) + std::string(message);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  std::string plain, errors;
  bool over = false, late = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kHelperSeconds);
  char buf[65536];
  while (out[0] >= 0 || err[0] >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      late = true;
      break;
    }
    pollfd fds[3];
    int n = 0, i_in = -1, i_out = -1, i_err = -1;
    if (in[1] >= 0) fds[i_in = n++] = {in[1], POLLOUT, 0};
    if (out[0] >= 0) fds[i_out = n++] = {out[0], POLLIN, 0};
    if (err[0] >= 0) fds[i_err = n++] = {err[0], POLLIN, 0};
    if (poll(fds, static_cast<nfds_t>(n), static_cast<int>(left)) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (i_in >= 0 && fds[i_in].revents) {
      const ssize_t w = write(in[1], input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) CloseFd(&in[1]);
    }
    auto drain = [&](int i, int* fd, std::string* sink, size_t limit) {
      if (i < 0 || !fds[i].revents) return;
      const ssize_t r = read(*fd, buf, sizeof buf);
      if (r > 0) {
        if (sink->size() + static_cast<size_t>(r) > limit) {
          over = true;
        } else {
          sink->append(buf, static_cast<size_t>(r));
        }
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        CloseFd(fd);
      }
    };
    drain(i_out, &out[0], &plain, max_bytes);
    drain(i_err, &err[0], &errors, 4096);
    if (over) break;
  }
  for (int* fd : {&in[1], &out[0], &err[0]}) CloseFd(fd);
  if (over || late) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (over) {
    return Status::TooLarge("decrypted message is larger than " + std::to_string(max_bytes) +
                            " bytes");
  }
  if (late) {
    return Status::Unavailable("decryption helper: no answer within " +
                               std::to_string(kHelperSeconds) + " seconds");
  }
  if (!WIFEXITED(status)) return Status::Unavailable("decryption helper: killed by a signal");
  if (WEXITSTATUS(status) == 0) return plain;
  if (WEXITSTATUS(status) == 65) return FromChild(errors);
  return Status::Unavailable("decryption helper: exit " + std::to_string(WEXITSTATUS(status)));
}

int DecryptHelperMain(const char* max_text) {
  auto fail = [](const Status& s) {
    const std::string answer = std::string(HelperCode(s.code())) + "\n" + s.message() + "\n";
    if (write(3, answer.data(), answer.size()) < 0) return 70;
    return 65;
  };
  char* end = nullptr;
  const unsigned long long max = std::strtoull(max_text, &end, 10);
  if (!end || *end != '\0' || max == 0) return fail(Status::Internal("bad cap"));
  std::string input((std::istreambuf_iterator<char>(std::cin)), {});
  const size_t nl = input.find('\n');
  if (nl == std::string::npos || nl > 12) return fail(Status::Internal("bad input"));
  const size_t key_size = std::strtoull(input.substr(0, nl).c_str(), nullptr, 10);
  if (key_size > input.size() - nl - 1) return fail(Status::Internal("bad input"));
  Result<ProjectKey> key = ProjectKey::Load(std::string_view(input).substr(nl + 1, key_size));
  if (!key.ok()) return fail(key.status());
  Result<std::string> plain =
      key->Decrypt(std::string_view(input).substr(nl + 1 + key_size), static_cast<size_t>(max));
  if (!plain.ok()) return fail(plain.status());
  std::cout.write(plain->data(), static_cast<std::streamsize>(plain->size()));
  std::cout.flush();
  return std::cout ? 0 : 74;
}

}  // namespace vigil::mail
