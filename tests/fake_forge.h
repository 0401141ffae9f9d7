// A loopback forge for tests: serves the part of GitHub's REST API Vigil uses (list and create
// issues and pull requests of one repository) and records every request.
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::testing {

class FakeForge {
 public:
  struct Request {
    std::string method, path, authorization, body;
  };
  struct Item {
    int number = 0;
    std::string title, body, head, base;  // head/base: pull requests only
    bool pull = false;
  };

  /// Listens on 127.0.0.1:0 for REPOSITORY ("owner/name"); requests need "Bearer TOKEN".
  FakeForge(std::string repository, std::string token);
  ~FakeForge();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<Request> requests() const;
  std::vector<Item> items() const;
  /// How many requests had METHOD and a path starting with PREFIX.
  int Count(const std::string& method, const std::string& prefix) const;
  /// While METHOD is set, requests with that method are carried out (an issue or a pull request
  /// is created) but never answered: the forge that hangs after doing the work. Empty: answer
  /// everything again, and close the connections left waiting.
  void StallAnswersTo(const std::string& method);

 private:
  void Serve();  // the accept loop, on thread_
  std::string Handle(const Request& req);

  const std::string repo_, token_;
  int listen_fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  mutable std::mutex mu_;
  std::vector<Request> requests_;  // guarded by mu_
  std::vector<Item> items_;        // guarded by mu_
  std::string stall_method_;       // guarded by mu_
  std::vector<int> stalled_fds_;   // guarded by mu_: connections never answered
  std::thread thread_;
};

}  // namespace vigil::testing
