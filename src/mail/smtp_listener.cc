#include "mail/smtp_listener.h"

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace vigil::mail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Fixed one-minute windows per client address. Coarse, cheap, and enough to stop a flood.
class AddressRateLimit {
 public:
  explicit AddressRateLimit(int per_minute) : per_minute_(per_minute) {}
  bool Allow(const std::string& address) {
    if (per_minute_ <= 0) return true;
    const auto now = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    if (windows_.size() > 100000) {
      std::erase_if(windows_, [&](const auto& kv) {
        return now - kv.second.start > std::chrono::minutes(1);
      });
    }
    Window& w = windows_[address];
    if (now - w.start > std::chrono::minutes(1)) w = {now, 0};
    return ++w.count <= per_minute_;
  }

 private:
  struct Window {
    Clock::time_point start;
    int count = 0;
  };
  const int per_minute_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;  // guarded by mu_
};

// The connections open from each client address. Shared with the connections, which may be
// destroyed after the listener (with the io_context's handlers).
class OpenConnections {
 public:
  explicit OpenConnections(int per_address) : per_address_(per_address) {}
  /// Counts a new connection from CLIENT; false when that makes more than the cap (the
  /// connection is refused, and still counted until Closed).
  bool Opened(const std::string& client) {
    std::lock_guard<std::mutex> lock(mu_);
    return ++open_[client] <= per_address_;
  }
  void Closed(const std::string& client) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = open_.find(client);
    if (it != open_.end() && --it->second <= 0) open_.erase(it);
  }

 private:
  const int per_address_;
  std::mutex mu_;
  std::unordered_map<std::string, int> open_;  // guarded by mu_
};

}  // namespace

class SmtpListener::Impl {
 public:
  Impl(MailIntake& intake, ListenerOptions options)
      : intake_(intake),
        options_(std::move(options)),
        workers_(static_cast<size_t>(std::max(1, options_.worker_threads))),
        smtp_acceptor_(ioc_),
        lmtp_acceptor_(ioc_),
        connection_limit_(options_.connections_per_minute),
        message_limit_(options_.messages_per_minute),
        live_(std::make_shared<std::atomic<int>>(0)),
        open_(std::make_shared<OpenConnections>(options_.connections_per_address)) {}

  Status Start();
  void Stop();
  void Accept(tcp::acceptor& acceptor, bool lmtp);
  Status Bind(tcp::acceptor& acceptor, int port, int* bound);

  MailIntake& intake_;
  const ListenerOptions options_;
  asio::io_context ioc_;
  asio::thread_pool workers_;  // runs MailIntake::Deliver
  tcp::acceptor smtp_acceptor_;
  tcp::acceptor lmtp_acceptor_;
  AddressRateLimit connection_limit_;
  AddressRateLimit message_limit_;
  std::shared_ptr<std::atomic<int>> live_;  // open connections; shared with the connections
  std::shared_ptr<OpenConnections> open_;   // open connections by address; shared likewise
  std::vector<std::thread> io_threads_;     // each runs ioc_ until Stop()
  int smtp_port_ = -1;
  int lmtp_port_ = -1;
  std::once_flag stopped_;
};

namespace {

// One client connection; every handler runs on its strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, SmtpListener::Impl& listener, bool lmtp, std::string client)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        deadline_(socket_.get_executor()),
        listener_(listener),
        live_(listener.live_),
        open_(listener.open_),
        client_(client),
        session_(
            listener.options_.hostname, listener.options_.limits, lmtp, client,
            [&intake = listener.intake_](std::string_view rcpt) {
              return intake.CheckRecipient(rcpt);
            },
            [&listener, client] {
              return listener.message_limit_.Allow(client)
                         ? Status::Ok()
                         : Status::RateLimited("too many messages from your address; try later");
            }) {}
  ~Connection() {
    --*live_;
    open_->Closed(client_);
  }

