// SmtpListener: serves SmtpSession over TCP with Boost.Asio (the only file of src/mail that
// includes Asio is smtp_listener.cc). Sessions run on io threads; deliveries, which block on
// the store's commit, run on a worker pool and answer back on the session's strand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "mail/mail_intake.h"
#include "mail/smtp_session.h"

namespace vigil::mail {

struct ListenerOptions {
  std::string hostname = "localhost";  // in the greeting and EHLO reply
  std::string address = "127.0.0.1";
  int smtp_port = 0;   // 0 = any free port; -1 = no SMTP listener
  int lmtp_port = -1;  // 0 = any free port; -1 = no LMTP listener
  int io_threads = 1;
  int worker_threads = 16;
  int max_connections = 256;
  int idle_timeout_seconds = 300;
  int connections_per_address = 20;  // open at once from one client address
  int session_seconds = 1800;        // then 421 and closed, after a delivery in progress
  int connections_per_minute = 0;    // per client address; 0 = unlimited
  int messages_per_minute = 0;       // per client address; 0 = unlimited
  SmtpLimits limits;
};

class SmtpListener {
 public:
  /// INTAKE must outlive the listener.
  SmtpListener(MailIntake& intake, ListenerOptions options);
  ~SmtpListener();  // Stop() and wait
  SmtpListener(const SmtpListener&) = delete;
  SmtpListener& operator=(const SmtpListener&) = delete;

  /// Binds the configured ports and starts the threads. Error: kUnavailable naming the address.
  Status Start();
  /// Bound ports (-1 when not listening).
  int smtp_port() const;
  int lmtp_port() const;
  /// Stops accepting, closes connections, waits for deliveries in flight. Idempotent.
  void Stop();

  class Impl;  // in smtp_listener.cc, with Asio

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::mail
