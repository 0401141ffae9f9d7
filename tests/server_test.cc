// The real server process: durability across SIGKILL, graceful SIGTERM, limits, backup/restore.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "test_util.h"

namespace vigil::testing {
namespace {

const std::string kReport = R"({"subject":"Overflow in parser","steps":"send 70000 bytes"})";

// Submits reports from THREADS clients until STOP; records the id of every 201.
class Load {
 public:
  Load(int port, int threads) {
    for (int t = 0; t < threads; ++t) {
      workers_.emplace_back([this, port] {
        while (!stop_) {
          HttpResult r = Http(port, "POST", "/api/v1/reports", kReport);
          if (r.status == 201) {
            std::lock_guard<std::mutex> lock(mu_);
            acked_.insert(JsonField(r.body, "id"));
          } else if (r.status != 0) {
            std::lock_guard<std::mutex> lock(mu_);
            unexpected_.push_back(r.status);
          } else if (stop_on_refusal_) {
            break;  // the server is gone
          }
        }
      });
    }
  }
  ~Load() { Stop(); }
  size_t Acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_.size();
  }
  std::set<std::string> AckedIds() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }
  void WaitFor(size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (Acked() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  }
  void Stop() {
    stop_ = true;
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
  }
  std::vector<int> Unexpected() {
    std::lock_guard<std::mutex> lock(mu_);
    return unexpected_;
  }
  void StopOnRefusal() { stop_on_refusal_ = true; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> stop_on_refusal_{false};
  std::mutex mu_;
  std::set<std::string> acked_;
  std::vector<int> unexpected_;
  std::vector<std::thread> workers_;
};

std::set<std::string> StoredIds(const std::string& config) {
  CommandResult r = RunVigil({"-c", config, "report", "list", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> ids;
  size_t at = 0;
  while ((at = r.out.find("\"id\":\"", at)) != std::string::npos) {
    at += 6;
    ids.insert(r.out.substr(at, r.out.find('"', at) - at));
  }
  return ids;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = InitProject(dir_.path(), "submit_per_minute = 0");
    config_ = dir_.path() + "/vigil.toml";
  }
  TempDir dir_;
  std::string token_, config_;
};

TEST_F(ServerTest, EveryAcknowledgedReportSurvivesSigkill) {
  auto server = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server->started());
  Load load(server->port(), 16);
  load.StopOnRefusal();
  load.WaitFor(300);
  EXPECT_EQ(server->Stop(SIGKILL), 128 + SIGKILL);
  load.Stop();
  const std::set<std::string> acked = load.AckedIds();
  ASSERT_GE(acked.size(), 300u);
  EXPECT_TRUE(load.Unexpected().empty());

  // Restart on the same data: everything acknowledged is there, and the chain verifies.
  ServerProcess again(config_);
  ASSERT_TRUE(again.started());
  const std::set<std::string> stored = StoredIds(config_);
  for (const std::string& id : acked) EXPECT_TRUE(stored.count(id)) << id << " was lost";
  CommandResult verify = RunVigil({"-c", config_, "audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_NE(verify.out.find("intact"), std::string::npos);
  HttpResult health = Http(again.port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
}

TEST_F(ServerTest, SigtermFinishesInFlightRequestsAndExitsCleanly) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const int idle = Connect(server.port());  // an idle keep-alive connection must not hold it up
  ASSERT_GE(idle, 0);
  Load load(server.port(), 8);
  load.StopOnRefusal();
  load.WaitFor(50);
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  load.Stop();
  close(idle);
  // Every answer was complete (a torn response counts as status 0 and is not in acked), and
  // every 201 is stored.
  EXPECT_TRUE(load.Unexpected().empty());
  const std::set<std::string> stored = StoredIds(config_);
  for (const std::string& id : load.AckedIds()) EXPECT_TRUE(stored.count(id)) << id;
}

TEST_F(ServerTest, LimitsAnswerExactlyAndTheServerKeepsServing) {
  TempDir dir;
  InitProject(dir.path(),
              "max_body_bytes = 2048\nmax_header_bytes = 1024\nmax_connections = 3\n"
              "idle_timeout_seconds = 1");
  ServerProcess server(dir.path() + "/vigil.toml");
  ASSERT_TRUE(server.started());
  const int port = server.port();

  HttpResult big = Http(port, "POST", "/api/v1/reports",
                        R"({"subject":"s","steps":")" + std::string(4000, 'x') + "\"}");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body,
            "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"request body is larger than "
            "2048 bytes\"}}\n");
  HttpResult header =
      Http(port, "GET", "/healthz", "", "", "X-Padding: " + std::string(2000, 'a') + "\r\n");
  EXPECT_EQ(header.status, 431);
  EXPECT_EQ(header.body,
            "{\"error\":{\"code\":\"header_too_large\",\"message\":\"request header is larger "
            "than 1024 bytes\"}}\n");
  HttpResult garbage = HttpRaw(port, "BLAH\r\n\r\n");
  EXPECT_EQ(garbage.status, 400);
  HttpResult bad_json = Http(port, "POST", "/api/v1/reports", "{\"subject\":");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.body,
            "{\"error\":{\"code\":\"invalid_argument\",\"message\":\"request body is not valid "
            "JSON\"}}\n");
  EXPECT_NE(bad_json.head.find("X-Content-Type-Options: nosniff"), std::string::npos);

  // Connection limit: three idle keep-alive connections fill it; the fourth is answered 503.
  // Each held connection first completes one request, so it is known to be counted (and
  // connections of the requests above, still closing on the server, have left).
  std::vector<int> held;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (held.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    const int fd = Connect(port);
    ASSERT_GE(fd, 0);
    const std::string req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos || !in.ends_with("}\n")) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    if (in.starts_with("HTTP/1.1 200")) {
      held.push_back(fd);
    } else {
      close(fd);  // a connection from an earlier request was still open: try again
    }
  }
  ASSERT_EQ(held.size(), 3u);
  HttpResult refused = Http(port, "GET", "/healthz");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body,
            "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many connections; retry "
            "later\"}}\n");
  // Idle connections are closed by the server after idle_timeout_seconds: wait for the close.
  for (int fd : held) {
    char c;
    EXPECT_EQ(read(fd, &c, 1), 0);  // EOF from the server (SO_RCVTIMEO is 10 s)
    close(fd);
  }
  EXPECT_EQ(Http(port, "GET", "/healthz").status, 200);
}