  void Start(std::string first_reply, bool close_after) {
    // However busy the client keeps it, the session ends after [mail] smtp_session_seconds: at
    // once when it waits for the client, else after the reply in progress (a delivery finishes
    // and is answered first).
    deadline_.expires_after(std::chrono::seconds(listener_.options_.session_seconds));
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_ || self->ending_) return;
      self->expired_ = true;
      if (self->reading_) self->EndSession();
    });
    out_ = std::move(first_reply);
    Flush([self = shared_from_this(), close_after] {
      if (close_after) {
        self->Close();
      } else {
        self->Read();
      }
    });
  }

 private:
  template <typename Then>
  void Flush(Then then) {
    if (out_.empty()) {
      then();
      return;
    }
    writing_ = std::move(out_);
    out_.clear();
    asio::async_write(socket_, asio::buffer(writing_),
                      [self = shared_from_this(), then](boost::system::error_code ec, size_t) {
                        if (ec) {
                          self->Close();
                          return;
                        }
                        then();
                      });
  }

  // The session's time is up: say so and close (only while no write is in flight).
  void EndSession() {
    ending_ = true;
    timer_.cancel();
    out_ = "421 4.4.2 " + listener_.options_.hostname +
           " session time limit reached, closing connection\r\n";
    Flush([self = shared_from_this()] { self->Close(); });
  }

  void Read() {
    if (expired_) {
      EndSession();
      return;
    }
    timer_.expires_after(std::chrono::seconds(listener_.options_.idle_timeout_seconds));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_ || self->ending_) return;  // cancelled by a read
      self->ending_ = true;  // the last reply is on its way: the deadline adds none
      self->out_ = SmtpSession::TimeoutReply();
      self->Flush([self] { self->Close(); });
    });
    reading_ = true;
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                              self->reading_ = false;
                              self->timer_.cancel();
                              // Closed meanwhile (a timeout answered): what arrived is not read,
                              // so nothing is delivered that the client is not answered for.
                              if (ec || self->closed_) {
                                self->Close();  // a drop mid-DATA stores nothing
                                return;
                              }
                              self->session_.Receive(std::string_view(self->buf_.data(), n));
                              self->Pump();
                            });
  }

  void Pump() {
    switch (session_.Process(&out_)) {
      case SmtpSession::Next::kRead:
        Flush([self = shared_from_this()] { self->Read(); });
        return;
      case SmtpSession::Next::kClose:
        Flush([self = shared_from_this()] { self->Close(); });
        return;
      case SmtpSession::Next::kDeliver:
        Flush([self = shared_from_this()] { self->Deliver(); });
        return;
    }
  }

  void Deliver() {
    asio::post(listener_.workers_, [self = shared_from_this()] {
      Result<std::string> r =
          self->listener_.intake_.Deliver(self->session_.envelope(), self->session_.TakeMessage());
      asio::post(self->socket_.get_executor(), [self, r = std::move(r)] {
        self->session_.Delivered(r, &self->out_);
        self->Pump();
      });
    });
  }

  void Close() {
    closed_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    deadline_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;     // idle: the client must say something within the idle timeout
  asio::steady_timer deadline_;  // the whole session
  SmtpListener::Impl& listener_;
  std::shared_ptr<std::atomic<int>> live_;
  std::shared_ptr<OpenConnections> open_;
  const std::string client_;
  bool reading_ = false;  // a read is in flight (and so no write): the strand's state
  bool expired_ = false;  // the session's deadline passed
  bool ending_ = false;   // a timeout's last reply is being written, then the connection closes
  bool closed_ = false;
  SmtpSession session_;
  std::array<char, 65536> buf_;
  std::string out_;      // replies not yet written
  std::string writing_;  // the write in flight
};

}  // namespace

Status SmtpListener::Impl::Bind(tcp::acceptor& acceptor, int port, int* bound) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(options_.address, ec);
  if (ec) return Status::Invalid("mail: bad listen address " + options_.address);
  tcp::endpoint ep(addr, static_cast<uint16_t>(port));
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("mail: cannot listen on " + options_.address + ":" +
                               std::to_string(port) + ": " + ec.message());
  }
  *bound = acceptor.local_endpoint().port();
  return Status::Ok();
}

void SmtpListener::Impl::Accept(tcp::acceptor& acceptor, bool lmtp) {
  acceptor.async_accept(asio::make_strand(ioc_), [this, &acceptor, lmtp](
                                                     boost::system::error_code ec,
                                                     tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      Accept(acceptor, lmtp);
      return;
    }
    boost::system::error_code ignored;
    const std::string client = socket.remote_endpoint(ignored).address().to_string();
    ++*live_;
    const bool within_address_cap = open_->Opened(client);
    auto conn = std::make_shared<Connection>(std::move(socket), *this, lmtp, client);
    if (*live_ > options_.max_connections) {
      conn->Start("421 4.3.2 too many connections, try again later\r\n", true);
    } else if (!within_address_cap) {
      conn->Start("421 4.7.0 too many open connections from your address, try again later\r\n",
                  true);
    } else if (!connection_limit_.Allow(client)) {
      conn->Start("421 4.7.0 too many connections from your address, try again later\r\n", true);
    } else {
      conn->Start(SmtpSession::Greeting(options_.hostname, lmtp), false);
    }
    Accept(acceptor, lmtp);
  });
}

Status SmtpListener::Impl::Start() {
  if (options_.smtp_port >= 0) {
    VIGIL_RETURN_IF_ERROR(Bind(smtp_acceptor_, options_.smtp_port, &smtp_port_));
    Accept(smtp_acceptor_, false);
  }
  if (options_.lmtp_port >= 0) {
    VIGIL_RETURN_IF_ERROR(Bind(lmtp_acceptor_, options_.lmtp_port, &lmtp_port_));
    Accept(lmtp_acceptor_, true);
  }
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    io_threads_.emplace_back([this] {
      auto guard = asio::make_work_guard(ioc_);
      ioc_.run();
    });
  }
  return Status::Ok();
}

void SmtpListener::Impl::Stop() {
  std::call_once(stopped_, [this] {
    asio::post(ioc_, [this] {
      boost::system::error_code ignored;
      smtp_acceptor_.close(ignored);
      lmtp_acceptor_.close(ignored);
    });
    // Deliveries in flight finish (and are durable) before the pool joins; their replies are
    // dropped with the connections.
    workers_.join();
    ioc_.stop();
    for (std::thread& t : io_threads_) t.join();
  });
}

SmtpListener::SmtpListener(MailIntake& intake, ListenerOptions options)
    : impl_(std::make_unique<Impl>(intake, std::move(options))) {}
SmtpListener::~SmtpListener() { Stop(); }
Status SmtpListener::Start() { return impl_->Start(); }
int SmtpListener::smtp_port() const { return impl_->smtp_port_; }
int SmtpListener::lmtp_port() const { return impl_->lmtp_port_; }
void SmtpListener::Stop() { impl_->Stop(); }

}  // namespace vigil::mail
