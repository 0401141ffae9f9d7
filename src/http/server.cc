#include "http/server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/log_line.h"
#include "http/client_address.h"
#include "http/metrics.h"
#include "http/router.h"

namespace vigil {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Every occurrence of header NAME in REQ, joined with ", " (as a list header reads).
template <typename Request>
std::string AllValues(const Request& req, std::string_view name) {
  std::string out;
  for (auto [it, end] = req.equal_range(name); it != end; ++it) {
    if (!out.empty()) out += ", ";
    out.append(it->value().data(), it->value().size());
  }
  return out;
}

const char* kSecurityHeaders[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cache-Control", "no-store"},
    {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
};

}  // namespace

class Session;

class HttpServer::Impl {
 public:
  Impl(const Router& router, Metrics& metrics, ServerOptions options)
      : router_(router),
        metrics_(metrics),
        options_(std::move(options)),
        workers_(static_cast<size_t>(options_.worker_threads)),
        acceptor_(ioc_),
        signals_(ioc_) {}

  Status Start();
  void Accept();
  void Shutdown();
  void Wait();

  void Register(Session* s) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.insert(s);
  }
  void Unregister(Session* s) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.erase(s);
  }

  const Router& router_;
  Metrics& metrics_;
  const ServerOptions options_;
  asio::io_context ioc_;
  asio::thread_pool workers_;  // runs handlers
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  std::vector<std::thread> io_threads_;  // run ioc_ until no work is left
  std::atomic<int> connections_{0};
  std::atomic<bool> draining_{false};
  uint16_t port_ = 0;
  std::mutex sessions_mu_;
  std::unordered_set<Session*> sessions_;  // guarded by sessions_mu_
  std::once_flag waited_;
};

// One connection. All its handlers run on its strand; the request handler itself runs on the
// worker pool and posts its response back to the strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) client_ = ep.address().to_string();
  }
  ~Session() {
    server_.Unregister(this);
    --server_.connections_;
  }

  void Start() {
    server_.Register(this);
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // Closes the connection if it is waiting for a request; one in flight closes after its answer.
  void CloseIfIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.close();
      }
    });
  }

 private:
  void Read() {
    if (server_.draining_) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.options_.max_header_bytes));
    // Routes may accept more than max_body_bytes (patch uploads): OnHeader applies the limit of
    // the request's own route once the header names it, before any of the body is read.
    parser_->body_limit(boost::none);
    stream_.expires_after(std::chrono::seconds(server_.options_.idle_timeout_seconds));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  /// The header is read: applies the route's body limit (refusing a Content-Length over it
  /// before reading any of the body), then reads the body.
  void OnHeader(beast::error_code header_ec) {
    if (header_ec) return OnRead(header_ec);
    const auto& req = parser_->get();
    body_limit_ = server_.router_.BodyLimit(req.method_string(), req.target(),
                                            server_.options_.max_body_bytes);
    if (const auto length = parser_->content_length();
        length && *length > static_cast<uint64_t>(body_limit_)) {
      return OnRead(http::error::body_limit);
    }
    parser_->body_limit(static_cast<uint64_t>(body_limit_));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return WriteError(413, "payload_too_large",
                        "request body is larger than " + std::to_string(body_limit_) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return WriteError(431, "header_too_large",
                        "request header is larger than " +
                            std::to_string(server_.options_.max_header_bytes) + " bytes");
    }
    if (ec) return WriteError(400, "bad_request", "malformed HTTP request");

    busy_ = true;
    stream_.expires_never();
    auto& req = parser_->get();
    auto work = std::make_shared<HttpRequest>();
    work->method = std::string(req.method_string());
    work->target = std::string(req.target());
    work->authorization = std::string(req[http::field::authorization]);
    work->cookie = std::string(req[http::field::cookie]);
    work->host = std::string(req[http::field::host]);
    work->content_type = std::string(req[http::field::content_type]);
    work->body = std::move(req.body());
    work->client_address =
        ClientAddress(server_.options_.trusted_proxies, client_, AllValues(req, "Forwarded"),
                      AllValues(req, "X-Forwarded-For"));
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    version_ = req.version();
    Dispatch(std::move(work));
  }

  /// Runs the request's handler and writes its answer. A route whose handler does not block
  /// (Router::IsAsync) runs here on the connection's strand when the caller is anonymous
  /// (authenticating a credential reads the store); every other request runs on the worker pool.
  /// Either way the answer may come from another thread (a store write's completion): it is
  /// posted back to the strand. The work guard keeps the network threads running until then,
  /// so a graceful shutdown finishes requests whose writes are still in flight.
  void Dispatch(std::shared_ptr<HttpRequest> work) {
    struct Pending {
      std::string route;
      std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
      std::atomic<bool> answered{false};
    };
    auto pending = std::make_shared<Pending>();
    auto guard = asio::make_work_guard(server_.ioc_);
    Respond respond = [self = shared_from_this(), work, pending,
                       guard = std::move(guard)](HttpResponse resp) mutable {
      if (pending->answered.exchange(true)) return;
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - pending->start).count();
      self->server_.metrics_.Observe(work->method, pending->route, resp.status, seconds);
      if (self->server_.options_.access_log) {
        spdlog::info("{}", LogLine("request", {{"method", work->method},
                                               {"route", pending->route},
                                               {"status", resp.status},
                                               {"ms", seconds * 1000}}));
      }
      auto& stream = self->stream_;
      asio::post(stream.get_executor(), [self = std::move(self), resp = std::move(resp)]() mutable {
        self->Write(std::move(resp));
      });
      guard.reset();
    };
    auto run = [this, work, pending, respond = std::move(respond)]() mutable {
      try {
        server_.router_.HandleAsync(*work, &pending->route, respond);
      } catch (const std::exception& e) {
        // A handler must not throw; if one does, the server answers and keeps serving.
        spdlog::error("{}",
                      LogLine("handler threw", {{"route", pending->route}, {"what", e.what()}}));
        respond(ErrorResponse(Status::Internal("internal error")));
      }
    };
    if (work->authorization.empty() && work->cookie.empty() &&
        server_.router_.IsAsync(work->method, work->target)) {
      run();
    } else {
      asio::post(server_.workers_,
                 [self = shared_from_this(), run = std::move(run)]() mutable { run(); });
    }
  }

  void WriteError(int status, const char* code, const std::string& message) {
    HttpResponse r;
    r.status = status;
    r.body = std::string("{\"error\":{\"code\":\"") + code + "\",\"message\":\"" +
             JsonEscape(message) + "\"}}\n";
    keep_alive_ = false;  // the rest of the stream cannot be trusted
    version_ = 11;
    Write(std::move(r));
  }

  void Write(HttpResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "vigil");
    res->set(http::field::content_type, r.content_type);
    for (const auto& h : kSecurityHeaders) res->set(h[0], h[1]);
    for (const auto& [k, v] : r.headers) {
      if (beast::iequals(k, "Set-Cookie")) {
        res->insert(k, v);
      } else {
        res->set(k, v);
      }
    }
    const bool keep = keep_alive_ && !server_.draining_;
    res->keep_alive(keep);
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (head_) res->body().clear();
    stream_.expires_after(std::chrono::seconds(server_.options_.idle_timeout_seconds));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep](beast::error_code ec, size_t) {
                        self->busy_ = false;
                        if (ec || !keep) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  std::string client_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  int64_t body_limit_ = 0;  // of the request being read
  bool busy_ = false;
  bool keep_alive_ = true;
  bool head_ = false;
  unsigned version_ = 11;
};

