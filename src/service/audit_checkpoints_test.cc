// Signed audit checkpoints: the key file, the log's writer and its replay (threat: a chain cut
// at its end, which still links).
#include "service/audit_checkpoints.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/temp_dir.h"

namespace vigil {
namespace {

// A store's events as ChainHeadsSince sees them: rowids grow, a deleted tail lowers the top.
class FakeEvents {
 public:
  void Add(const std::string& chain) {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t seq = ++lengths_[chain];
    events_.push_back({chain, seq, std::string(64, static_cast<char>('a' + events_.size() % 6))});
  }
  void DropLast() {
    std::lock_guard<std::mutex> lock(mu_);
    --lengths_[events_.back().chain];
    events_.pop_back();
  }
  Result<ChainHeadsDelta> Since(int64_t cursor) {
    std::lock_guard<std::mutex> lock(mu_);
    ChainHeadsDelta out;
    if (static_cast<int64_t>(events_.size()) < cursor) cursor = 0;
    out.cursor = cursor;
    std::map<std::string, ChainHeadsDelta::Head> heads;
    for (size_t i = static_cast<size_t>(cursor); i < events_.size(); ++i) {
      heads[events_[i].chain] = events_[i];
      out.cursor = static_cast<int64_t>(i + 1);
    }
    for (auto& [name, head] : heads) out.heads.push_back(head);
    return out;
  }
  AuditCheckpointLog::HeadsSince Source() {
    return [this](int64_t cursor) { return Since(cursor); };
  }

 private:
  std::mutex mu_;
  std::vector<ChainHeadsDelta::Head> events_;
  std::map<std::string, int64_t> lengths_;
};

const Instant kStart = 1796588103 * kMicrosPerSecond;  // 2026-12-06T20:15:03Z

class AuditCheckpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    path_ = dir_.path() + "/audit-checkpoints.log";
    Result<std::string> key = LoadOrCreateAuditKey(dir_.path() + "/audit.key");
    ASSERT_TRUE(key.ok()) << key.status().message();
    key_ = *key;
  }
  std::unique_ptr<AuditCheckpointLog> Log() {
    return std::make_unique<AuditCheckpointLog>(path_, key_, events_.Source(), clock_);
  }
  Result<CheckpointedHeads> Replay() { return ReplayAuditLog(path_, AuditPublicKey(key_)); }
  std::vector<std::string> Lines() {
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  void WriteLines(const std::vector<std::string>& lines) {
    std::ofstream out(path_, std::ios::trunc);
    for (const std::string& line : lines) out << line << "\n";
  }
  std::string Contents() {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  testing::TempDir dir_;
  std::string path_, key_;
  FakeEvents events_;
  FakeClock clock_{kStart};
};

TEST_F(AuditCheckpointsTest, KeyFileIsMadeOnceWithMode0600AndRefusedWhenWrong) {
  const std::string path = dir_.path() + "/audit.key";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 64);
  Result<std::string> again = LoadOrCreateAuditKey(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, key_);
  EXPECT_EQ(AuditPublicKey(key_).size(), 32u);

  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(LoadOrCreateAuditKey(path).status().message(),
            path +
                ": the audit key file must be readable by its owner only (mode 0644); run "
                "chmod 600 " +
                path);
  ::chmod(path.c_str(), 0600);
  std::ofstream(path, std::ios::app) << "x";
  EXPECT_EQ(LoadOrCreateAuditKey(path).status().message(),
            path +
                ": an audit key file holds exactly 64 bytes, this one has 65 (restore it from "
                "the backup)");
  const std::string folder = dir_.path() + "/folder.key";
  std::filesystem::create_directory(folder);
  EXPECT_EQ(LoadOrCreateAuditKey(folder).status().message(), folder + ": not a regular file");
}

TEST_F(AuditCheckpointsTest, WritesOnlyWhatMovedAndReplaysTheLatestHeads) {
  events_.Add("-");
  events_.Add("SEC-2026-0001");
  events_.Add("SEC-2026-0001");
  auto log = Log();
  Result<CheckpointWrite> first = log->Write(false);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(first->written);
  EXPECT_EQ(first->n, 1);
  EXPECT_EQ(first->chains, 2u);
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  const std::string body = lines[0].substr(0, lines[0].find('\t'));
  EXPECT_EQ(body, "{\"v\":1,\"n\":1,\"time\":\"2026-12-06T20:15:03Z\",\"cursor\":3,\"prev\":\"" +
                      std::string(64, '0') + "\",\"reset\":false,\"heads\":[[\"-\",1,\"" +
                      std::string(64, 'a') + "\"],[\"SEC-2026-0001\",2,\"" + std::string(64, 'c') +
                      "\"]]}");
  EXPECT_EQ(lines[0].size(), body.size() + 1 + 128);

  // Nothing moved: nothing written, unless forced.
  Result<CheckpointWrite> idle = log->Write(false);
  ASSERT_TRUE(idle.ok());
  EXPECT_FALSE(idle->written);
  EXPECT_EQ(idle->n, 1);
  EXPECT_EQ(Lines().size(), 1u);
  clock_.Advance(kMicrosPerSecond);
  Result<CheckpointWrite> forced = log->Write(true);
  ASSERT_TRUE(forced.ok());
  EXPECT_TRUE(forced->written);
  EXPECT_EQ(forced->n, 2);
  EXPECT_EQ(forced->chains, 0u);

  // Only the chain that moved is in the next line; the replay keeps the others' heads.
  events_.Add("SEC-2026-0001");
  clock_.Advance(kMicrosPerSecond);
  Result<CheckpointWrite> third = log->Write(false);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->chains, 1u);
  lines = Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[2].find("\"cursor\":4,"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("\"heads\":[[\"SEC-2026-0001\",3,"), std::string::npos) << lines[2];