TEST_F(ServerTest, BackupDuringLoadRestoresEverythingAcknowledgedBefore) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  Load load(server.port(), 8);
  load.WaitFor(100);
  const std::set<std::string> before = load.AckedIds();
  const std::string backup = dir_.path() + "/snapshot.db";
  CommandResult b = RunVigil({"-c", config_, "backup", backup});
  EXPECT_EQ(b.exit_code, 0) << b.err;
  load.WaitFor(before.size() + 50);  // writes went on during and after the backup
  load.Stop();
  EXPECT_EQ(server.Stop(SIGTERM), 0);

  TempDir other;
  InitProject(other.path());
  const std::string other_config = other.path() + "/vigil.toml";
  CommandResult r = RunVigil({"-c", other_config, "restore", backup});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CommandResult verify = RunVigil({"-c", other_config, "audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  const std::set<std::string> restored = StoredIds(other_config);
  for (const std::string& id : before) EXPECT_TRUE(restored.count(id)) << id;
}

// Signed checkpoints: within [audit] checkpoint_seconds while the server runs, and a last one
// when it stops cleanly.
TEST_F(ServerTest, TheServerCheckpointsWhileItRunsAndWhenItStops) {
  const std::string log = dir_.path() + "/data/audit-checkpoints.log";
  auto logged = [&log](const std::string& id) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return text.str().find("[\"" + id + "\",1,") != std::string::npos;
  };
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  HttpResult first = Http(server.port(), "POST", "/api/v1/reports", kReport);
  ASSERT_EQ(first.status, 201);
  EXPECT_TRUE(WaitUntil([&] { return logged(JsonField(first.body, "id")); }));
  HttpResult last = Http(server.port(), "POST", "/api/v1/reports", kReport);
  ASSERT_EQ(last.status, 201);
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  EXPECT_TRUE(logged(JsonField(last.body, "id")));
  CommandResult verify = RunVigil({"-c", config_, "audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.err, "");
}

TEST_F(ServerTest, RestoreRefusesWhileTheServerRuns) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  const std::string backup = dir_.path() + "/b.db";
  ASSERT_EQ(RunVigil({"-c", config_, "backup", backup}).exit_code, 0);
  CommandResult r = RunVigil({"-c", config_, "restore", backup});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "vigil: a vigil server is running on " + dir_.path() +
                       "/data; stop it before restoring\n");
}