Status HttpServer::Impl::Start() {
  // Every connection is a descriptor: allow as many as the hard limit permits.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(options_.address, ec);
  if (ec) return Status::Invalid("invalid listen address " + options_.address);
  tcp::endpoint ep(address, options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + options_.address + ":" +
                               std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  for (int i = 0; i < options_.io_threads; ++i) {
    io_threads_.emplace_back([this] { ioc_.run(); });
  }
  return Status::Ok();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      // Out of descriptors (EMFILE) or a transient error: retry shortly instead of spinning.
      auto timer = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(100));
      timer->async_wait([this, timer](beast::error_code) {
        if (!draining_) Accept();
      });
      return;
    }
    if (draining_) return;
    if (connections_.fetch_add(1) >= options_.max_connections) {
      --connections_;
      // Over the limit: answer 503 and close, without reading the request.
      static const std::string kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Connection: close\r\nRetry-After: 1\r\nContent-Length: 79\r\n\r\n"
          "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many connections; retry "
          "later\"}}\n";
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      asio::async_write(*sock, asio::buffer(kBusy), [sock](beast::error_code, size_t) {
        beast::error_code ignored;
        sock->shutdown(tcp::socket::shutdown_both, ignored);
      });
    } else {
      std::make_shared<Session>(std::move(s), *this)->Start();
    }
    Accept();
  });
}

void HttpServer::Impl::Shutdown() {
  asio::post(ioc_, [this] {
    if (draining_.exchange(true)) return;
    beast::error_code ec;
    acceptor_.close(ec);
    signals_.cancel(ec);
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard<std::mutex> lock(sessions_mu_);
      for (Session* s : sessions_) {
        // A session being destroyed may still be registered: weak_from_this() is then empty.
        if (auto sp = s->weak_from_this().lock()) live.push_back(std::move(sp));
      }
    }
    for (auto& s : live) s->CloseIfIdle();
  });
}

void HttpServer::Impl::Wait() {
  std::call_once(waited_, [this] {
    for (std::thread& t : io_threads_) t.join();
    workers_.join();
  });
}

HttpServer::HttpServer(const Router& router, Metrics& metrics, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, metrics, std::move(options))) {}

HttpServer::~HttpServer() {
  if (!impl_->io_threads_.empty()) {
    Shutdown();
    Wait();
  }
}

Status HttpServer::Start() { return impl_->Start(); }
uint16_t HttpServer::port() const { return impl_->port_; }
void HttpServer::Shutdown() { impl_->Shutdown(); }
void HttpServer::Wait() { impl_->Wait(); }

void HttpServer::ShutdownOnSignals() {
  impl_->signals_.add(SIGTERM);
  impl_->signals_.add(SIGINT);
  impl_->signals_.async_wait([this](beast::error_code ec, int) {
    if (!ec) Shutdown();
  });
}

}  // namespace vigil