  Result<CheckpointedHeads> heads = Replay();
  ASSERT_TRUE(heads.ok()) << heads.status().message();
  ASSERT_EQ(heads->size(), 2u);
  EXPECT_EQ(heads->at("-").seq, 1);
  EXPECT_EQ(heads->at("-").where, "checkpoint 1 of 2026-12-06T20:15:03Z");
  EXPECT_EQ(heads->at("SEC-2026-0001").seq, 3);
  EXPECT_EQ(heads->at("SEC-2026-0001").hash, std::string(64, 'd'));
  EXPECT_EQ(heads->at("SEC-2026-0001").where, "checkpoint 3 of 2026-12-06T20:15:05Z");
}

TEST_F(AuditCheckpointsTest, ATornLastLineIsCutAwayByTheNextWriteAndIgnoredByTheReplay) {
  events_.Add("-");
  ASSERT_TRUE(Log()->Write(false).ok());
  const std::string whole = Contents();
  std::ofstream(path_, std::ios::app) << "{\"v\":1,\"n\":2,\"ti";  // a crash mid-write
  Result<CheckpointedHeads> torn = Replay();
  ASSERT_TRUE(torn.ok()) << torn.status().message();
  EXPECT_EQ(torn->at("-").seq, 1);

  events_.Add("-");
  Result<CheckpointWrite> w = Log()->Write(false);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->n, 2);
  EXPECT_TRUE(Contents().starts_with(whole + "{\"v\":1,\"n\":2,\"time\""));
  Result<CheckpointedHeads> heads = Replay();
  ASSERT_TRUE(heads.ok()) << heads.status().message();
  EXPECT_EQ(heads->at("-").seq, 2);
}

