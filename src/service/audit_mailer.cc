#include "service/audit_mailer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/log_line.h"
#include "service/audit_checkpoints.h"

namespace vigil {
namespace {

constexpr char kMailedCounter[] = "audit-mailed";
constexpr size_t kMaxLineBytes = size_t{256} << 20;

}  // namespace

Result<CheckpointLines> ReadCheckpointLines(const std::string& path, int64_t after,
                                            size_t max_bytes) {
  CheckpointLines out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return out;
  if (fd < 0) {
    return Status::Unavailable(path + ": cannot open the checkpoint log: " + std::strerror(errno));
  }
  std::string pending;
  std::vector<char> block(1 << 20);
  bool full = false;  // a line did not fit: collect no more
  Status status = Status::Ok();
  while (status.ok()) {
    const ssize_t got = ::read(fd, block.data(), block.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      status =
          Status::Unavailable(path + ": cannot read the checkpoint log: " + std::strerror(errno));
      break;
    }
    if (got == 0) break;  // a final line without its newline was never acknowledged
    pending.append(block.data(), static_cast<size_t>(got));
    size_t from = 0;
    for (size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', from)) {
      ++out.total;
      const size_t size = nl + 1 - from;
      if (out.total > after && !full) {
        if (out.text.empty() || out.text.size() + size <= max_bytes) {
          out.text.append(pending, from, size);
          if (out.first == 0) out.first = out.total;
          out.last = out.total;
        } else {
          full = true;
        }
      }
      from = nl + 1;
    }
    pending.erase(0, from);
    if (pending.size() > kMaxLineBytes) {
      status = Status::TooLarge(path + " line " + std::to_string(out.total + 1) +
                                ": longer than 256 MiB");
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  return out;
}

AuditMailer::AuditMailer(Store& store, const Clock& clock, std::string log_path,
                         std::string public_key, std::string to, std::string project)
    : store_(store),
      clock_(clock),
      log_path_(std::move(log_path)),
      public_key_hex_(AuditPublicKeyHex(public_key)),
      to_(std::move(to)),
      project_(std::move(project)) {}

std::string AuditMailer::Subject(const CheckpointLines& lines) const {
  const std::string range =
      lines.first == lines.last
          ? "checkpoint " + std::to_string(lines.first)
          : "checkpoints " + std::to_string(lines.first) + " to " + std::to_string(lines.last);
  return "Audit " + range + " of " + project_;
}

std::string AuditMailer::Body(const CheckpointLines& lines) const {
  const std::string first = std::to_string(lines.first), last = std::to_string(lines.last);
  return "These are lines " + first + " to " + last + " of the signed audit checkpoint log of " +
         project_ + " (" + log_path_ +
         " on the server). Each line signs the heads of the audit chains in Vigil's database and "
         "links to the line before it, so keep every mail of this series: a copy made from them "
         "shows a chain cut or rewritten on the server, even after the server's own log and key "
         "were replaced.\n"
         "\n"
         "Public key (Ed25519, hex): " +
         public_key_hex_ +
         "\n"
         "\n"
         "To check the project's database against your copy, append the lines between the "
         "markers of every mail, in order, to one file (lines 1 to " +
         last + " in all), and run\n" + "  vigil audit verify --checkpoint-log FILE --public-key " +
         public_key_hex_ + "\n\n-----BEGIN VIGIL AUDIT CHECKPOINTS " + first + " TO " + last +
         "-----\n" + lines.text + "-----END VIGIL AUDIT CHECKPOINTS " + first + " TO " + last +
         "-----\n";
}

Result<AuditMailing> AuditMailer::MailNew() {
  Result<int64_t> mailed = store_.Counter(kMailedCounter);
  VIGIL_RETURN_IF_ERROR(mailed.status());
  int64_t counter = *mailed;  // what the store holds
  int64_t after = counter;    // the last line mailed
  AuditMailing out;
  for (int i = 0; i < kMaxMailsPerCall; ++i) {
    Result<CheckpointLines> lines = ReadCheckpointLines(log_path_, after, kMaxLinesPerMail);
    VIGIL_RETURN_IF_ERROR(lines.status());
    if (lines->total < after) {
      // The log was moved away or started over: its lines are not the ones mailed.
      spdlog::warn("{}", LogLine("audit: the checkpoint log has fewer lines than were mailed; "
                                 "mailing it again from line 1",
                                 {{"log", log_path_}, {"lines", lines->total}, {"mailed", after}}));
      out.restarted = true;
      after = 0;
      continue;
    }
    if (lines->text.empty()) break;
    WriteBatch b;
    b.now = clock_.Now();
    OutboxMail m;
    m.recipient = to_;
    m.kind = "audit-checkpoints";
    m.subject = Subject(*lines);
    m.body = Body(*lines);
    m.created_at = b.now;
    b.outbox.push_back(std::move(m));
    b.counter = CounterUpdate{kMailedCounter, counter, lines->last};
    Result<WriteResult> w = store_.Write(std::move(b));
    VIGIL_RETURN_IF_ERROR(w.status());
    counter = after = lines->last;
    ++out.mails;
    if (out.first == 0) out.first = lines->first;
    out.last = lines->last;
    if (lines->last == lines->total) break;
  }
  return out;
}

}  // namespace vigil
