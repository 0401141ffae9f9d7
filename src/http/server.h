// The HTTP/1.1 server (Boost.Beast). Network I/O runs on a few io threads; each request is
// handled on a worker thread (handlers block on the store's group commit), then written back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ip_network.h"
#include "core/status.h"

namespace vigil {

class Router;
class Metrics;

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = any free port
  int io_threads = 2;
  int worker_threads = 32;
  int max_connections = 1024;
  int idle_timeout_seconds = 30;  // also bounds how long a request may take to arrive
  int64_t max_body_bytes = 1 << 20;
  int max_header_bytes = 16 << 10;
  bool access_log = true;
  /// Reverse proxies whose Forwarded / X-Forwarded-For headers name the client (ClientAddress).
  std::vector<IpNetwork> trusted_proxies;
};

class HttpServer {
 public:
  /// ROUTER and METRICS must outlive the server.
  HttpServer(const Router& router, Metrics& metrics, ServerOptions options);
  ~HttpServer();  // shuts down and waits
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and starts the io and worker threads. Error: kUnavailable naming the address.
  Status Start();
  /// The bound port (useful with port 0).
  uint16_t port() const;
  /// Graceful shutdown: stops accepting, closes idle connections, lets requests in flight finish
  /// and be answered, then stops the threads. Thread-safe; async-signal-unsafe (call it from a
  /// signal_set handler or another thread). Returns immediately; Wait() blocks until done.
  void Shutdown();
  /// Blocks until the server has shut down.
  void Wait();
  /// Makes SIGTERM and SIGINT call Shutdown().
  void ShutdownOnSignals();

  class Impl;  // defined in server.cc, with Beast

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
