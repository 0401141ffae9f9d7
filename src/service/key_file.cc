#include "service/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace vigil {
namespace {

std::string Errno(const std::string& path, const std::string& what) {
  return path + ": cannot " + what + ": " + std::strerror(errno);
}

// Creates PATH with KEY: exclusively, 0600, fsynced with its folder. An error with errno EEXIST
// when another process made it first.
Status CreateKeyFile(const std::string& path, const std::string& key, const std::string& name) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable(Errno(path, "create the " + name));
  const bool written =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    errno = saved;
    return Status::Unavailable(Errno(path, "write the " + name));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    if (dfd >= 0) ::close(dfd);
    return Status::Unavailable(Errno(dir, "sync the folder of the " + name));
  }
  ::close(dfd);
  return Status::Ok();
}

}  // namespace

Result<std::string> LoadOrCreateKeyFile(const std::string& path, const KeyFileKind& kind) {
  const std::string name = kind.name;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      std::string key = kind.generate();
      Status made = CreateKeyFile(path, key, name);
      if (made.ok()) return key;
      if (errno == EEXIST) continue;  // made meanwhile by another process: read theirs
      return made;
    }
    if (fd < 0) return Status::Unavailable(Errno(path, "open the " + name));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return Status::Unavailable(Errno(path, "read the " + name));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return Status::Invalid(path + ": not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
      ::close(fd);
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return Status::Invalid(path + ": the " + name + " must be readable by its owner only (mode " +
                             mode + "); run chmod 600 " + path);
    }
    if (st.st_size != static_cast<off_t>(kind.bytes)) {
      ::close(fd);
      return Status::Invalid(path + ": " + kind.article + " " + name + " holds exactly " +
                             std::to_string(kind.bytes) + " bytes, this one has " +
                             std::to_string(st.st_size) + " (restore it from the backup)");
    }
    std::string key(kind.bytes, '\0');
    const ssize_t n = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(key.size())) {
      return Status::Unavailable(Errno(path, "read the " + name));
    }
    return key;
  }
  return Status::Unavailable(path + ": the " + name + " keeps appearing and disappearing");
}

}  // namespace vigil