TEST_F(AuditCheckpointsTest, TamperedLogsAreNamedByLine) {
  auto log = Log();
  for (int i = 0; i < 4; ++i) {
    events_.Add(i % 2 ? "-" : "SEC-2026-0001");
    ASSERT_TRUE(log->Write(false).ok());
  }
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 4u);
  ASSERT_TRUE(Replay().ok());

  std::vector<std::string> edited = lines;
  edited[2].replace(edited[2].find("\"n\":3"), 5, "\"n\":9");
  WriteLines(edited);
  EXPECT_EQ(Replay().status().message(), path_ + " line 3: signature does not verify");

  WriteLines({lines[0], lines[1], lines[3]});
  EXPECT_EQ(Replay().status().message(), path_ + " line 3: does not link to line 2");
  WriteLines({lines[1], lines[2], lines[3]});
  EXPECT_EQ(Replay().status().message(), path_ + " line 1: does not link to the start of the log");

  WriteLines({lines[0], "hello", lines[2]});
  EXPECT_EQ(Replay().status().message(), path_ + " line 2: not a checkpoint (no signature)");
  WriteLines({lines[0], "hello\tabc"});
  EXPECT_EQ(Replay().status().message(),
            path_ + " line 2: not a checkpoint (the signature is not 128 hex digits)");

  // Signed by another key.
  WriteLines(lines);
  Result<std::string> other = LoadOrCreateAuditKey(dir_.path() + "/other.key");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(ReplayAuditLog(path_, AuditPublicKey(*other)).status().message(),
            path_ + " line 1: signature does not verify");

  // A writer refuses to extend a log whose last line is not a checkpoint.
  WriteLines({lines[0], "hello"});
  EXPECT_EQ(log->Write(true).status().message(),
            path_ + ": the last line is not a checkpoint (no signature); run `vigil audit verify`");

  std::filesystem::remove(path_);
  Result<CheckpointedHeads> missing = Replay();
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "no checkpoint log at " + path_);
}

// BODY signed with KEY, as a line of the log.
std::string SignedLine(const std::string& body, const std::string& key) {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(body.data()),
                       body.size(), reinterpret_cast<const unsigned char*>(key.data()));
  char hex[2 * crypto_sign_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
  return body + "\t" + hex;
}

TEST_F(AuditCheckpointsTest, WellSignedLinesThatAreNotCheckpointsAreNamed) {
  const std::string zeros(64, '0');
  const std::string good =
      "{\"v\":1,\"n\":1,\"time\":\"2026-12-06T20:15:03Z\",\"cursor\":1,\"prev\":\"" + zeros +
      "\",\"reset\":false,\"heads\":[]}";
  WriteLines({SignedLine(good, key_)});
  ASSERT_TRUE(Replay().ok()) << Replay().status().message();
  auto named = [&](std::string from, const std::string& to) {
    std::string body = good;
    body.replace(body.find(from), from.size(), to);
    WriteLines({SignedLine(body, key_)});
    return Replay().status().message();
  };
  const std::string line1 = path_ + " line 1: ";
  EXPECT_EQ(named("\"n\":1", "\"n\":2"), line1 + "numbered 2");
  EXPECT_EQ(named("\"v\":1", "\"v\":2"), line1 + "not a checkpoint (v is not 1)");
  EXPECT_EQ(named("\"n\":1", "\"n\":0"), line1 + "not a checkpoint (n is not a positive integer)");
  EXPECT_EQ(named("\"cursor\":1", "\"cursor\":-1"),
            line1 + "not a checkpoint (cursor is not an integer >= 0)");
  EXPECT_EQ(named("2026-12-06T20:15:03Z", "yesterday"),
            line1 + "not a checkpoint (time is not a UTC time)");
  EXPECT_EQ(named(zeros, "00"), line1 + "not a checkpoint (prev is not a SHA-256)");
  EXPECT_EQ(named("\"reset\":false", "\"reset\":0"),
            line1 + "not a checkpoint (reset is not true or false)");
  EXPECT_EQ(named("\"heads\":[]", "\"heads\":{}"),
            line1 + "not a checkpoint (heads is not a list)");
  EXPECT_EQ(named("\"heads\":[]", "\"heads\":[[\"-\",0,\"" + zeros + "\"]]"),
            line1 + "not a checkpoint (a head is not [chain, seq, hash])");
  EXPECT_EQ(named("{", "["), line1 + "not a checkpoint (not a JSON object)");
}

