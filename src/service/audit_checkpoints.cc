#include "service/audit_checkpoints.h"

#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/log_line.h"
#include "service/audit_mailer.h"
#include "service/credentials.h"
#include "service/key_file.h"
#include "store/audit_chain.h"

namespace vigil {
namespace {

namespace json = boost::json;

constexpr int64_t kMaxLineBytes = int64_t{256} << 20;
constexpr size_t kSignatureHex = 2 * crypto_sign_BYTES;

std::string Errno(const std::string& path, const char* what) {
  return path + ": cannot " + what + ": " + std::strerror(errno);
}

// One checkpoint line, parsed.
struct Checkpoint {
  int64_t n = 0;
  std::string time;
  int64_t cursor = 0;
  std::string prev;
  bool reset = false;
  std::vector<ChainHeadsDelta::Head> heads;
};

bool IsHex(std::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char ch : s) {
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  }
  return true;
}

// Splits LINE into its body and signature. Error: why it is not a checkpoint.
Result<std::pair<std::string_view, std::string_view>> SplitLine(std::string_view line) {
  const size_t tab = line.rfind('\t');
  if (tab == std::string_view::npos) return Status::Invalid("no signature");
  std::string_view sig = line.substr(tab + 1);
  if (!IsHex(sig, kSignatureHex)) return Status::Invalid("the signature is not 128 hex digits");
  return std::make_pair(line.substr(0, tab), sig);
}

// Parses BODY. Error: why it is not a checkpoint.
Result<Checkpoint> ParseBody(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return Status::Invalid("not a JSON object");
  const json::object& o = v.as_object();
  auto int_field = [&o](const char* key) -> std::optional<int64_t> {
    const json::value* f = o.if_contains(key);
    if (!f || !f->is_int64()) return std::nullopt;
    return f->as_int64();
  };
  auto string_field = [&o](const char* key) -> const json::string* {
    const json::value* f = o.if_contains(key);
    return f && f->is_string() ? &f->as_string() : nullptr;
  };
  Checkpoint c;
  if (int_field("v") != 1) return Status::Invalid("v is not 1");
  std::optional<int64_t> n = int_field("n"), cursor = int_field("cursor");
  if (!n || *n < 1) return Status::Invalid("n is not a positive integer");
  if (!cursor || *cursor < 0) return Status::Invalid("cursor is not an integer >= 0");
  const json::string* time = string_field("time");
  if (!time || !ParseUtc(*time).ok()) return Status::Invalid("time is not a UTC time");
  const json::string* prev = string_field("prev");
  if (!prev || !IsHex(*prev, 64)) return Status::Invalid("prev is not a SHA-256");
  const json::value* reset = o.if_contains("reset");
  if (!reset || !reset->is_bool()) return Status::Invalid("reset is not true or false");
  const json::value* heads = o.if_contains("heads");
  if (!heads || !heads->is_array()) return Status::Invalid("heads is not a list");
  c.n = *n;
  c.cursor = *cursor;
  c.time = std::string(*time);
  c.prev = std::string(*prev);
  c.reset = reset->as_bool();
  for (const json::value& h : heads->as_array()) {
    const json::array* a = h.if_array();
    if (!a || a->size() != 3 || !(*a)[0].is_string() || !(*a)[1].is_int64() ||
        (*a)[1].as_int64() < 1 || !(*a)[2].is_string() || !IsHex((*a)[2].as_string(), 64)) {
      return Status::Invalid("a head is not [chain, seq, hash]");
    }
    c.heads.push_back(
        {std::string((*a)[0].as_string()), (*a)[1].as_int64(), std::string((*a)[2].as_string())});
  }
  return c;
}

std::string Where(const Checkpoint& c) {
  return "checkpoint " + std::to_string(c.n) + " of " + c.time;
}

// The position of the last '\n' in FD before offset BEFORE, or -1 if there is none. Error:
// kTooLarge when more than a line's limit is scanned without finding one.
Result<int64_t> LastNewlineBefore(int fd, int64_t before, const std::string& path) {
  char block[64 << 10];
  int64_t end = before;
  while (end > 0) {
    if (before - end > kMaxLineBytes) {
      return Status::TooLarge(path + ": the last line is longer than 256 MiB");
    }
    const int64_t start = std::max<int64_t>(0, end - static_cast<int64_t>(sizeof block));
    const ssize_t got = ::pread(fd, block, static_cast<size_t>(end - start), start);
    if (got != end - start) return Status::Unavailable(Errno(path, "read the checkpoint log"));
    for (int64_t i = got - 1; i >= 0; --i) {
      if (block[i] == '\n') return start + i;
    }
    end = start;
  }
  return int64_t{-1};
}

Status SyncFolder(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    if (dfd >= 0) ::close(dfd);
    return Status::Unavailable(Errno(dir, "sync the folder of the checkpoint log"));
  }
  ::close(dfd);
  return Status::Ok();
}

