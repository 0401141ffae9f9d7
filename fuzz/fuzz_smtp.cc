// The SMTP/LMTP session (mail/smtp_session): any bytes from a client, fed in chunks whose sizes
// the input chooses, each message delivered (or refused) as the driver in smtp_listener does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/smtp_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  // Chunk sizes 1 to 64 bytes: the same bytes must work split anywhere.
  const size_t chunk = (data[1] & 63) + 1;
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  vigil::mail::SmtpLimits limits;
  limits.max_message_bytes = 4096;  // small, so that the input can exceed the limits
  limits.max_recipients = 4;
  limits.max_command_bytes = 256;
  limits.max_errors = 8;
  limits.max_messages = 8;
  int delivered = 0;
  vigil::mail::SmtpSession session(
      "mx.example.org", limits, flags & 1, "192.0.2.1",
      [](std::string_view rcpt) {
        return rcpt.find("security") != std::string_view::npos
                   ? vigil::Status::Ok()
                   : vigil::Status::NotFound("recipient not accepted");
      },
      [&]() {
        return (flags & 2) && delivered > 1 ? vigil::Status::RateLimited("too many messages")
                                            : vigil::Status::Ok();
      });
  std::string out = vigil::mail::SmtpSession::Greeting("mx.example.org", flags & 1);
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    session.Receive(in.substr(pos, chunk));
    for (;;) {
      const vigil::mail::SmtpSession::Next next = session.Process(&out);
      if (next == vigil::mail::SmtpSession::Next::kDeliver) {
        (void)session.envelope();
        std::string message = session.TakeMessage();
        ++delivered;
        vigil::Result<std::string> result =
            (flags & 4) && delivered % 2 == 0
                ? vigil::Result<std::string>(vigil::Status::Unavailable("store is busy"))
                : vigil::Result<std::string>(std::string("Q") + std::to_string(delivered));
        session.Delivered(result, &out);
        continue;
      }
      if (next == vigil::mail::SmtpSession::Next::kClose) return 0;
      break;
    }
    if (out.size() > (1u << 20)) out.clear();  // the driver sends and forgets the replies
  }
  return 0;
}