TEST_F(ServerTest, ReadmeFlowSubmitThenList) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  HttpResult r = Http(server.port(), "POST", "/api/v1/reports",
                      R"({"subject":"Token leak in agent logs","steps":"1. run the agent",)"
                      R"("reporter_email":"rita@example.org"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = JsonField(r.body, "id");
  EXPECT_EQ(id.size(), 13u);
  EXPECT_TRUE(JsonField(r.body, "token").starts_with("vgc_"));
  EXPECT_TRUE(JsonField(r.body, "tracking_url").ends_with("/track/" + JsonField(r.body, "token")))
      << r.body;
  CommandResult list = RunVigil({"-c", config_, "report", "list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find(id), std::string::npos);
  EXPECT_NE(list.out.find("Token leak in agent logs"), std::string::npos);
  // The reporter follows up with the capability token; the admin token lists everything.
  EXPECT_EQ(
      Http(server.port(), "GET", "/api/v1/reports/" + id, "", JsonField(r.body, "token")).status,
      200);
  HttpResult metrics = Http(server.port(), "GET", "/metrics", "", token_);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("vigil_http_requests_total{method=\"POST\",route=\"/api/v1/"
                              "reports\",status=\"201\"} 1"),
            std::string::npos);
}

// /metrics is read by Prometheus's own parser (promtool, Debian's prometheus package) after
// normal traffic and after traffic meant to break it: methods nobody knows, paths with quotes,
// backslashes and encoded line breaks, very long paths, a request line that is not HTTP.
TEST_F(ServerTest, MetricsPassPromtoolUnderHostileTraffic) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started());
  ASSERT_EQ(Http(server.port(), "POST", "/api/v1/reports", kReport).status, 201);
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(Http(server.port(), "GET", "/api/v1/reports/VUL-NOPE", "", token_).status, 404);
  for (const std::string method : {"BREW", "get", "X\"Y", "DELETE"}) {
    Http(server.port(), method, "/api/v1/reports");
  }
  for (const std::string& path : std::vector<std::string>{
           "/%22%5C%0Aquoted", "/a\"b\\c", "/" + std::string(6000, 'p'), "/api/v1/reports/%0A/x"}) {
    Http(server.port(), "GET", path);
  }
  HttpRaw(server.port(), "NOT-HTTP\r\n\r\n");
  HttpRaw(server.port(),
          "GET /x HTTP/1.1\r\nHost: a\r\nX: " + std::string(70000, 'h') + "\r\n\r\n");
  HttpResult metrics = Http(server.port(), "GET", "/metrics", "", token_);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("method=\"other\""), std::string::npos) << metrics.body;
  CommandResult check =
      vigil::testing::Run({"/usr/bin/promtool", "check", "metrics"}, metrics.body);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err << "\n" << metrics.body;
}

// Behind a trusted proxy, the submission limit counts each real client: the proxy's word about
// who the client is is taken, a client's own word about it is not.
TEST(ServerProxyTest, LimitsCountTheClientATrustedProxyNames) {
  TempDir dir;
  InitProject(dir.path(), "submit_per_minute = 2\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]");
  ServerProcess server(dir.path() + "/vigil.toml");
  ASSERT_TRUE(server.started());
  auto submit = [&](const std::string& headers) {
    return Http(server.port(), "POST", "/api/v1/reports", kReport, "", headers).status;
  };
  const std::string first = "X-Forwarded-For: 198.51.100.1\r\n";
  EXPECT_EQ(submit(first), 201);
  EXPECT_EQ(submit(first), 201);
  EXPECT_EQ(submit(first), 429);
  // Another client behind the same proxy has its own allowance...
  EXPECT_EQ(submit("X-Forwarded-For: 198.51.100.2\r\n"), 201);
  // ...the Forwarded header is read too...
  EXPECT_EQ(submit("Forwarded: for=\"[2001:db8::7]:4711\"\r\n"), 201);
  // ...and an address the client prepended itself changes nothing: the proxy appended the real
  // one, which is limited.
  EXPECT_EQ(submit("X-Forwarded-For: 203.0.113.50, 198.51.100.1\r\n"), 429);
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(ServerTest, LogsAreJsonLinesWithoutSecrets) {
  const std::string log = dir_.path() + "/server.log";
  {
    ServerProcess server(config_, log);
    ASSERT_TRUE(server.started());
    HttpResult r = Http(server.port(), "POST", "/api/v1/reports", kReport);
    ASSERT_EQ(r.status, 201);
    const std::string cap = JsonField(r.body, "token");
    const std::string id = JsonField(r.body, "id");
    EXPECT_EQ(Http(server.port(), "GET", "/api/v1/reports/" + id, "", cap).status, 200);
    EXPECT_EQ(
        Http(server.port(), "GET", "/api/v1/reports/" + id + "?token=" + cap, "", token_).status,
        200);
    EXPECT_EQ(Http(server.port(), "GET", "/api/v1/" + cap).status, 404);
    EXPECT_EQ(Http(server.port(), "GET", "/api/v1/reports", "", token_ + "x").status, 401);
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  std::ifstream in(log);
  int lines = 0, requests = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    EXPECT_TRUE(line.starts_with("{\"ts\":\"") && line.ends_with("}")) << line;
    EXPECT_EQ(line.find("vgc_"), std::string::npos) << line;
    EXPECT_EQ(line.find("vgt_"), std::string::npos) << line;
    EXPECT_EQ(line.find("Overflow in parser"), std::string::npos) << line;  // report content
    requests += line.find("\"msg\":\"request\"") != std::string::npos;
  }
  EXPECT_EQ(requests, 5);
  EXPECT_GE(lines, 7);  // listening, 5 requests, stopped
}

}  // namespace
}  // namespace vigil::testing