TEST_F(AuditCheckpointsTest, ARepeatedLineDoesNotLink) {
  events_.Add("-");
  auto log = Log();
  ASSERT_TRUE(log->Write(false).ok());
  ASSERT_TRUE(log->Write(true).ok());
  const std::vector<std::string> lines = Lines();
  // Line 2 moved to the front of another log: it links to line 1 only.
  const std::string other = dir_.path() + "/other.log";
  std::ofstream(other) << lines[0] << "\n" << lines[0] << "\n";
  EXPECT_EQ(ReplayAuditLog(other, AuditPublicKey(key_)).status().message(),
            other + " line 2: does not link to line 1");
}

TEST_F(AuditCheckpointsTest, AResetLineReplacesEverythingBeforeIt) {
  events_.Add("-");
  events_.Add("SEC-2026-0001");
  events_.Add("SEC-2026-0002");
  auto log = Log();
  ASSERT_TRUE(log->Write(false).ok());
  // Restored from a backup that ends before SEC-2026-0002: the log is told so.
  events_.DropLast();
  Result<CheckpointWrite> reset = log->WriteReset();
  ASSERT_TRUE(reset.ok()) << reset.status().message();
  EXPECT_EQ(reset->n, 2);
  EXPECT_EQ(reset->chains, 2u);
  EXPECT_NE(Lines()[1].find("\"reset\":true"), std::string::npos);
  Result<CheckpointedHeads> heads = Replay();
  ASSERT_TRUE(heads.ok()) << heads.status().message();
  EXPECT_EQ(heads->size(), 2u);
  EXPECT_EQ(heads->count("SEC-2026-0002"), 0u);
  EXPECT_EQ(heads->at("-").where, "checkpoint 2 of 2026-12-06T20:15:03Z");
}

TEST_F(AuditCheckpointsTest, NoCheckpointBlessesADatabaseThatLostItsLastEvents) {
  events_.Add("-");
  events_.Add("-");
  auto log = Log();
  ASSERT_TRUE(log->Write(false).ok());
  events_.DropLast();
  EXPECT_EQ(log->Write(false).status().message(),
            path_ +
                ": the database has fewer events than checkpoint 1 covered (events deleted, "
                "or the database replaced); run `vigil audit verify`");
  EXPECT_EQ(Lines().size(), 1u);
}

TEST_F(AuditCheckpointsTest, TwoWritersOnOneLogKeepItLinked) {
  // Two logs on one path: the server and a CLI command, each with its own file descriptions.
  auto server = Log();
  auto cli = Log();
  std::thread other([&] {
    for (int i = 0; i < 40; ++i) {
      events_.Add("SEC-2026-0001");
      ASSERT_TRUE(cli->Write(i % 2 == 0).ok());
    }
  });
  for (int i = 0; i < 40; ++i) {
    events_.Add("-");
    ASSERT_TRUE(server->Write(true).ok());
  }
  other.join();
  Result<CheckpointedHeads> heads = Replay();
  ASSERT_TRUE(heads.ok()) << heads.status().message();
  EXPECT_EQ(heads->at("-").seq, 40);
  EXPECT_EQ(heads->at("SEC-2026-0001").seq, 40);
  EXPECT_GE(Lines().size(), 60u);
}

TEST_F(AuditCheckpointsTest, TheCheckpointerWritesAtOnceAndStopsPromptly) {
  events_.Add("-");
  auto log = Log();
  // An hour between rounds: the first round runs at Start, and Stop must not wait for the next.
  AuditCheckpointer checkpointer(*log, std::chrono::hours(1));
  checkpointer.Start();
  EXPECT_EQ(
      checkpointer.WaitForRounds(0, std::chrono::steady_clock::now() + std::chrono::seconds(30)),
      1);
  EXPECT_EQ(Lines().size(), 1u);
  const auto before = std::chrono::steady_clock::now();
  checkpointer.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(10));
  EXPECT_EQ(checkpointer.WaitForRounds(1, std::chrono::steady_clock::now()), 1);
}

}  // namespace
}  // namespace vigil