// An open file descriptor, closed on destruction (which also releases its flock).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<std::string> LoadOrCreateAuditKey(const std::string& path) {
  InitCrypto();
  const KeyFileKind kind{"audit key file", "an", crypto_sign_SECRETKEYBYTES, [] {
                           unsigned char pk[crypto_sign_PUBLICKEYBYTES];
                           std::string sk(crypto_sign_SECRETKEYBYTES, '\0');
                           crypto_sign_keypair(pk, reinterpret_cast<unsigned char*>(sk.data()));
                           return sk;
                         }};
  return LoadOrCreateKeyFile(path, kind);
}

std::string AuditPublicKey(const std::string& secret_key) {
  std::string pk(crypto_sign_PUBLICKEYBYTES, '\0');
  crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(pk.data()),
                               reinterpret_cast<const unsigned char*>(secret_key.data()));
  return pk;
}

std::string AuditPublicKeyHex(const std::string& public_key) {
  std::string hex(2 * public_key.size() + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(public_key.data()),
                 public_key.size());
  hex.pop_back();
  return hex;
}

Result<std::string> AuditPublicKeyFromHex(const std::string& given) {
  std::string hex = given;
  for (char& ch : hex) {
    if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
  }
  std::string key(crypto_sign_PUBLICKEYBYTES, '\0');
  size_t size = 0;
  if (hex.size() != 2 * key.size() || !IsHex(hex, hex.size()) ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), hex.data(),
                     hex.size(), nullptr, &size, nullptr) != 0 ||
      size != key.size()) {
    return Status::Invalid("--public-key: an Ed25519 public key is 64 hex digits");
  }
  return key;
}

AuditCheckpointLog::AuditCheckpointLog(std::string path, std::string secret_key, HeadsSince heads,
                                       const Clock& clock)
    : path_(std::move(path)),
      secret_key_(std::move(secret_key)),
      heads_(std::move(heads)),
      clock_(clock) {
  InitCrypto();
}

AuditCheckpointLog::~AuditCheckpointLog() {
  sodium_memzero(secret_key_.data(), secret_key_.size());
}

Result<CheckpointWrite> AuditCheckpointLog::Write(bool force) { return Append(force, false); }

Result<CheckpointWrite> AuditCheckpointLog::WriteReset() { return Append(true, true); }

