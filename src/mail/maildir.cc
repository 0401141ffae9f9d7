#include "mail/maildir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace vigil::mail {
namespace {

Status Fail(const std::string& dir, const std::string& what) {
  return Status::Unavailable("maildir " + dir + ": " + what + ": " + std::strerror(errno));
}

Status MakeDir(const std::string& dir, const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Fail(dir, "cannot create " + path);
  return Status::Ok();
}

Status SyncDir(const std::string& dir, const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Fail(dir, "cannot open " + path);
  const int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Fail(dir, "cannot flush " + path);
  return Status::Ok();
}

// A name unique across processes and deliveries: time, process and a counter, as the Maildir
// convention asks ("<seconds>.M<microseconds>P<pid>Q<counter>.<host>").
std::string UniqueName() {
  static std::atomic<unsigned long long> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const long long us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  for (char* c = host; *c; ++c) {
    if (*c == '/' || *c == ':') *c = '_';
  }
  return std::to_string(us / 1000000) + ".M" + std::to_string(us % 1000000) + "P" +
         std::to_string(getpid()) + "Q" + std::to_string(++counter) + "." + host;
}

}  // namespace

Status DeliverToMaildir(const std::string& dir, const std::string& mail_from,
                        const std::string& recipient, const std::string& data) {
  for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
    if (Status st = MakeDir(dir, dir + sub); !st.ok()) return st;
  }
  std::string text = "Return-Path: <" + mail_from + ">\nDelivered-To: " + recipient + "\n";
  text.reserve(text.size() + data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') continue;
    text += data[i];
  }
  const std::string name = UniqueName();
  const std::string tmp = dir + "/tmp/" + name;
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(dir, "cannot create " + tmp);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status st = Fail(dir, "cannot write " + tmp);
      close(fd);
      unlink(tmp.c_str());
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    Status st = Fail(dir, "cannot flush " + tmp);
    close(fd);
    unlink(tmp.c_str());
    return st;
  }
  close(fd);
  const std::string final_path = dir + "/new/" + name;
  if (rename(tmp.c_str(), final_path.c_str()) != 0) {
    Status st = Fail(dir, "cannot move the mail into new/");
    unlink(tmp.c_str());
    return st;
  }
  return SyncDir(dir, dir + "/new");
}

}  // namespace vigil::mail
