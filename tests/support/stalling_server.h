// StallingServer: a peer that hangs, for tests of timeouts. It listens on 127.0.0.1 (port 0),
// accepts every connection, reads and discards whatever it is sent and never answers (or, with
// a trickle, sends a byte now and then but never a whole reply). This is the forge or
// smarthost that accepts the connection and then leaves the client waiting.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::testing {

class StallingServer {
 public:
  struct Options {
    /// Sent to each connection at once when it is accepted (e.g. a reply's head).
    std::string greeting;
    /// Then sent to each connection one byte every trickle_interval, never all of the reply
    /// the client waits for (e.g. a body shorter than the greeting's Content-Length); empty =
    /// silence.
    std::string trickle;
    std::chrono::milliseconds trickle_interval{250};
  };

  StallingServer() : StallingServer(Options{}) {}
  explicit StallingServer(Options options) : options_(std::move(options)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listen_fd_, 64) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        pipe2(wake_pipe_, O_CLOEXEC) != 0) {
      std::abort();
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });  // accepts, reads, trickles until destroyed
  }

  /// Closes the listening socket and every connection (clients see the connection end).
  ~StallingServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    Poke();
    thread_.join();
    close(listen_fd_);
    close(wake_pipe_[0]);
    close(wake_pipe_[1]);
  }
  StallingServer(const StallingServer&) = delete;
  StallingServer& operator=(const StallingServer&) = delete;

  int port() const { return port_; }
  /// SCHEME://127.0.0.1:PORT, e.g. url("smtp").
  std::string url(const std::string& scheme) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

  /// Connections accepted so far.
  int connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }
  /// Connections accepted and still open (neither side has closed them).
  int open_connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return open_;
  }
  /// Waits until N connections have been accepted and have sent something (the client is then
  /// waiting for an answer), or TIMEOUT passed; true in the first case.
  bool WaitForWaitingClients(int n, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return waiting_ >= n; });
  }
  /// Waits until N connections have been accepted, or TIMEOUT passed; true in the first case.
  bool WaitForConnections(int n, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return accepted_ >= n; });
  }
  /// Closes every open connection (the clients see it end); new ones are still accepted.
  void CloseConnections() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      close_requested_ = true;
    }
    Poke();
  }

 private:
  struct Connection {
    int fd;
    size_t sent = 0;  // trickle bytes sent
    bool spoke = false;
  };

  void Poke() {
    const char c = 0;
    (void)!write(wake_pipe_[1], &c, 1);
  }

  void Serve() {
    std::vector<Connection> conns;
    const int tick =
        options_.trickle.empty() ? -1 : static_cast<int>(options_.trickle_interval.count());
    for (;;) {
      std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
      for (const Connection& c : conns) fds.push_back({c.fd, POLLIN, 0});
      const int ready = poll(fds.data(), fds.size(), tick);
      if (fds[1].revents & POLLIN) {
        char buf[64];
        (void)!read(wake_pipe_[0], buf, sizeof buf);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_ || close_requested_) {
          for (const Connection& c : conns) close(c.fd);
          conns.clear();
          open_ = 0;
          close_requested_ = false;
          if (stopping_) return;
          continue;
        }
      }
      if (ready == 0) {  // a trickle tick
        for (Connection& c : conns) {
          if (c.sent < options_.trickle.size()) {
            (void)!send(c.fd, options_.trickle.data() + c.sent, 1, MSG_NOSIGNAL);
            ++c.sent;
          }
        }
        continue;
      }
      // Newest first, so that closing one does not shift the indexes still to look at.
      for (size_t i = fds.size(); i-- > 2;) {
        if (!fds[i].revents) continue;
        Connection& c = conns[i - 2];
        char buf[4096];
        const ssize_t n = read(c.fd, buf, sizeof buf);
        if (n <= 0) {
          close(c.fd);
          conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i - 2));
          std::lock_guard<std::mutex> lock(mu_);
          --open_;
        } else if (!c.spoke) {
          c.spoke = true;
          std::lock_guard<std::mutex> lock(mu_);
          ++waiting_;
          changed_.notify_all();
        }
      }
      if (fds[0].revents & POLLIN) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          if (!options_.greeting.empty()) {
            (void)!send(fd, options_.greeting.data(), options_.greeting.size(), MSG_NOSIGNAL);
          }
          conns.push_back({fd});
          std::lock_guard<std::mutex> lock(mu_);
          ++accepted_;
          ++open_;
          changed_.notify_all();
        }
      }
    }
  }

  const Options options_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_pipe_[2] = {-1, -1};
  mutable std::mutex mu_;
  std::condition_variable changed_;
  int accepted_ = 0;              // guarded by mu_
  int open_ = 0;                  // guarded by mu_
  int waiting_ = 0;               // guarded by mu_: connections that sent something
  bool close_requested_ = false;  // guarded by mu_
  bool stopping_ = false;         // guarded by mu_
  std::thread thread_;
};

}  // namespace vigil::testing