Result<CheckpointWrite> AuditCheckpointLog::Append(bool force, bool reset) {
  std::lock_guard<std::mutex> lock(mu_);
  bool created = true;
  int raw = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (raw < 0 && errno == EEXIST) {
    created = false;
    raw = ::open(path_.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  }
  if (raw < 0) return Status::Unavailable(Errno(path_, "open the checkpoint log"));
  Fd fd(raw);
  // The server and CLI commands may write the same log: one writer at a time.
  if (::flock(fd.get(), LOCK_EX) != 0) {
    return Status::Unavailable(Errno(path_, "lock the checkpoint log"));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return Status::Unavailable(Errno(path_, "read the checkpoint log"));
  if (!S_ISREG(st.st_mode)) return Status::Invalid(path_ + ": not a regular file");
  int64_t size = st.st_size;
  // A last line without its newline was never acknowledged (fdatasync comes after the whole
  // line): cut it away.
  Result<int64_t> last_newline = LastNewlineBefore(fd.get(), size, path_);
  VIGIL_RETURN_IF_ERROR(last_newline.status());
  if (*last_newline != size - 1) {
    size = *last_newline + 1;
    if (::ftruncate(fd.get(), size) != 0) {
      return Status::Unavailable(Errno(path_, "cut the torn last line of the checkpoint log"));
    }
  }
  Checkpoint last;
  std::string prev_hash(64, '0');
  if (size > 0) {
    Result<int64_t> start = LastNewlineBefore(fd.get(), size - 1, path_);
    VIGIL_RETURN_IF_ERROR(start.status());
    const int64_t from = *start + 1;
    std::string line(static_cast<size_t>(size - 1 - from), '\0');
    if (::pread(fd.get(), line.data(), line.size(), from) != static_cast<ssize_t>(line.size())) {
      return Status::Unavailable(Errno(path_, "read the checkpoint log"));
    }
    Result<std::pair<std::string_view, std::string_view>> parts = SplitLine(line);
    Result<Checkpoint> parsed =
        parts.ok() ? ParseBody(parts->first) : Result<Checkpoint>(parts.status());
    if (!parsed.ok()) {
      return Status::Conflict(path_ + ": the last line is not a checkpoint (" +
                              parsed.status().message() + "); run `vigil audit verify`");
    }
    last = std::move(parsed).value();
    prev_hash = Sha256Hex(line);
  }
  Result<ChainHeadsDelta> delta = heads_(reset ? 0 : last.cursor);
  VIGIL_RETURN_IF_ERROR(delta.status());
  if (!reset && delta->cursor < last.cursor) {
    // The events table ends before what the log covered: signing it now would bless the cut.
    return Status::Conflict(path_ + ": the database has fewer events than checkpoint " +
                            std::to_string(last.n) +
                            " covered (events deleted, or the database replaced); run `vigil "
                            "audit verify`");
  }
  CheckpointWrite out;
  out.n = last.n;
  if (delta->heads.empty() && !force) return out;

  json::object body;
  body["v"] = 1;
  body["n"] = last.n + 1;
  body["time"] = FormatUtc(clock_.Now());
  body["cursor"] = delta->cursor;
  body["prev"] = prev_hash;
  body["reset"] = reset;
  json::array heads;
  for (const ChainHeadsDelta::Head& h : delta->heads) {
    heads.push_back(json::array{json::string(h.chain), h.seq, json::string(h.hash)});
  }
  body["heads"] = std::move(heads);
  std::string text = json::serialize(body);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), reinterpret_cast<const unsigned char*>(secret_key_.data()));
  char hex[kSignatureHex + 1];
  sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
  text += '\t';
  text += hex;
  text += '\n';
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::pwrite(fd.get(), text.data() + done, text.size() - done,
                               size + static_cast<int64_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      (void)!::ftruncate(fd.get(), size);
      errno = saved;
      return Status::Unavailable(Errno(path_, "write the checkpoint log"));
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd.get()) != 0)
    return Status::Unavailable(Errno(path_, "sync the checkpoint log"));
  if (created) VIGIL_RETURN_IF_ERROR(SyncFolder(path_));
  out.written = true;
  out.n = last.n + 1;
  out.chains = delta->heads.size();
  return out;
}

