// Signed audit checkpoints: the part of the audit trail that needs no trust in the database.
// A hash chain proves that no event was edited or reordered, but a chain cut at its end still
// links. So Vigil signs the heads of the chains (Ed25519, a key in a 0600 file outside the
// database, `[audit] signing_key_file`) and appends them to a text log outside the database
// (`[audit] checkpoint_log`), one line per checkpoint, each line linked to the one before by its
// SHA-256. `vigil audit verify` replays the log and checks every chain against it
// (Store::VerifyAudit). The log is meant to be shipped off the machine as it grows.
//
// Line format (one checkpoint a line, append-only):
//   BODY \t SIGHEX \n
//   BODY   = {"v":1,"n":N,"time":"2026-12-06T20:15:03Z","cursor":C,"prev":"<hex>","reset":false,
//             "heads":[["chain",seq,"hash"],...]}   (compact JSON)
//   SIGHEX = hex of the Ed25519 detached signature over the bytes of BODY
// "prev" is the hex SHA-256 of the previous line (BODY, tab and SIGHEX, without the newline), 64
// zeros on line 1; N is the line number. "heads" names only the chains that gained events since
// the previous line's CURSOR (Store::ChainHeadsSince); a "reset":true line names every chain and
// replaces every line before it (written after `vigil restore`).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace vigil {

class AuditMailer;

/// Reads the Ed25519 secret key (libsodium's 64-byte crypto_sign form) at PATH, or creates it
/// when missing: created exclusively with mode 0600 and fsynced (file and folder) before use.
/// Errors, each naming PATH: kInvalidArgument "PATH: the audit key file must be readable by its
/// owner only (mode 0644); run chmod 600 PATH", "PATH: an audit key file holds exactly 64 bytes,
/// this one has N (restore it from the backup)", "PATH: not a regular file"; kUnavailable when
/// it cannot be read or made.
Result<std::string> LoadOrCreateAuditKey(const std::string& path);

/// The 32-byte public key of the secret key SECRET_KEY (64 bytes).
std::string AuditPublicKey(const std::string& secret_key);
/// PUBLIC_KEY (32 bytes) as 64 lower-case hex digits, the form people pin and pass around.
std::string AuditPublicKeyHex(const std::string& public_key);
/// The 32 bytes of a public key given as 64 hex digits. Error: kInvalidArgument
/// "--public-key: an Ed25519 public key is 64 hex digits".
Result<std::string> AuditPublicKeyFromHex(const std::string& hex);

/// What one AuditCheckpointLog::Write did.
struct CheckpointWrite {
  bool written = false;
  /// The number of the line written (or of the last line when nothing was written; 0: none).
  int64_t n = 0;
  /// How many chains the line names.
  size_t chains = 0;
};

/// The checkpoint log at a path, written by this process. Several processes (the server and
/// CLI commands) may write the same log: each write holds an exclusive flock on the file.
/// Thread-safe.
class AuditCheckpointLog {
 public:
  /// The heads of the chains that moved after a cursor: Store::ChainHeadsSince.
  using HeadsSince = std::function<Result<ChainHeadsDelta>(int64_t cursor)>;

  /// SECRET_KEY: 64 bytes (LoadOrCreateAuditKey). HEADS and CLOCK must outlive the log.
  AuditCheckpointLog(std::string path, std::string secret_key, HeadsSince heads,
                     const Clock& clock);
  ~AuditCheckpointLog();
  AuditCheckpointLog(const AuditCheckpointLog&) = delete;
  AuditCheckpointLog& operator=(const AuditCheckpointLog&) = delete;

  const std::string& path() const { return path_; }
  /// The public key that verifies this log's lines (ReplayAuditLog).
  std::string public_key() const { return AuditPublicKey(secret_key_); }

  /// Appends a checkpoint of the chains that moved since the last line's cursor, and makes it
  /// durable (fdatasync; the folder too when the file was created). Writes nothing when no chain
  /// moved, unless FORCE. A torn last line (no newline: its write was never acknowledged) is cut
  /// away first. Errors: kUnavailable on I/O; kInvalidArgument "PATH: not a regular file";
  /// kTooLarge "PATH: the last line is longer than 256 MiB"; kConflict "PATH: the last line is not
  /// a checkpoint (WHY); run `vigil audit verify`" and "PATH: the database has fewer events than
  /// checkpoint N covered (events deleted, or the database replaced); run `vigil audit verify`" — a
  /// log or database in that state gets no new checkpoint that would hide it.
  Result<CheckpointWrite> Write(bool force);
  /// Appends a "reset":true line naming every chain (after the database was restored from a
  /// backup: the chains may be shorter than the log says). Errors: as Write's, less kConflict
  /// for the database.
  Result<CheckpointWrite> WriteReset();

 private:
  Result<CheckpointWrite> Append(bool force, bool reset);

  const std::string path_;
  std::string secret_key_;
  const HeadsSince heads_;
  const Clock& clock_;
  std::mutex mu_;  // one write at a time within this process (the flock covers other processes)
};

/// Replays the log at PATH with PUBLIC_KEY (32 bytes): every line's signature, its link to the
/// line before and its number. Returns each chain's head from the latest line naming it (a
/// reset line forgets everything before it), with where = "checkpoint N of TIME". A final line
/// without a newline (a write never acknowledged) is ignored. Errors: kNotFound "no checkpoint
/// log at PATH"; kInvalidArgument "PATH line K: signature does not verify", "PATH line K: does
/// not link to line K-1", "PATH line K: numbered N", "PATH line K: not a checkpoint (WHY)";
/// kTooLarge "PATH line K: longer than 256 MiB"; kUnavailable when it cannot be read.
Result<CheckpointedHeads> ReplayAuditLog(const std::string& path, const std::string& public_key);

/// With `vigil serve`: writes a checkpoint (Write(false)) every period on a thread of its own, so
/// a checkpoint covers every committed write within that period.
class AuditCheckpointer {
 public:
  /// LOG must outlive the checkpointer. Nothing runs until Start().
  AuditCheckpointer(AuditCheckpointLog& log, std::chrono::milliseconds period);
  ~AuditCheckpointer();  // Stop()
  AuditCheckpointer(const AuditCheckpointer&) = delete;
  AuditCheckpointer& operator=(const AuditCheckpointer&) = delete;

  /// Also mails the new checkpoint lines with MAILER (which must outlive the checkpointer) at
  /// the end of a round, at most once every EVERY; the first round mails whatever is new. Call
  /// before Start().
  void MailWith(AuditMailer& mailer, std::chrono::milliseconds every);
  /// Starts the thread: a round every period until Stop().
  void Start();
  /// Wakes the thread and waits for it to end (a round in progress finishes).
  void Stop();
  /// Waits until more than AFTER rounds have run or DEADLINE passes; returns the rounds run.
  /// For tests: a round is one Write(false), whether it wrote or not, and the mailing if due.
  int64_t WaitForRounds(int64_t after, std::chrono::steady_clock::time_point deadline);

 private:
  void Loop();

  AuditCheckpointLog& log_;
  const std::chrono::milliseconds period_;
  AuditMailer* mailer_ = nullptr;           // set before Start()
  std::chrono::milliseconds mail_every_{};  // set before Start()
  std::mutex mu_;
  std::condition_variable wake_;       // Stop() -> the thread
  std::condition_variable rounds_cv_;  // the thread -> WaitForRounds()
  bool stopping_ = false;              // guarded by mu_
  int64_t rounds_ = 0;                 // guarded by mu_
  std::thread thread_;                 // runs Loop() from Start() to Stop()
};

}  // namespace vigil