Result<CheckpointedHeads> ReplayAuditLog(const std::string& path, const std::string& public_key) {
  InitCrypto();
  const int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0 && errno == ENOENT) return Status::NotFound("no checkpoint log at " + path);
  if (raw < 0) return Status::Unavailable(Errno(path, "open the checkpoint log"));
  Fd fd(raw);
  CheckpointedHeads heads;
  std::string prev_hash(64, '0');
  int64_t number = 0;
  auto line_error = [&path, &number](const std::string& what) {
    return Status::Invalid(path + " line " + std::to_string(number) + ": " + what);
  };
  auto replay = [&](std::string_view line) -> Status {
    ++number;
    Result<std::pair<std::string_view, std::string_view>> parts = SplitLine(line);
    if (!parts.ok()) return line_error("not a checkpoint (" + parts.status().message() + ")");
    const auto [body, sig_hex] = *parts;
    unsigned char sig[crypto_sign_BYTES];
    if (sodium_hex2bin(sig, sizeof sig, sig_hex.data(), sig_hex.size(), nullptr, nullptr,
                       nullptr) != 0 ||
        public_key.size() != crypto_sign_PUBLICKEYBYTES ||
        crypto_sign_verify_detached(
            sig, reinterpret_cast<const unsigned char*>(body.data()), body.size(),
            reinterpret_cast<const unsigned char*>(public_key.data())) != 0) {
      return line_error("signature does not verify");
    }
    Result<Checkpoint> c = ParseBody(body);
    if (!c.ok()) return line_error("not a checkpoint (" + c.status().message() + ")");
    if (c->prev != prev_hash) {
      return line_error(number == 1 ? "does not link to the start of the log"
                                    : "does not link to line " + std::to_string(number - 1));
    }
    if (c->n != number) return line_error("numbered " + std::to_string(c->n));
    prev_hash = Sha256Hex(line);
    if (c->reset) heads.clear();
    const std::string where = Where(*c);
    for (ChainHeadsDelta::Head& h : c->heads) {
      heads[h.chain] = CheckpointedHead{h.seq, std::move(h.hash), where};
    }
    return Status::Ok();
  };
  std::string pending;
  std::vector<char> block(1 << 20);
  while (true) {
    const ssize_t got = ::read(fd.get(), block.data(), block.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::Unavailable(Errno(path, "read the checkpoint log"));
    if (got == 0) break;  // a final line without its newline was never acknowledged
    pending.append(block.data(), static_cast<size_t>(got));
    size_t from = 0;
    for (size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', from)) {
      VIGIL_RETURN_IF_ERROR(replay(std::string_view(pending).substr(from, nl - from)));
      from = nl + 1;
    }
    pending.erase(0, from);
    if (static_cast<int64_t>(pending.size()) > kMaxLineBytes) {
      return Status::TooLarge(path + " line " + std::to_string(number + 1) +
                              ": longer than 256 MiB");
    }
  }
  return heads;
}

AuditCheckpointer::AuditCheckpointer(AuditCheckpointLog& log, std::chrono::milliseconds period)
    : log_(log), period_(period) {}

AuditCheckpointer::~AuditCheckpointer() { Stop(); }

void AuditCheckpointer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void AuditCheckpointer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t AuditCheckpointer::WaitForRounds(int64_t after,
                                         std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  rounds_cv_.wait_until(lock, deadline, [&] { return rounds_ > after; });
  return rounds_;
}

void AuditCheckpointer::MailWith(AuditMailer& mailer, std::chrono::milliseconds every) {
  mailer_ = &mailer;
  mail_every_ = every;
}

void AuditCheckpointer::Loop() {
  std::string last_error, last_mail_error;  // each logged once, not every round
  std::optional<std::chrono::steady_clock::time_point> last_mail;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Result<CheckpointWrite> w = log_.Write(false);
    if (!w.ok() && w.status().message() != last_error) {
      spdlog::warn("{}", LogLine("audit checkpoint failed", {{"error", w.status().message()}}));
    }
    last_error = w.ok() ? "" : w.status().message();
    const auto now = std::chrono::steady_clock::now();
    if (mailer_ && (!last_mail || now - *last_mail >= mail_every_)) {
      Result<AuditMailing> m = mailer_->MailNew();
      if (m.ok()) {
        last_mail = now;
        if (m->mails > 0) {
          spdlog::info("{}",
                       LogLine("audit checkpoints queued for mail",
                               {{"to", mailer_->to()}, {"first", m->first}, {"last", m->last}}));
        }
      } else if (m.status().message() != last_mail_error) {
        // Tried again next round (kAborted: another process mailed the same lines).
        spdlog::warn("{}", LogLine("audit checkpoint mail failed",
                                   {{"to", mailer_->to()}, {"error", m.status().message()}}));
      }
      last_mail_error = m.ok() ? "" : m.status().message();
    }
    lock.lock();
    ++rounds_;
    rounds_cv_.notify_all();
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

}  // namespace vigil
